"""A round's ledger written back as a plan file (the inverse of loading it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import UnitKind
from models.rules import parse_deadline
from models.tables import Contact, Round, Unit
from tasks.ledger.collectives import members_of
from tasks.ledger.plan_schema import (
    ContactSpec,
    MeasureSpec,
    PlanDocument,
    ProblemSpec,
    RoundContactSpec,
    RoundSpec,
    UnitSpec,
)


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
                    reminders=None if measure.reminder_offsets is None else list(measure.reminder_offsets),
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
    unit_specs = _unit_specs(session, used_units, use_unit)
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
            assessment=dict(round_.assessment_formula) if round_.assessment_formula else None,
            ongoing_cadence=round_.ongoing_cadence,
            review_steps=list(round_.review_steps) if round_.review_steps else None,
        ),
        units=unit_specs,
        contacts=[
            ContactSpec(
                code=c.code,
                person=c.person,
                role=c.role,
                unit=c.unit.code if c.unit else None,
                urls=list(c.urls),
                rate_limit=c.rate_limit,
                digest=c.digest,
            )
            for c in loose
        ],
        problems=problem_specs,
    )


def _unit_specs(
    session: Session, used_units: dict[str, Unit], use_unit: Callable[[Unit], None]
) -> list[UnitSpec]:
    """The specs of the units a round uses, with the members of its collectives (they are used too)."""
    members = members_of(session, [u.id for u in used_units.values()])
    for listed in list(members.values()):
        for member in listed:
            use_unit(member)
    unit_specs = []
    for unit in sorted(used_units.values(), key=lambda u: u.id):
        in_collective = unit.parent is not None and unit.parent.kind == UnitKind.COLLECTIVE
        unit_specs.append(
            UnitSpec(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                # A member's parent is written as its collective's members: list.
                parent=unit.parent.code if unit.parent and not in_collective else None,
                contacts=[
                    ContactSpec(
                        code=c.code,
                        person=c.person,
                        role=c.role,
                        urls=list(c.urls),
                        rate_limit=c.rate_limit,
                        digest=c.digest,
                    )
                    for c in unit.contacts
                ],
                members=[m.code for m in members.get(unit.id, [])],
                reports_for_members=unit.reports_for_members,
            )
        )
    return unit_specs


class _PlanDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PlanDumper.add_representer(str, _str_representer)


def dump_plan(plan: PlanDocument) -> str:
    """YAML text of a plan, readable and loadable again to the same ledger."""
    data = plan.model_dump(mode="json", exclude_defaults=False)
    if not data["round"].get("review_steps"):
        data["round"].pop("review_steps", None)  # one step (销号): the plan says nothing
    for problem in data.get("problems", []):
        for measure in problem.get("measures", []):
            if measure.get("reminders") is None:
                measure.pop("reminders", None)  # only a measure with its own reminders lists them
    for unit in data.get("units", []):
        for name in ("members", "reports_for_members"):
            if not unit.get(name):
                unit.pop(name, None)  # only a collective lists members or reports for them
    for contact in [c for unit in data.get("units", []) for c in unit.get("contacts", [])] + data.get(
        "contacts", []
    ):
        if contact.get("rate_limit") is None:
            contact.pop("rate_limit", None)  # only a contact with its own limit says so
        if contact.get("digest") == "per_message":
            contact.pop("digest", None)  # only a contact who reads a daily digest says so
    return dump_plan_data(data)


def dump_plan_data(data: dict[str, Any]) -> str:
    """YAML text of a plan's data as ``PlanDocument.model_dump(mode="json")`` gives it (a plan still to
    be completed may hold nulls where a value is required)."""
    # Dates stay YAML dates, not quoted strings.
    return yaml.dump(
        _restore_dates(data), Dumper=_PlanDumper, allow_unicode=True, sort_keys=False, width=1000
    )


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _restore_dates(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _restore_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_dates(v) for v in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value)
    return value


def export_plan(session: Session, round_code: str) -> str:
    """The YAML plan of a round as the ledger holds it now."""
    return dump_plan(plan_document(session, round_code))
