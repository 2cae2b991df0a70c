"""The measures as the coordinators' desk schedules them: listed with their cadence and deadline, and
changed or added through the plan's own rules.

A desk edit is the round's current plan (``plan_export.plan_document``) with one measure changed or added,
brought to the ledger by ``plan_load.apply_plan``: the same checks, the same field diff ``plan load
--dry-run`` shows, the same history. Each field the desk sets is then recorded as an edit in the ledger
(``history.record_edit``), so that a later load of an older plan file keeps it (``ledger_owned``), as it
keeps an approved extension. Functions that change the ledger take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cadence import effective_cadence, parse_cadence
from models.clock import Clock
from models.deadlines import parse_reminder_offsets, reminder_offsets_text
from models.errors import (
    InvalidDeadline,
    InvalidPlan,
    InvalidSchedule,
    PlanIssue,
    UnknownMeasure,
    UnknownRound,
)
from models.measure_codes import next_measure_code
from models.rules import parse_deadline
from models.tables import Contact, Measure, Round, Unit
from tasks.ledger.history import record_edit
from tasks.ledger.plan_export import plan_document
from tasks.ledger.plan_load import apply_plan
from tasks.ledger.plan_schema import MeasureSpec, PlanChanges
from tasks.ledger.queries import live_measures, round_codes

# The form's fields: what the desk may set on a measure (a new one's words too).
FORM_FIELDS = ("problem", "marker", "text", "lead_unit", "leader", "deadline", "cadence", "reminders")
# The ledger's names (``LEDGER_FIELDS``) of the fields a desk edit owns afterwards.
OWNED = {
    "lead_unit": "owner",
    "leader": "leader",
    "deadline": "deadline",
    "cadence": "cadence",
    "reminders": "reminders",
}
NO_REMINDERS = "不催办"
LABEL = {
    "problem": "问题",
    "marker": "序语",
    "text": "措施",
    "lead_unit": "责任单位",
    "leader": "责任领导",
    "deadline": "完成时限",
    "cadence": "频次",
    "reminders": "催办提醒",
}


@dataclass(frozen=True)
class CheckRow:
    """One measure on the desk's recurring-checks page."""

    code: str
    problem: int
    problem_title: str
    marker: str
    text: str
    lead_unit: str
    leader: str
    deadline_spec: str
    deadline: date | None
    cadence: str | None  # its own, as written
    effective: str | None  # what it is asked on (长期坚持 without one: the round's ongoing cadence)
    reminders: tuple[int, ...] | None  # its own reminder offsets; None: the installation's
    status: str


@dataclass(frozen=True)
class Choice:
    """An owner unit or a leader the form offers."""

    code: str
    name: str


@dataclass(frozen=True)
class CheckChoices:
    """What the form offers: the round's problems, the units and the contacts."""

    problems: list[tuple[int, str]]
    units: list[Choice]
    leaders: list[Choice]
    feedback_date: date  # the round's: its schedules' anchor


@dataclass(frozen=True)
class MeasureEdit:
    """A measure as the desk's form gives it: ``code`` to change one, or None to add one to ``problem``."""

    round_code: str
    code: str | None
    problem: int = 0
    marker: str = ""
    text: str = ""
    lead_unit: str | None = None
    leader: str | None = None
    deadline: str = "长期坚持"
    cadence: str | None = None
    reminders: str = ""  # 5、3、1、0; empty: the installation's; 不催办: none
    new_code: str | None = None  # the code a confirmed addition was shown with


@dataclass
class DeskEdit:
    """What a desk edit changed: the measure's code and the plan's diff."""

    code: str
    added: bool
    changes: PlanChanges
    fields: list[str] = field(default_factory=list)  # the ledger fields it set (owner, cadence…)


def first_round(session: Session) -> str:
    """The round the page shows when none is named: the first by code (``UnknownRound`` when there is none)."""
    codes = round_codes(session)
    if not codes:
        raise UnknownRound("the ledger has no round yet: load a plan first (zhenggai plan load)")
    return codes[0]


def check_rows(session: Session, round_code: str) -> list[CheckRow]:
    """The round's live measures in notice order, with what the page lists."""
    rows = []
    for m in live_measures(session, round_code=round_code):
        rows.append(
            CheckRow(
                code=m.code,
                problem=m.problem.ordinal,
                problem_title=m.problem.title,
                marker=m.marker,
                text=m.text,
                lead_unit=m.lead_unit.name if m.lead_unit else "",
                leader=(m.leader.role or m.leader.person) if m.leader else "",
                deadline_spec=m.deadline_spec,
                deadline=m.deadline,
                cadence=m.cadence,
                effective=effective_cadence(m.cadence, m.deadline, m.problem.round.ongoing_cadence),
                reminders=None if m.reminder_offsets is None else tuple(m.reminder_offsets),
                status=m.status.value,
            )
        )
    return rows


def check_choices(session: Session, round_code: str) -> CheckChoices:
    """The round's problems (ordinal, title), every unit and every contact, for the form's lists."""
    round_ = session.scalar(select(Round).where(Round.code == round_code))
    if round_ is None:
        raise UnknownRound(f"no round '{round_code}'")
    live = [p for p in round_.problems if p.removed_at is None]  # numbered as the plan lists them
    units = [Choice(u.code, u.name) for u in session.scalars(select(Unit).order_by(Unit.code))]
    leaders = [
        Choice(c.code, f"{c.person}（{c.role}）" if c.role else c.person)
        for c in session.scalars(select(Contact).order_by(Contact.code))
    ]
    problems = [(i, p.title) for i, p in enumerate(live, start=1)]
    return CheckChoices(problems, units, leaders, round_.feedback_date)


def measure_edit_of(session: Session, code: str) -> MeasureEdit:
    """A live measure as the form shows it first (its current values)."""
    found = live_measures(session, measure_code=code)
    if not found:
        raise UnknownMeasure(f"no measure '{code}' in the ledger")
    m = found[0]
    return MeasureEdit(
        round_code=m.problem.round.code,
        code=m.code,
        problem=m.problem.ordinal,
        marker=m.marker,
        text=m.text,
        lead_unit=m.lead_unit.code if m.lead_unit else None,
        leader=m.leader.code if m.leader else None,
        deadline=m.deadline_spec,
        cadence=m.cadence,
        reminders=_reminders_text(m.reminder_offsets),
    )


def form_issues(edit: MeasureEdit) -> list[PlanIssue]:
    """What is wrong in the form's words (cadence, deadline, a new measure's text), by field; pure."""
    issues = []
    if edit.cadence:
        try:
            parse_cadence(edit.cadence)
        except InvalidSchedule as error:
            issues.append(PlanIssue("表单", "cadence", f"无法识别这个频次。{error}"))
    try:
        parse_deadline(edit.deadline)
    except InvalidDeadline as error:
        issues.append(PlanIssue("表单", "deadline", f"完成时限写法有误。{error}"))
    try:
        reminder_offsets(edit.reminders)
    except ValueError as error:
        issues.append(PlanIssue("表单", "reminders", f"催办提醒写法有误。{error}"))
    if edit.code is None and not edit.text.strip():
        issues.append(PlanIssue("表单", "text", "请填写措施内容"))
    return issues


def edit_measure(session: Session, edit: MeasureEdit, clock: Clock, *, actor: str) -> DeskEdit:
    """Bring the ledger to the round's plan with ``edit`` applied, through ``apply_plan``, and record each
    field the desk set as an edit in the ledger. Raises ``InvalidPlan`` (issues named by form field) or
    ``UnknownMeasure``; the caller commits (or rolls back: the dry run the confirm page shows)."""
    issues = form_issues(edit)
    if issues:
        raise InvalidPlan(issues, "表单")
    plan = plan_document(session, edit.round_code)
    values: dict[str, Any] = {
        "lead_unit": edit.lead_unit or None,
        "leader": edit.leader or None,
        "deadline": edit.deadline.strip() or "长期坚持",
        "cadence": (edit.cadence or "").strip() or None,
        "reminders": reminder_offsets(edit.reminders),
    }
    if edit.code is None:
        code, specs = _add_to(session, plan.problems, edit)
        values.update(code=code, marker=edit.marker, text=edit.text)
        spec = _spec({}, values)
        specs.append(spec)
        take: set[str] = set()
        before: dict[str, Any] = {}
    else:
        code = edit.code
        specs, index = _find(plan.problems, code)
        current = specs[index]
        spec = _spec(current.model_dump(), values)
        specs[index] = spec
        before = _facts(session, code)
        take = {OWNED[name] for name in OWNED if _spec_fact(spec, name) != before.get(name)}
    changes = apply_plan(session, plan, clock, actor=actor, take_plan=take, allow_removals=True)
    after = _facts(session, code)
    measure = session.scalar(select(Measure).where(Measure.code == code))
    assert measure is not None
    set_fields = []
    if edit.code is None:
        record_edit(session, measure, "measures", "措施：督办台新增", actor=actor, now=clock.now)
    for name, ledger_name in OWNED.items():
        if edit.code is not None and before.get(name) != after.get(name):
            change = f"{LABEL[name]}：{_said(name, before.get(name))} → {_said(name, after.get(name))}"
            record_edit(session, measure, ledger_name, change, actor=actor, now=clock.now)
            set_fields.append(ledger_name)
    session.flush()
    return DeskEdit(code, edit.code is None, changes, set_fields)


def _said(name: str, value: Any) -> str:
    """A field's value as the history says it (— for none; reminders as the form writes them)."""
    if name == "reminders":
        return _reminders_text(value) or "—"
    return str(value) if value else "—"


def _spec(current: dict[str, Any], values: dict[str, Any]) -> MeasureSpec:
    try:
        return MeasureSpec.model_validate({**current, **values})
    except ValidationError as error:
        raise InvalidPlan(
            [PlanIssue("表单", str(e["loc"][0]) if e["loc"] else "", e["msg"]) for e in error.errors()],
            "表单",
        ) from None


def _find(problems: list[Any], code: str) -> tuple[list[MeasureSpec], int]:
    for problem in problems:
        for index, spec in enumerate(problem.measures):
            if spec.code == code:
                return problem.measures, index
    raise UnknownMeasure(f"no measure '{code}' in the ledger")


def _add_to(session: Session, problems: list[Any], edit: MeasureEdit) -> tuple[str, list[MeasureSpec]]:
    """The new measure's code and the list of its problem's specs it joins."""
    if not 1 <= edit.problem <= len(problems):
        raise InvalidPlan([PlanIssue("表单", "problem", "请选择本轮的一个问题")], "表单")
    specs: list[MeasureSpec] = problems[edit.problem - 1].measures
    taken = set(session.scalars(select(Measure.code)))
    round_codes = [s.code for p in problems for s in p.measures]
    code = next_measure_code([s.code for s in specs], round_codes, edit.problem, taken)
    if edit.new_code is not None and edit.new_code != code:
        # Someone added a measure to the problem since the diff was shown: show the new diff.
        raise InvalidPlan([PlanIssue("表单", "code", f"编号 {edit.new_code} 已被占用，请重新核对")], "表单")
    return code, specs


def reminder_offsets(text: str) -> list[int] | None:
    """The form's reminders: empty is the installation's (None), 不催办 none, else working days before."""
    text = text.strip()
    if not text:
        return None
    return [] if text == NO_REMINDERS else list(parse_reminder_offsets(text))


def _reminders_text(offsets: list[int] | None) -> str:
    if offsets is None:
        return ""
    return reminder_offsets_text(offsets) or NO_REMINDERS


def _spec_fact(spec: MeasureSpec, name: str) -> Any:
    value = getattr(spec, name)
    if name == "deadline":
        return str(parse_deadline(value))
    return value


def _facts(session: Session, code: str) -> dict[str, Any]:
    """The fields a desk edit sets, as the ledger holds them now (codes; the deadline as written)."""
    session.flush()
    m = session.scalar(select(Measure).where(Measure.code == code))
    if m is None:
        return {}
    return {
        "lead_unit": m.lead_unit.code if m.lead_unit else None,
        "leader": m.leader.code if m.leader else None,
        "deadline": m.deadline_spec,
        "cadence": m.cadence,
        "reminders": m.reminder_offsets,
    }
