"""Plan files: the schema a coordinator writes, its validation, and loading it into the ledger.

Every importer (YAML, notice text, Excel 台账) builds a ``PlanDocument`` and loads it through
``apply_plan``: all checks run first, every problem is reported with its place, and nothing is
written unless everything is right. Loading is idempotent and updates rows by code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.db import Database
from models.enums import EventKind, MeasureStatus, UnitKind
from models.errors import InvalidDeadline, InvalidPlan, InvalidSchedule, PlanIssue, ZhenggaiError
from models.rules import parse_deadline
from models.settings import get_settings
from models.tables import Contact, Measure, Problem, Round, StatusEvent, Unit, utcnow
from models.workdays import WorkingCalendar
from tasks.ledger.history import change_status
from tasks.ledger.yaml_positions import Located, dotted, load_located

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, use_enum_values=False)


class ContactSpec(_Spec):
    """A person who receives reminders, with Apprise URLs."""

    code: Code
    person: Text
    role: str = ""
    unit: Code | None = None
    urls: list[Text] = Field(default_factory=list)


class UnitSpec(_Spec):
    """An owner unit and its contacts."""

    code: Code
    name: Text
    kind: UnitKind = UnitKind.OTHER
    parent: Code | None = None
    contacts: list[ContactSpec] = Field(default_factory=list)


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
    status: MeasureStatus | None = None


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
    """What loading a plan changed, by kind of row."""

    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)

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
        return "; ".join(parts) if self.total else "0 changes"


# -- parsing ------------------------------------------------------------------------------------

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
        message = _FRIENDLY.get(item["type"], item["msg"])
        if item["type"] == "enum":
            message = f"must be one of: {item['ctx']['expected']}"
        if item["type"] == "missing":
            message = f"'{path[-1]}' is required"
        elif "input" in item and item["type"] != "extra_forbidden" and not isinstance(item["input"], dict):
            message = f"{message} (got {item['input']!r})"
        issues.append(PlanIssue(where(path), dotted(path), message))
    return _dedupe(issues)


def _dedupe(issues: list[PlanIssue]) -> list[PlanIssue]:
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


# -- validation ---------------------------------------------------------------------------------


def _apprise_url_problem(url: str) -> str | None:
    import apprise

    from models.notifications import is_url_reference, url_reference_problem

    if is_url_reference(url):  # env:NAME / secret:BLOCK: only the form here, resolved at send time
        return url_reference_problem(url)
    if apprise.Apprise().add(url):
        return None
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"Apprise cannot load this {scheme or 'URL'} URL (check its form: https://appriseit.com)"


def validate_plan(
    plan: PlanDocument,
    session: Session,
    where: Callable[[Sequence[str | int]], str],
    *,
    calendar: WorkingCalendar,
    allow_unassigned: bool = False,
) -> dict[str, date | None]:
    """Check references, codes, dates, deadlines, cadences and URLs; return resolved deadlines by code."""
    from models.cadence import parse_cadence
    from models.notice import notice_option_issues

    issues: list[PlanIssue] = []

    def add(path: Sequence[str | int], message: str) -> None:
        issues.append(PlanIssue(where(path), dotted(path), message))

    unit_codes = set(session.scalars(select(Unit.code)))
    contact_codes = set(session.scalars(select(Contact.code)))
    seen_units: set[str] = set()
    seen_contacts: set[str] = set()

    def check_contact(spec: ContactSpec, path: tuple[str | int, ...]) -> None:
        if spec.code in seen_contacts:
            add((*path, "code"), f"contact code '{spec.code}' appears twice")
        seen_contacts.add(spec.code)
        for index, url in enumerate(spec.urls):
            if problem := _apprise_url_problem(url):
                add((*path, "urls", index), problem)

    for u, unit in enumerate(plan.units):
        if unit.code in seen_units:
            add(("units", u, "code"), f"unit code '{unit.code}' appears twice")
        seen_units.add(unit.code)
        for c, contact in enumerate(unit.contacts):
            check_contact(contact, ("units", u, "contacts", c))
    for c, contact in enumerate(plan.contacts):
        check_contact(contact, ("contacts", c))

    known_units = unit_codes | seen_units
    known_contacts = contact_codes | seen_contacts

    def check_unit_ref(code: str | None, path: tuple[str | int, ...]) -> None:
        if code is not None and code not in known_units:
            add(path, f"unknown unit '{code}' (define it under units:)")

    def check_contact_ref(code: str | None, path: tuple[str | int, ...]) -> None:
        if code is not None and code not in known_contacts:
            add(path, f"unknown contact '{code}' (define it under contacts: or a unit's contacts:)")

    for u, unit in enumerate(plan.units):
        check_unit_ref(unit.parent, ("units", u, "parent"))
        if unit.parent == unit.code:
            add(("units", u, "parent"), "a unit cannot be its own parent")
    for c, contact in enumerate(plan.contacts):
        check_unit_ref(contact.unit, ("contacts", c, "unit"))

    r = plan.round
    for option_issue in notice_option_issues(r.notice):
        add(("round", *option_issue.field.split(".")), option_issue.message)
    check_contact_ref(r.coordinator, ("round", "coordinator"))
    check_contact_ref(r.head, ("round", "head"))
    if r.inspection_start > r.inspection_end:
        add(("round", "inspection_end"), "the inspection ends before it starts")
    if r.inspection_end > r.feedback_date:
        add(("round", "feedback_date"), "the feedback comes before the inspection ends")

    other_rounds = {
        code: round_code
        for code, round_code in session.execute(
            select(Measure.code, Round.code)
            .join(Measure.problem)
            .join(Problem.round)
            .where(Round.code != r.code)
        )
    }
    seen_measures: set[str] = set()
    deadlines: dict[str, date | None] = {}
    for p, problem in enumerate(plan.problems):
        if not problem.measures and not allow_unassigned:
            add(("problems", p, "measures"), "a problem needs at least one measure")
        for m, measure in enumerate(problem.measures):
            path: tuple[str | int, ...] = ("problems", p, "measures", m)
            if measure.code in seen_measures:
                add((*path, "code"), f"measure code '{measure.code}' appears twice")
            seen_measures.add(measure.code)
            if measure.code in other_rounds:
                add(
                    (*path, "code"),
                    f"measure code '{measure.code}' belongs to round '{other_rounds[measure.code]}'",
                )
            if measure.lead_unit is None:
                if not allow_unassigned:
                    add(
                        (*path, "lead_unit"),
                        "no owner unit: name a lead_unit (or load with --allow-unassigned)",
                    )
            else:
                check_unit_ref(measure.lead_unit, (*path, "lead_unit"))
            for i, co_unit in enumerate(measure.co_units):
                check_unit_ref(co_unit, (*path, "co_units", i))
            check_contact_ref(measure.leader, (*path, "leader"))
            try:
                deadlines[measure.code] = parse_deadline(measure.deadline).resolve(r.feedback_date, calendar)
            except (InvalidDeadline, ZhenggaiError) as error:
                add((*path, "deadline"), str(error))
            if measure.cadence is not None:
                try:
                    parse_cadence(measure.cadence)
                except InvalidSchedule as error:
                    add((*path, "cadence"), str(error))
    if issues:
        raise InvalidPlan(_dedupe(issues))
    return deadlines


# -- applying -----------------------------------------------------------------------------------


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; report whether anything changed (so re-loads touch nothing)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def apply_plan(
    session: Session,
    plan: PlanDocument,
    *,
    where: Callable[[Sequence[str | int]], str] | None = None,
    calendar: WorkingCalendar | None = None,
    allow_unassigned: bool = False,
    actor: str = "plan load",
    now: datetime | None = None,
) -> PlanChanges:
    """Validate ``plan`` against the ledger and bring the ledger to it (the caller commits)."""
    now = now or utcnow()
    calendar = calendar or get_settings().working_calendar()
    place = where or (lambda path: dotted(path) or "plan")
    deadlines = validate_plan(plan, session, place, calendar=calendar, allow_unassigned=allow_unassigned)
    changes = PlanChanges()

    units = {u.code: u for u in session.scalars(select(Unit))}
    for spec in plan.units:
        unit = units.get(spec.code)
        if unit is None:
            unit = units[spec.code] = Unit(code=spec.code, name=spec.name, kind=spec.kind)
            session.add(unit)
            changes.note("added", "units", spec.code)
        elif _assign(unit, {"name": spec.name, "kind": spec.kind}):
            changes.note("changed", "units", spec.code)
    for spec in plan.units:
        parent = units[spec.parent] if spec.parent else None
        if units[spec.code].parent is not parent:
            units[spec.code].parent = parent
            if spec.code not in changes.added.get("units", []):
                changes.note("changed", "units", spec.code)

    contacts = {c.code: c for c in session.scalars(select(Contact))}
    contact_specs: list[tuple[ContactSpec, str | None]] = [
        (c, u.code) for u in plan.units for c in u.contacts
    ]
    contact_specs += [(c, c.unit) for c in plan.contacts]
    for contact_spec, unit_code in contact_specs:
        values: dict[str, Any] = {
            "person": contact_spec.person,
            "role": contact_spec.role,
            "urls": list(contact_spec.urls),
        }
        contact = contacts.get(contact_spec.code)
        if contact is None:
            contact = contacts[contact_spec.code] = Contact(code=contact_spec.code, **values)
            session.add(contact)
            changes.note("added", "contacts", contact_spec.code)
        elif _assign(contact, values):
            changes.note("changed", "contacts", contact_spec.code)
        unit = units[unit_code] if unit_code else None
        if contact.unit is not unit:
            contact.unit = unit
            if contact_spec.code not in changes.added.get("contacts", []):
                changes.note("changed", "contacts", contact_spec.code)

    r = plan.round
    round_values = {
        "title": r.title,
        "inspected_org": r.inspected_org,
        "inspected_short": r.inspected_short,
        "feedback_recipient": r.feedback_recipient,
        "inspecting_body": r.inspecting_body,
        "inspection_kind": r.inspection_kind,
        "inspection_start": r.inspection_start,
        "inspection_end": r.inspection_end,
        "feedback_date": r.feedback_date,
        "contact_phone": r.contact.phone,
        "contact_address": r.contact.address,
        "contact_postcode": r.contact.postcode,
        "contact_email": r.contact.email,
        "signature": r.signature,
        "notice_options": dict(r.notice),
        "statistics": dict(r.statistics),
        "coordinator": contacts[r.coordinator] if r.coordinator else None,
        "head": contacts[r.head] if r.head else None,
    }
    round_ = session.scalar(select(Round).where(Round.code == r.code).options(selectinload(Round.problems)))
    if round_ is None:
        round_ = Round(code=r.code, **round_values)
        session.add(round_)
        changes.note("added", "round", r.code)
    elif _assign(round_, round_values):
        changes.note("changed", "round", r.code)
    session.flush()

    problems = {p.ordinal: p for p in round_.problems}
    measures = {m.code: m for m in session.scalars(select(Measure).options(selectinload(Measure.co_units)))}
    kept: set[str] = set()
    for ordinal, problem_spec in enumerate(plan.problems, start=1):
        problem_values: dict[str, Any] = {
            "title": problem_spec.title,
            "description": problem_spec.description,
            "outcome_lead_in": problem_spec.outcome_lead_in,
            "removed_at": None,
        }
        problem = problems.get(ordinal)
        if problem is None:
            problem = problems[ordinal] = Problem(round=round_, ordinal=ordinal, **problem_values)
            session.add(problem)
            changes.note("added", "problems", str(ordinal))
        elif _assign(problem, problem_values):
            changes.note("changed", "problems", str(ordinal))
        for m_ordinal, m_spec in enumerate(problem_spec.measures, start=1):
            kept.add(m_spec.code)
            _apply_measure(
                session, changes, measures, problem, m_ordinal, m_spec, deadlines, units, contacts, actor, now
            )
    for ordinal, problem in problems.items():
        if ordinal > len(plan.problems) and problem.removed_at is None:
            problem.removed_at = now
            changes.note("removed", "problems", str(ordinal))
    round_measures = session.scalars(
        select(Measure)
        .join(Measure.problem)
        .where(Problem.round_id == round_.id, Measure.removed_at.is_(None))
    )
    for measure in round_measures:
        if measure.code not in kept:
            measure.removed_at = now
            changes.note("removed", "measures", measure.code)
            session.add(
                StatusEvent(
                    measure=measure, at=now, actor=actor, kind=EventKind.PLAN, reason="removed from the plan"
                )
            )
    session.flush()
    return changes


def _apply_measure(
    session: Session,
    changes: PlanChanges,
    measures: dict[str, Measure],
    problem: Problem,
    ordinal: int,
    spec: MeasureSpec,
    deadlines: dict[str, date | None],
    units: dict[str, Unit],
    contacts: dict[str, Contact],
    actor: str,
    now: datetime,
) -> None:
    values: dict[str, Any] = {
        "problem": problem,
        "ordinal": ordinal,
        "marker": spec.marker,
        "text": spec.text,
        "lead_unit": units[spec.lead_unit] if spec.lead_unit else None,
        "leader": contacts[spec.leader] if spec.leader else None,
        "deadline_spec": str(parse_deadline(spec.deadline)),
        "deadline": deadlines[spec.code],
        "cadence": spec.cadence,
        "removed_at": None,
    }
    co_units = sorted((units[c] for c in spec.co_units), key=lambda unit: unit.code)
    measure = measures.get(spec.code)
    if measure is None:
        measure = Measure(code=spec.code, status=MeasureStatus.PLANNED, **values)
        measure.co_units = co_units
        session.add(measure)
        changes.note("added", "measures", spec.code)
        session.add(
            StatusEvent(measure=measure, at=now, actor=actor, kind=EventKind.PLAN, reason="added by the plan")
        )
        if spec.status is not None:
            # A status the plan sets is history like any other move (the notice reads it as of a date).
            change_status(session, measure, spec.status, actor=actor, now=now, reason="set by the plan")
        return
    restored = measure.removed_at is not None
    changed = _assign(measure, values)
    if [u.code for u in measure.co_units] != [u.code for u in co_units]:
        measure.co_units = co_units
        changed = True
    if spec.status is not None and change_status(
        session, measure, spec.status, actor=actor, now=now, reason="set by the plan"
    ):
        changed = True
    if changed:
        changes.note("changed", "measures", spec.code)
        reason = "restored by the plan" if restored else "changed by the plan"
        session.add(StatusEvent(measure=measure, at=now, actor=actor, kind=EventKind.PLAN, reason=reason))


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


def load_plan_file(
    database: Database,
    path: Path,
    *,
    allow_unassigned: bool = False,
    calendar: WorkingCalendar | None = None,
    now: datetime | None = None,
) -> PlanChanges:
    """Validate a plan file and load it in one transaction: all of it, or nothing."""
    source = str(path)
    plan, located = parse_plan_text(read_plan_file(path), source)
    with database.unit_of_work() as session:
        try:
            changes = apply_plan(
                session,
                plan,
                where=located.where,
                calendar=calendar,
                allow_unassigned=allow_unassigned,
                now=now,
            )
        except InvalidPlan as error:
            raise InvalidPlan(error.issues, source) from None
        session.commit()
    return changes


# -- export -------------------------------------------------------------------------------------


def plan_document(session: Session, round_code: str) -> PlanDocument:
    """The ledger of one round as a ``PlanDocument`` (the inverse of ``apply_plan``)."""
    from models.errors import UnknownRound

    round_ = session.scalar(select(Round).where(Round.code == round_code))
    if round_ is None:
        raise UnknownRound(f"no round '{round_code}'")
    problems = [p for p in round_.problems if p.removed_at is None]
    used_units: dict[str, Unit] = {}
    used_contacts: dict[str, Contact] = {}

    def use_unit(unit: Unit | None) -> None:
        while unit is not None and unit.code not in used_units:
            used_units[unit.code] = unit
            unit = unit.parent

    problem_specs = []
    for problem in problems:
        measure_specs = []
        for measure in (m for m in problem.measures if m.removed_at is None):
            use_unit(measure.lead_unit)
            for unit in measure.co_units:
                use_unit(unit)
            if measure.leader is not None:
                used_contacts[measure.leader.code] = measure.leader
                use_unit(measure.leader.unit)
            deadline: date | str = measure.deadline_spec
            spec = parse_deadline(measure.deadline_spec)
            if spec.on is not None:
                deadline = spec.on
            measure_specs.append(
                MeasureSpec(
                    code=measure.code,
                    marker=measure.marker,
                    text=measure.text,
                    lead_unit=measure.lead_unit.code if measure.lead_unit else None,
                    co_units=[u.code for u in measure.co_units],
                    leader=measure.leader.code if measure.leader else None,
                    deadline=deadline,
                    cadence=measure.cadence,
                    status=measure.status,
                )
            )
        problem_specs.append(
            ProblemSpec(
                title=problem.title,
                description=problem.description,
                outcome_lead_in=problem.outcome_lead_in,
                measures=measure_specs,
            )
        )
    for contact in (round_.coordinator, round_.head):
        if contact is not None:
            used_contacts[contact.code] = contact
            use_unit(contact.unit)
    unit_specs = []
    for unit in sorted(used_units.values(), key=lambda u: u.id):
        unit_specs.append(
            UnitSpec(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                parent=unit.parent.code if unit.parent else None,
                contacts=[
                    ContactSpec(code=c.code, person=c.person, role=c.role, urls=list(c.urls))
                    for c in unit.contacts
                ],
            )
        )
    unit_contacts = {c.code for u in used_units.values() for c in u.contacts}
    loose = [c for code, c in sorted(used_contacts.items()) if code not in unit_contacts]
    return PlanDocument(
        round=RoundSpec(
            code=round_.code,
            title=round_.title,
            inspected_org=round_.inspected_org,
            inspected_short=round_.inspected_short,
            feedback_recipient=round_.feedback_recipient,
            inspecting_body=round_.inspecting_body,
            inspection_kind=round_.inspection_kind,
            inspection_start=round_.inspection_start,
            inspection_end=round_.inspection_end,
            feedback_date=round_.feedback_date,
            contact=RoundContactSpec(
                phone=round_.contact_phone,
                address=round_.contact_address,
                postcode=round_.contact_postcode,
                email=round_.contact_email,
            ),
            signature=round_.signature,
            coordinator=round_.coordinator.code if round_.coordinator else None,
            head=round_.head.code if round_.head else None,
            notice=dict(round_.notice_options),
            statistics=dict(round_.statistics),
        ),
        units=unit_specs,
        contacts=[
            ContactSpec(
                code=c.code,
                person=c.person,
                role=c.role,
                unit=c.unit.code if c.unit else None,
                urls=list(c.urls),
            )
            for c in loose
        ],
        problems=problem_specs,
    )


class _PlanDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PlanDumper.add_representer(str, _str_representer)


def dump_plan(plan: PlanDocument) -> str:
    """YAML text of a plan, readable and loadable again to the same ledger."""
    data = plan.model_dump(mode="json", exclude_defaults=False)
    # Dates stay YAML dates, not quoted strings.
    data = _restore_dates(data)
    return yaml.dump(data, Dumper=_PlanDumper, allow_unicode=True, sort_keys=False, width=1000)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _restore_dates(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _restore_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_dates(v) for v in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value)
    return value


def export_plan(database: Database, round_code: str) -> str:
    """The YAML plan of a round as the ledger holds it now."""
    with database.unit_of_work() as session:
        return dump_plan(plan_document(session, round_code))
