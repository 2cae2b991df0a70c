"""Loading a plan into the ledger: validation against what the ledger holds, then every row brought to it.

Every importer (YAML, notice text, Excel 台账) builds a ``PlanDocument`` and loads it through
``apply_plan``: all checks run first, every problem is reported with its place, and nothing is
written unless everything is right. Loading is idempotent and updates rows by code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.enums import EventKind, MeasureStatus
from models.errors import InvalidDeadline, InvalidPlan, InvalidSchedule, PlanIssue, ZhenggaiError
from models.rules import parse_deadline
from models.tables import Contact, Measure, Problem, Round, StatusEvent, Unit
from models.workdays import WorkingCalendar
from tasks.ledger.history import change_status
from tasks.ledger.plan_schema import (
    ContactSpec,
    MeasureSpec,
    PlanChanges,
    PlanDocument,
    dedupe_issues,
    parse_plan_text,
    read_plan_file,
)
from tasks.ledger.yaml_positions import dotted

# -- validation ---------------------------------------------------------------------------------


def _apprise_url_problem(url: str) -> str | None:
    import apprise

    from models.urls import is_url_reference, url_reference_problem

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
        raise InvalidPlan(dedupe_issues(issues))
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
    clock: Clock,
    *,
    where: Callable[[Sequence[str | int]], str] | None = None,
    allow_unassigned: bool = False,
    actor: str = "plan load",
) -> PlanChanges:
    """Validate ``plan`` against the ledger and bring the ledger to it, as of the clock's now (deadlines
    in working days count on its calendar). The caller commits."""
    now = clock.now
    place = where or (lambda path: dotted(path) or "plan")
    deadlines = validate_plan(
        plan, session, place, calendar=clock.calendar, allow_unassigned=allow_unassigned
    )
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


def load_plan_file(
    session: Session, path: Path, clock: Clock, *, allow_unassigned: bool = False
) -> PlanChanges:
    """Validate a plan file and bring the ledger to it; every error is placed by line. The caller
    commits what returns, so a plan is loaded all of it, or nothing."""
    source = str(path)
    plan, located = parse_plan_text(read_plan_file(path), source)
    try:
        return apply_plan(session, plan, clock, where=located.where, allow_unassigned=allow_unassigned)
    except InvalidPlan as error:
        raise InvalidPlan(error.issues, source) from None
