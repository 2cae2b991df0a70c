"""Loading a plan into the ledger: checked first (``tasks.ledger.plan_check``), then every row brought to it.

Every importer (YAML, notice text, Excel 台账) builds a ``PlanDocument`` and loads it through
``apply_plan``: all checks run first, every problem is reported with its place, and nothing is
written unless everything is right. Loading is idempotent and updates rows by code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.cadence import DEFAULT_ONGOING_CADENCE, takes_ongoing_default
from models.clock import Clock
from models.deadlines import reminder_offsets_text
from models.enums import EventKind, MeasureStatus
from models.errors import InvalidPlan, PlanIssue, RemovalsRefused
from models.review_steps import stored_steps
from models.rules import STATUS_LABEL, parse_deadline
from models.tables import Contact, Measure, Problem, Round, StatusEvent, Unit
from models.yaml_positions import dotted
from tasks.ledger.collectives import collectives_without_members, member_parents, outside_members
from tasks.ledger.history import (
    LEDGER_FIELDS,
    PLAN_STATUS_REASON,
    TAKEN_FROM_PLAN,
    change_status,
    ledger_owned,
)
from tasks.ledger.plan_check import validate_plan
from tasks.ledger.plan_schema import (
    ContactSpec,
    MeasureSpec,
    PlanChanges,
    PlanDocument,
    ProblemSpec,
    RoundSpec,
    UnitSpec,
    parse_plan_text,
    read_plan_file,
)


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
    clock: Clock,
    *,
    where: Callable[[Sequence[str | int]], str] | None = None,
    allow_unassigned: bool = False,
    actor: str = "plan load",
    take_plan: Collection[str] = (),
    allow_removals: bool = False,
) -> PlanChanges:
    """Validate ``plan`` against the ledger and bring the ledger to it, as of the clock's now (deadlines
    in working days count on its calendar). The caller commits.

    What the ledger gained since the plan (``ledger_owned``: a status a unit or reviewer reached, a field
    edited in the ledger, a measure added there) is kept and listed in ``PlanChanges.kept``, unless the
    field is named in ``take_plan``; a closed (销号) measure is never reopened by a plan. A load that would
    remove owners, deadlines, cadences or measures raises ``RemovalsRefused`` unless ``allow_removals``.
    """
    unknown = sorted(set(take_plan) - set(LEDGER_FIELDS))
    if unknown:
        raise InvalidPlan(
            [PlanIssue("--take-plan", f, f"is not one of {', '.join(LEDGER_FIELDS)}") for f in unknown]
        )
    place = where or (lambda path: dotted(path) or "plan")
    deadlines = validate_plan(
        plan, session, place, calendar=clock.calendar, allow_unassigned=allow_unassigned
    )
    writer = _PlanWriter(session, clock, actor, frozenset(take_plan))
    writer.units(plan.units)
    writer.contacts(plan)
    round_ = writer.round(plan.round)
    kept = writer.problems(round_, plan.problems, deadlines)
    writer.remove_dropped(round_, len(plan.problems), kept)
    session.flush()
    changes = writer.changes
    changes.collectives_without_members = collectives_without_members(plan)
    changes.ongoing_cadence = round_.ongoing_cadence or DEFAULT_ONGOING_CADENCE
    changes.ongoing_default = [
        spec.code
        for problem in plan.problems
        for spec in problem.measures
        if takes_ongoing_default(spec.cadence, deadlines.get(spec.code))
    ]
    if changes.removals and not allow_removals:
        raise RemovalsRefused(changes.removals, changes.diff())
    return changes


FIELD_LABEL = {
    "problem": "问题",
    "ordinal": "序号",
    "marker": "序语",
    "text": "措施",
    "co_units": "配合单位",
    "status": "状态",
    "owner": "责任单位",
    "leader": "责任领导",
    "deadline": "完成时限",
    "cadence": "频次",
    "reminders": "催办提醒",
}


def _steps_text(steps: list[str] | None) -> str:
    """A round's review steps as the diff shows them: 分管领导确认 → 销号 reads 分管领导确认、销号."""
    return "、".join(steps) if steps else "销号（一步）"


def _show(value: Any) -> str:
    return "—" if value in (None, "", []) else str(value)


class _PlanWriter:
    """Brings the ledger's rows to a validated plan, noting what it added, changed and removed."""

    def __init__(self, session: Session, clock: Clock, actor: str, take_plan: frozenset[str]) -> None:
        self.session, self.clock, self.now, self.actor = session, clock, clock.now, actor
        self.take_plan = take_plan
        self.owned: dict[int, dict[str, StatusEvent]] = {}
        self.changes = PlanChanges()
        self.unit_rows: dict[str, Unit] = {u.code: u for u in session.scalars(select(Unit))}
        self.contact_rows: dict[str, Contact] = {c.code: c for c in session.scalars(select(Contact))}

    def _upsert(
        self, rows: dict[str, Any], kind: str, code: str, values: dict[str, Any], make: Callable[[], Any]
    ) -> Any:
        """The row of ``code`` brought to ``values`` (``make()`` when missing); notes added or changed."""
        row = rows.get(code)
        if row is None:
            row = rows[code] = make()
            self.session.add(row)
            self.changes.note("added", kind, code)
        elif _assign(row, values):
            self.changes.note("changed", kind, code)
        return row

    def _link(self, kind: str, code: str, row: Any, name: str, target: Any) -> None:
        """Point ``row.name`` at ``target``; a row not added now counts as changed when it moved."""
        if getattr(row, name) is not target:
            setattr(row, name, target)
            if code not in self.changes.added.get(kind, []):
                self.changes.note("changed", kind, code)

    def units(self, specs: Sequence[UnitSpec]) -> None:
        for spec in specs:
            values = {"name": spec.name, "kind": spec.kind, "reports_for_members": spec.reports_for_members}
            self._upsert(self.unit_rows, "units", spec.code, values, partial(Unit, code=spec.code, **values))
        membership = member_parents(specs)  # a collective's members: their parent is the collective
        for spec in specs:
            parent_code = spec.parent or membership.get(spec.code)
            parent = self.unit_rows[parent_code] if parent_code else None
            self._link("units", spec.code, self.unit_rows[spec.code], "parent", parent)
        for code, collective in outside_members(specs, self.unit_rows):
            self._link("units", code, self.unit_rows[code], "parent", collective)

    def contacts(self, plan: PlanDocument) -> None:
        specs: list[tuple[ContactSpec, str | None]] = [(c, u.code) for u in plan.units for c in u.contacts]
        specs += [(c, c.unit) for c in plan.contacts]
        for spec, unit_code in specs:
            values: dict[str, Any] = {
                "person": spec.person,
                "role": spec.role,
                "urls": list(spec.urls),
                "rate_limit": spec.rate_limit,
                "digest": spec.digest,
            }
            contact = self._upsert(
                self.contact_rows, "contacts", spec.code, values, partial(Contact, code=spec.code, **values)
            )
            self._link(
                "contacts", spec.code, contact, "unit", self.unit_rows[unit_code] if unit_code else None
            )

    def round(self, r: RoundSpec) -> Round:
        values: dict[str, Any] = {
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
            "assessment_formula": dict(r.assessment) if isinstance(r.assessment, dict) else None,
            "ongoing_cadence": r.ongoing_cadence,
            "review_steps": stored_steps(r.review_steps),
            "coordinator": self.contact_rows[r.coordinator] if r.coordinator else None,
            "head": self.contact_rows[r.head] if r.head else None,
        }
        found = self.session.scalar(
            select(Round).where(Round.code == r.code).options(selectinload(Round.problems))
        )
        rows = {r.code: found} if found is not None else {}
        if found is not None and found.review_steps != values["review_steps"]:
            self.changes.fields.append(
                f"{r.code} 审核步骤: {_steps_text(found.review_steps)} → {_steps_text(values['review_steps'])}"
            )
        round_: Round = self._upsert(rows, "round", r.code, values, partial(Round, code=r.code, **values))
        self.session.flush()
        return round_

    def problems(
        self, round_: Round, specs: Sequence[ProblemSpec], deadlines: dict[str, date | None]
    ) -> set[str]:
        """Problems by ordinal and their measures by code; returns the codes the plan keeps."""
        problems = {p.ordinal: p for p in round_.problems}
        measures = {
            m.code: m for m in self.session.scalars(select(Measure).options(selectinload(Measure.co_units)))
        }
        # Who changed what since: read for the measures this load can touch (the plan's and the round's).
        named = {m.code for spec in specs for m in spec.measures}
        in_round = {p.id for p in round_.problems}
        touched = [m.id for m in measures.values() if m.code in named or m.problem_id in in_round]
        self.owned = ledger_owned(self.session, touched)
        kept: set[str] = set()
        for ordinal, spec in enumerate(specs, start=1):
            values: dict[str, Any] = {
                "title": spec.title,
                "description": spec.description,
                "outcome_lead_in": spec.outcome_lead_in,
                "removed_at": None,
            }
            problem = problems.get(ordinal)
            if problem is None:
                problem = problems[ordinal] = Problem(round=round_, ordinal=ordinal, **values)
                self.session.add(problem)
                self.changes.note("added", "problems", str(ordinal))
            elif _assign(problem, values):
                self.changes.note("changed", "problems", str(ordinal))
            for m_ordinal, m_spec in enumerate(spec.measures, start=1):
                kept.add(m_spec.code)
                self.measure(measures, problem, m_ordinal, m_spec, deadlines[m_spec.code])
        return kept

    def measure(
        self,
        measures: dict[str, Measure],
        problem: Problem,
        ordinal: int,
        spec: MeasureSpec,
        deadline: date | None,
    ) -> None:
        lead_unit = self.unit_rows[spec.lead_unit] if spec.lead_unit else None
        leader = self.contact_rows[spec.leader] if spec.leader else None
        deadline_spec = str(parse_deadline(spec.deadline))
        co_units = sorted((self.unit_rows[c] for c in spec.co_units), key=lambda unit: unit.code)
        measure = measures.get(spec.code)
        if measure is None:
            self._new_measure(problem, ordinal, spec, deadline, co_units)
            return
        restored = measure.removed_at is not None
        changed = False
        # What only the plan says: where the measure stands in it and its words.
        plain: dict[str, tuple[Any, Any, Callable[[], None]]] = {
            "ordinal": (measure.ordinal, ordinal, partial(setattr, measure, "ordinal", ordinal)),
            "marker": (measure.marker, spec.marker, partial(setattr, measure, "marker", spec.marker)),
            "text": (measure.text, spec.text, partial(setattr, measure, "text", spec.text)),
            "co_units": (
                ", ".join(u.code for u in measure.co_units),
                ", ".join(u.code for u in co_units),
                partial(setattr, measure, "co_units", co_units),
            ),
        }
        if measure.problem is not problem:
            measure.problem = problem
            changed = True
        for name, (old, new, apply) in plain.items():
            if old != new:
                apply()
                changed = True
                self.changes.fields.append(f"{spec.code} {FIELD_LABEL[name]}: {_show(old)} → {_show(new)}")
        if restored:
            measure.removed_at = None
            changed = True
        # What the ledger may have gained since: kept unless the plan is taken for it.
        guarded: dict[str, tuple[Any, Any, Callable[[], None]]] = {
            "owner": (
                measure.lead_unit.code if measure.lead_unit else None,
                spec.lead_unit,
                partial(setattr, measure, "lead_unit", lead_unit),
            ),
            "leader": (
                measure.leader.code if measure.leader else None,
                spec.leader,
                partial(setattr, measure, "leader", leader),
            ),
            "deadline": (
                (measure.deadline_spec, measure.deadline),
                (deadline_spec, deadline),
                partial(self._set_deadline, measure, deadline_spec, deadline),
            ),
            "cadence": (measure.cadence, spec.cadence, partial(setattr, measure, "cadence", spec.cadence)),
            "reminders": (
                measure.reminder_offsets,
                spec.reminders,
                partial(setattr, measure, "reminder_offsets", spec.reminders),
            ),
        }
        for name, (old, new, apply) in guarded.items():
            if old != new and self._guarded(measure, name, _field_text(name, old), _field_text(name, new)):
                apply()
                changed = True
        if spec.status is not None and self._plan_status(measure, spec.status):
            changed = True
        if changed:
            self.changes.note("changed", "measures", spec.code)
            self._event(measure, "restored by the plan" if restored else "changed by the plan")

    def _new_measure(
        self, problem: Problem, ordinal: int, spec: MeasureSpec, deadline: date | None, co_units: list[Unit]
    ) -> None:
        lead_unit = self.unit_rows[spec.lead_unit] if spec.lead_unit else None
        leader = self.contact_rows[spec.leader] if spec.leader else None
        values: dict[str, Any] = {
            "problem": problem,
            "ordinal": ordinal,
            "marker": spec.marker,
            "text": spec.text,
            "lead_unit": lead_unit,
            "leader": leader,
            "deadline_spec": str(parse_deadline(spec.deadline)),
            "deadline": deadline,
            "cadence": spec.cadence,
            "reminder_offsets": spec.reminders,
            "removed_at": None,
        }
        measure = Measure(code=spec.code, status=MeasureStatus.PLANNED, **values)
        measure.co_units = co_units
        self.session.add(measure)
        self.changes.note("added", "measures", spec.code)
        self._event(measure, "added by the plan")
        if spec.status is not None:
            # A status the plan sets is history like any other move (the notice reads it as of a date).
            self._status(measure, spec.status)

    def _plan_status(self, measure: Measure, status: MeasureStatus) -> bool:
        """The plan's status, unless the ledger's is kept; a closed (销号) measure stays closed."""
        if measure.status == status:
            return False
        old, new = STATUS_LABEL[measure.status], STATUS_LABEL[status]
        if measure.status == MeasureStatus.CLOSED:
            self._keep(measure, "status", old, new, note="reopen it with `zhenggai review reopen`")
            return False
        event = self.owned.get(measure.id, {}).get("status")
        if not self._guarded(measure, "status", old, new):
            return False
        taken = f", {TAKEN_FROM_PLAN} (--take-plan status)" if event is not None else ""
        return self._status(measure, status, PLAN_STATUS_REASON + taken)

    def _set_deadline(self, measure: Measure, spec: str, deadline: date | None) -> None:
        measure.deadline_spec, measure.deadline = spec, deadline

    def _guarded(self, measure: Measure, name: str, old: str, new: str) -> bool:
        """Whether the plan's value of a field the ledger may own is written; kept ones are listed."""
        event = self.owned.get(measure.id, {}).get(name)
        if event is not None and name not in self.take_plan:
            self._keep(measure, name, old, new)
            return False
        self.changes.fields.append(f"{measure.code} {FIELD_LABEL[name]}: {old} → {new}")
        if new == "—" and old != "—" and name in ("owner", "leader", "deadline", "cadence"):
            self.changes.removals.append(f"{measure.code} {FIELD_LABEL[name]}: {old} → —")
        if event is not None:
            taken = f"{TAKEN_FROM_PLAN} (--take-plan {name}): {FIELD_LABEL[name]} {old} → {new}"
            if name != "status":  # the status move records itself (``_plan_status``)
                self.session.add(
                    StatusEvent(
                        measure=measure,
                        at=self.now,
                        actor=self.actor,
                        kind=EventKind.PLAN,
                        from_value=name,
                        reason=taken,
                    )
                )
            self.changes.fields[-1] += f" (the ledger's value of {self._when_who(event)} replaced)"
        return True

    def _when_who(self, event: StatusEvent) -> str:
        return f"{self.clock.local(event.at).date().isoformat()} by {event.actor}"

    def _keep(self, measure: Measure, name: str, ledger: str, plan: str, note: str = "") -> None:
        event = self.owned.get(measure.id, {}).get(name)
        since = f"changed in the ledger on {self._when_who(event)}" if event else "closed (销号)"
        line = f"{measure.code} {FIELD_LABEL.get(name, name)}: {ledger} (plan: {plan}) kept: {since}"
        self.changes.kept.append(f"{line}; {note}" if note else line)

    def remove_dropped(self, round_: Round, problem_count: int, kept: set[str]) -> None:
        """Problems past the plan's last and measures it no longer names are marked removed."""
        for ordinal, problem in sorted({p.ordinal: p for p in round_.problems}.items()):
            if ordinal > problem_count and problem.removed_at is None:
                problem.removed_at = self.now
                self.changes.note("removed", "problems", str(ordinal))
        live = self.session.scalars(
            select(Measure)
            .join(Measure.problem)
            .where(Problem.round_id == round_.id, Measure.removed_at.is_(None))
        )
        for measure in live:
            if measure.code not in kept:
                added_here = self.owned.get(measure.id, {}).get("measures")
                if added_here is not None and "measures" not in self.take_plan:
                    since = f"changed in the ledger on {self._when_who(added_here)}"
                    self.changes.kept.append(
                        f"{measure.code} (not in the plan) kept: added to the ledger, {since}"
                    )
                    continue
                self.changes.removals.append(f"{measure.code} removed")
                measure.removed_at = self.now
                self.changes.note("removed", "measures", measure.code)
                self._event(measure, "removed from the plan")

    def _event(self, measure: Measure, reason: str) -> None:
        self.session.add(
            StatusEvent(measure=measure, at=self.now, actor=self.actor, kind=EventKind.PLAN, reason=reason)
        )

    def _status(self, measure: Measure, status: MeasureStatus, reason: str = PLAN_STATUS_REASON) -> bool:
        moved = change_status(self.session, measure, status, actor=self.actor, now=self.now, reason=reason)
        return moved is not None


def load_plan_file(
    session: Session,
    path: Path,
    clock: Clock,
    *,
    allow_unassigned: bool = False,
    take_plan: Collection[str] = (),
    allow_removals: bool = False,
) -> PlanChanges:
    """Validate a plan file and bring the ledger to it; every error is placed by line. The caller
    commits what returns, so a plan is loaded all of it, or nothing."""
    source = str(path)
    plan, located = parse_plan_text(read_plan_file(path), source)
    if isinstance(plan.round.assessment, str):
        plan.round.assessment = _formula_beside(path, plan.round.assessment)
    try:
        return apply_plan(
            session,
            plan,
            clock,
            where=located.where,
            allow_unassigned=allow_unassigned,
            take_plan=take_plan,
            allow_removals=allow_removals,
        )
    except InvalidPlan as error:
        raise InvalidPlan(error.issues, source) from None


def _field_text(name: str, value: Any) -> str:
    """A field's value as the diff shows it: codes, the deadline as written (and resolved), — for none."""
    if name == "reminders":  # None: the installation's offsets; []: never reminded
        return "—" if value is None else (reminder_offsets_text(value) or "不催办")
    if name == "deadline":
        spec, day = value
        if day is None:
            return "—" if spec in (None, "", "长期坚持") else str(spec)
        return str(spec) if str(spec) == day.isoformat() else f"{spec} ({day.isoformat()})"
    return _show(value)


def _formula_beside(plan_path: Path, name: str) -> dict[str, Any]:
    """The assessment formula file a plan names (relative to the plan), checked with its own lines."""
    from models.assessment_formula import formula_problems
    from models.yaml_positions import load_located

    path = plan_path.parent / name
    located = load_located(read_plan_file(path), str(path))
    problems = formula_problems(located.data)
    if problems:
        raise InvalidPlan(
            [PlanIssue(located.where(p), dotted(p), message) for p, message in problems], str(path)
        )
    return dict(located.data)
