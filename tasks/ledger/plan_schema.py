"""The plan file's schema (what a coordinator writes), parsing it with every error placed, and what loading changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from models.deadlines import checked_reminder_offsets
from models.enums import MeasureStatus, UnitKind
from models.errors import InvalidPlan, PlanIssue
from models.text import clean_field
from models.yaml_positions import Located, dotted, load_located

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, use_enum_values=False)

    # One text rule for every intake path (models.text): line breaks unified, invisible characters
    # removed, control characters refused naming the field.
    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: object) -> object:
        return clean_field(value)


class ContactSpec(_Spec):
    """A person who receives reminders, with Apprise URLs."""

    code: Code
    person: Text
    role: str = ""
    unit: Code | None = None
    urls: list[Text] = Field(default_factory=list)
    # Messages a minute each URL takes (0: not limited); omitted: the scheme's default (docs/notifications.md).
    rate_limit: int | None = Field(default=None, ge=0, le=10000)
    # per_message (each message as it comes) or daily (one digest a working day at Settings.digest_hour).
    digest: Literal["per_message", "daily"] = "per_message"


class UnitSpec(_Spec):
    """An owner unit and its contacts."""

    code: Code
    name: Text
    kind: UnitKind = UnitKind.OTHER
    parent: Code | None = None
    contacts: list[ContactSpec] = Field(default_factory=list)
    # A collective (kind: collective) lists the units it stands for; each member's parent is the collective.
    members: list[Code] = Field(default_factory=list)
    # A collective's own token reports for its members (naming one each time); by default it only reads.
    reports_for_members: bool = False


class RoundContactSpec(_Spec):
    """The contact block that closes the notice."""

    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None


class RoundSpec(_Spec):
    """The inspection round and the notice's fixed parts."""

    code: Code
    title: Text
    inspected_org: Text
    inspected_short: Text = "我局"
    feedback_recipient: Text = "我局党组"
    inspecting_body: Text
    inspection_kind: Text = "常规巡察"
    inspection_start: date
    inspection_end: date
    feedback_date: date
    contact: RoundContactSpec = Field(default_factory=RoundContactSpec)
    signature: str | None = None
    coordinator: Code | None = None
    head: Code | None = None
    notice: dict[str, Any] = Field(default_factory=dict)
    statistics: dict[str, Any] = Field(default_factory=dict)
    # The assessment formula (考评计分办法): a YAML file beside the plan, or the formula inline; None: default.
    assessment: dict[str, Any] | str | None = None
    # The cadence every 长期坚持 measure without its own follows; None: 每月最后一个工作日 09:00.
    ongoing_cadence: str | None = None
    # The review steps, ending with 销号 (e.g. [分管领导确认, 销号]); None: 销号 in one step.
    review_steps: list[str] | None = None


class MeasureSpec(_Spec):
    """A rectification measure."""

    code: Code
    marker: str = ""
    text: Text
    lead_unit: Code | None = None
    co_units: list[Code] = Field(default_factory=list)
    leader: Code | None = None
    deadline: date | str = "长期坚持"
    cadence: str | None = None
    # Working days before the deadline it is reminded (0: on the day); unset: the installation's offsets.
    reminders: list[int] | None = None
    status: MeasureStatus | None = None

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else list(checked_reminder_offsets(value))


class ProblemSpec(_Spec):
    """A problem fed back by the inspection, with its measures in order."""

    title: Text
    description: str = ""
    outcome_lead_in: str = ""
    measures: list[MeasureSpec] = Field(default_factory=list)


class PlanDocument(_Spec):
    """A whole plan file."""

    round: RoundSpec
    units: list[UnitSpec] = Field(default_factory=list)
    contacts: list[ContactSpec] = Field(default_factory=list)
    problems: list[ProblemSpec] = Field(default_factory=list)


@dataclass
class PlanChanges:
    """What loading a plan changed, by kind of row, and field by field for measures."""

    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    # "XH-05-6 责任单位: 局办公室 → 局党组", one line per field of a measure the load changes
    fields: list[str] = field(default_factory=list)
    # "XH-05-6 状态: 已销号 (plan: 已完成) kept: changed in the ledger on 2023-12-20 by coordinator"
    kept: list[str] = field(default_factory=list)
    # what the load removes: owners, deadlines, cadences, measures (refused without --allow-removals)
    removals: list[str] = field(default_factory=list)
    # Collectives the plan lists without members (each stays one unit): plan load says so.
    collectives_without_members: list[str] = field(default_factory=list)
    # 长期坚持 measures without a cadence of their own: they follow the round's ongoing cadence
    ongoing_default: list[str] = field(default_factory=list)
    ongoing_cadence: str = ""

    def note(self, bucket: str, kind: str, code: str) -> None:
        getattr(self, bucket).setdefault(kind, []).append(code)

    def count(self, bucket: str, kind: str) -> int:
        return len(getattr(self, bucket).get(kind, []))

    @property
    def total(self) -> int:
        return sum(
            len(codes) for bucket in (self.added, self.changed, self.removed) for codes in bucket.values()
        )

    def summary(self) -> str:
        parts = []
        for kind in ("measures", "problems", "units", "contacts", "round"):
            counts = [self.count(b, kind) for b in ("added", "changed", "removed")]
            if kind == "measures" or any(counts):
                parts.append(f"{kind}: {counts[0]} added, {counts[1]} changed, {counts[2]} removed")
        text = "; ".join(parts) if self.total else "0 changes"
        return f"{text}; {len(self.kept)} kept from the ledger" if self.kept else text

    def diff(self) -> list[str]:
        """The field-level diff, one line each: measures added, changed (old → new) and removed by
        code, then what the ledger keeps."""
        lines = [f"  + {code} added" for code in self.added.get("measures", [])]
        lines += [f"  ~ {line}" for line in self.fields]
        lines += [f"  - {code} removed" for code in self.removed.get("measures", [])]
        lines += [f"  = {line}" for line in self.kept]
        return lines


_FRIENDLY = {
    "string_type": 'must be text (quote it in YAML: "050000")',
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "date_from_datetime_parsing": "is not a date (YYYY-MM-DD)",
    "date_parsing": "is not a date (YYYY-MM-DD)",
    "date_type": "is not a date (YYYY-MM-DD)",
    "string_pattern_mismatch": "must be a code of letters, digits, '.', '_' or '-'",
    "string_too_short": "must not be empty",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
}


def issues_from_validation(
    error: ValidationError, where: Callable[[Sequence[str | int]], str]
) -> list[PlanIssue]:
    """Pydantic's errors as ``PlanIssue``s, placed by ``where(path)``."""
    issues = []
    for item in error.errors():
        path = tuple(item["loc"])
        # A union (date | str) reports one error per branch: keep the path without the branch name.
        path = tuple(p for p in path if not (isinstance(p, str) and p in ("date", "str")))
        message = _FRIENDLY.get(item["type"], item["msg"]).removeprefix("Value error, ")
        if item["type"] == "enum":
            message = f"must be one of: {item['ctx']['expected']}"
        if item["type"] == "missing":
            message = f"'{path[-1]}' is required"
        elif (
            "input" in item
            and item["type"] not in ("extra_forbidden", "value_error")
            and not isinstance(item["input"], dict)
        ):
            message = f"{message} (got {item['input']!r})"
        issues.append(PlanIssue(where(path), dotted(path), message))
    return dedupe_issues(issues)


def dedupe_issues(issues: list[PlanIssue]) -> list[PlanIssue]:
    """The issues without repeats of one place and field (the first message is kept)."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for issue in issues:
        key = (issue.where, issue.field)
        if key not in seen:
            seen.add(key)
            unique.append(issue)
    return unique


def parse_plan_text(text: str, source: str) -> tuple[PlanDocument, Located]:
    """Parse and type-check a plan's YAML; raise ``InvalidPlan`` with every error placed."""
    located = load_located(text, source)
    if not isinstance(located.data, dict):
        raise InvalidPlan(
            [PlanIssue(f"{source}:1", "", "a plan is a mapping with round, units, problems")], source
        )
    try:
        plan = PlanDocument.model_validate(located.data)
    except ValidationError as error:
        raise InvalidPlan(issues_from_validation(error, located.where), source) from None
    return plan, located


def read_plan_file(path: Path) -> str:
    """The text of a plan file, or an ``InvalidPlan`` that names it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidPlan([PlanIssue(str(path), "", "no such file")]) from None
    except UnicodeDecodeError as error:
        raise InvalidPlan([PlanIssue(f"{path}", "", f"not UTF-8 text ({error.reason})")]) from None
    except OSError as error:
        raise InvalidPlan([PlanIssue(str(path), "", f"cannot read: {error.strerror}")]) from None
