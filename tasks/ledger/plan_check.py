"""Checking a plan against the ledger before anything is written: codes, references, dates, deadlines, URLs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import InvalidDeadline, InvalidPlan, InvalidSchedule, PlanIssue, ZhenggaiError
from models.rules import parse_deadline
from models.tables import Contact, Measure, Problem, Round, Unit
from models.workdays import WorkingCalendar
from models.yaml_positions import dotted
from tasks.ledger.plan_schema import (
    ContactSpec,
    MeasureSpec,
    PlanDocument,
    dedupe_issues,
)


def _apprise_url_problem(url: str) -> str | None:
    """What is wrong with a contact's URL: a malformed reference, or one Apprise cannot load."""
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
    """Check references, codes, dates, deadlines, cadences and URLs; return resolved deadlines by code.

    Every problem is collected, placed by ``where``, and raised together as ``InvalidPlan``.
    """
    check = _PlanCheck(plan, session, where, calendar=calendar, allow_unassigned=allow_unassigned)
    check.units_and_contacts()
    check.references()
    check.round()
    deadlines = check.measures()
    if check.issues:
        raise InvalidPlan(dedupe_issues(check.issues))
    return deadlines


class _PlanCheck:
    """The checks of one plan against the ledger, collecting every issue with its place."""

    def __init__(
        self,
        plan: PlanDocument,
        session: Session,
        where: Callable[[Sequence[str | int]], str],
        *,
        calendar: WorkingCalendar,
        allow_unassigned: bool,
    ) -> None:
        self.plan, self.session, self.where = plan, session, where
        self.calendar, self.allow_unassigned = calendar, allow_unassigned
        self.issues: list[PlanIssue] = []
        self.known_units = set(session.scalars(select(Unit.code)))
        self.known_contacts = set(session.scalars(select(Contact.code)))

    def add(self, path: Sequence[str | int], message: str) -> None:
        self.issues.append(PlanIssue(self.where(path), dotted(path), message))

    def units_and_contacts(self) -> None:
        """Codes defined twice and URLs Apprise cannot load (the plan's units and contacts become known)."""
        seen_units: set[str] = set()
        seen_contacts: set[str] = set()

        def contact(spec: ContactSpec, path: tuple[str | int, ...]) -> None:
            if spec.code in seen_contacts:
                self.add((*path, "code"), f"contact code '{spec.code}' appears twice")
            seen_contacts.add(spec.code)
            for index, url in enumerate(spec.urls):
                if problem := _apprise_url_problem(url):
                    self.add((*path, "urls", index), problem)

        for u, unit in enumerate(self.plan.units):
            if unit.code in seen_units:
                self.add(("units", u, "code"), f"unit code '{unit.code}' appears twice")
            seen_units.add(unit.code)
            for c, spec in enumerate(unit.contacts):
                contact(spec, ("units", u, "contacts", c))
        for c, spec in enumerate(self.plan.contacts):
            contact(spec, ("contacts", c))
        self.known_units |= seen_units
        self.known_contacts |= seen_contacts

    def unit_ref(self, code: str | None, path: tuple[str | int, ...]) -> None:
        if code is not None and code not in self.known_units:
            self.add(path, f"unknown unit '{code}' (define it under units:)")

    def contact_ref(self, code: str | None, path: tuple[str | int, ...]) -> None:
        if code is not None and code not in self.known_contacts:
            self.add(path, f"unknown contact '{code}' (define it under contacts: or a unit's contacts:)")

    def references(self) -> None:
        """Parents, members and units that contacts name exist; no unit is its own parent."""
        from tasks.ledger.collectives import member_issues

        for u, unit in enumerate(self.plan.units):
            self.unit_ref(unit.parent, ("units", u, "parent"))
            if unit.parent == unit.code:
                self.add(("units", u, "parent"), "a unit cannot be its own parent")
        for path, message in member_issues(self.plan, self.session):
            self.add(path, message)
        for c, contact in enumerate(self.plan.contacts):
            self.unit_ref(contact.unit, ("contacts", c, "unit"))

    def round(self) -> None:
        """Notice options, the round's people and the order of its dates."""
        from models.notice import notice_option_issues

        r = self.plan.round
        for option_issue in notice_option_issues(r.notice):
            self.add(("round", *option_issue.field.split(".")), option_issue.message)
        self.assessment_formula()
        if r.ongoing_cadence is not None:
            from models.cadence import parse_cadence

            try:
                parse_cadence(r.ongoing_cadence)
            except InvalidSchedule as error:
                self.add(("round", "ongoing_cadence"), str(error))
        if r.review_steps is not None:
            from models.review_steps import review_steps_problem

            if (problem := review_steps_problem(r.review_steps)) is not None:
                self.add(("round", "review_steps"), problem)
        self.contact_ref(r.coordinator, ("round", "coordinator"))
        self.contact_ref(r.head, ("round", "head"))
        if r.inspection_start > r.inspection_end:
            self.add(("round", "inspection_end"), "the inspection ends before it starts")
        if r.inspection_end > r.feedback_date:
            self.add(("round", "feedback_date"), "the feedback comes before the inspection ends")

    def assessment_formula(self) -> None:
        """The round's assessment formula, when given inline (a file beside the plan is read by the loader)."""
        from models.assessment_formula import formula_problems

        formula = self.plan.round.assessment
        if isinstance(formula, str):
            self.add(
                ("round", "assessment"),
                "a formula file is read only when loading a plan file (zhenggai plan load)",
            )
        elif formula is not None:
            for formula_path, message in formula_problems(formula):
                self.add(("round", "assessment", *formula_path), message)

    def measures(self) -> dict[str, date | None]:
        """Every measure's code, owners, leader, deadline and cadence; its deadline resolved."""
        other_rounds = {
            code: round_code
            for code, round_code in self.session.execute(
                select(Measure.code, Round.code)
                .join(Measure.problem)
                .join(Problem.round)
                .where(Round.code != self.plan.round.code)
            )
        }
        seen: set[str] = set()
        deadlines: dict[str, date | None] = {}
        for p, problem in enumerate(self.plan.problems):
            if not problem.measures and not self.allow_unassigned:
                self.add(("problems", p, "measures"), "a problem needs at least one measure")
            for m, spec in enumerate(problem.measures):
                path: tuple[str | int, ...] = ("problems", p, "measures", m)
                if spec.code in seen:
                    self.add((*path, "code"), f"measure code '{spec.code}' appears twice")
                seen.add(spec.code)
                if spec.code in other_rounds:
                    self.add(
                        (*path, "code"),
                        f"measure code '{spec.code}' belongs to round '{other_rounds[spec.code]}'",
                    )
                self.owners(spec, path)
                deadlines[spec.code] = self.deadline_and_cadence(spec, path)
        return deadlines

    def owners(self, spec: MeasureSpec, path: tuple[str | int, ...]) -> None:
        if spec.lead_unit is None:
            if not self.allow_unassigned:
                self.add(
                    (*path, "lead_unit"), "no owner unit: name a lead_unit (or load with --allow-unassigned)"
                )
        else:
            self.unit_ref(spec.lead_unit, (*path, "lead_unit"))
        for i, co_unit in enumerate(spec.co_units):
            self.unit_ref(co_unit, (*path, "co_units", i))
        self.contact_ref(spec.leader, (*path, "leader"))

    def deadline_and_cadence(self, spec: MeasureSpec, path: tuple[str | int, ...]) -> date | None:
        """The resolved deadline (None when it is 长期坚持 or cannot be read: then an issue says why)."""
        from models.cadence import parse_cadence

        deadline = None
        try:
            deadline = parse_deadline(spec.deadline).resolve(self.plan.round.feedback_date, self.calendar)
        except (InvalidDeadline, ZhenggaiError) as error:
            self.add((*path, "deadline"), str(error))
        if spec.cadence is not None:
            try:
                parse_cadence(spec.cadence)
            except InvalidSchedule as error:
                self.add((*path, "cadence"), str(error))
        return deadline
