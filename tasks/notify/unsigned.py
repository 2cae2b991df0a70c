"""签收 pending is chased: every owner the portal lets sign for a live measure's current assignment (the lead
unit, each co-unit, and in their stead each member of a collective owner) that has not signed within
``Settings.ack_chase_after`` working days gets one reminder; lead signers then climb the ladder
(``models.follow_ups.plan_unsigned``), recorded like the sweep's messages and steps, once per assignment.

The unsigned days count from the later of the measure's creation and the signing unit's last 签收 of an
earlier assignment (a changed assignment is signed for again).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assignments import assignment_fingerprint
from models.clock import Clock
from models.collectives import CO, LEAD
from models.follow_ups import Signer, plan_unsigned
from models.measure_view import MeasureView, share_view
from models.notifications import EscalationStep, PlannedMessage, Policy, Recipients, next_allowed
from models.rules import is_finished
from models.tables import Acknowledgement, Measure, Problem, Round, Unit
from tasks.ledger.queries import live_measures, views_of
from tasks.notify.planner import PlanResult, member_units, recipients_of, record_messages, unit_recipients


def _signatures(
    session: Session, measures: list[Measure]
) -> dict[tuple[int, int], list[tuple[str, datetime]]]:
    """Every 签收 on ``measures``: (measure, unit) → [(assignment, when)]."""
    signed: dict[tuple[int, int], list[tuple[str, datetime]]] = {}
    query = select(Acknowledgement).where(Acknowledgement.measure_id.in_([m.id for m in measures]))
    for ack in session.scalars(query):
        signed.setdefault((ack.measure_id, ack.unit_id), []).append((ack.assignment, ack.acknowledged_at))
    return signed


def signers(
    measure: Measure, view: MeasureView, members: dict[str, Unit]
) -> Iterator[tuple[Unit, Signer, MeasureView]]:
    """Who owes a 签收 on ``measure``: each owner, a collective with members replaced by its members (as the
    planner fans a collective's measure out), each with the view it is told about (a lead member: its share)."""
    owners = [(measure.lead_unit, LEAD)] if measure.lead_unit is not None else []
    owners += [(unit, CO) for unit in measure.co_units]
    for unit, role in owners:
        shares = [s for s in view.members if s.collective_code == unit.code and s.role == role]
        if not shares:
            yield unit, Signer(unit.id, co=role == CO), view
        for share in shares:
            member = members.get(share.code)
            if member is not None:
                told = share_view(view, share) if role == LEAD else view
                yield member, Signer(member.id, member=share.code, co=role == CO), told


def plan_unsigned_assignments(
    session: Session,
    clock: Clock,
    policy: Policy,
    *,
    round_code: str | None = None,
    measure_code: str | None = None,
    actor: str = "sweep",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Plan and record the chase of every owner's pending 签收 (nothing when ``ack_chase_after`` is 0)."""
    if policy.ack_chase_after <= 0:
        return PlanResult()
    due = clock.at(next_allowed(clock, policy))
    measures = [
        m
        for m in live_measures(
            session,
            round_code=round_code,
            measure_code=measure_code,
            load=(
                selectinload(Measure.lead_unit).selectinload(Unit.contacts),
                selectinload(Measure.co_units).selectinload(Unit.contacts),
                selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.coordinator),
                selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.head),
            ),
        )
        if m.lead_unit_id is not None and not is_finished(m.status)
    ]
    signed = _signatures(session, measures)
    views = views_of(session, measures, due)
    members = member_units(session, views)
    messages: list[PlannedMessage] = []
    steps: list[EscalationStep] = []
    for measure, view in zip(measures, views, strict=True):
        fingerprint = assignment_fingerprint(
            measure.text, measure.deadline, measure.lead_unit_id, (u.id for u in measure.co_units)
        )
        recipients = recipients_of(measure)
        for unit, signer, told in signers(measure, view, members):
            earlier = signed.get((measure.id, unit.id), [])
            if any(assignment == fingerprint for assignment, _at in earlier):
                continue
            since = max([measure.created_at, *(at for _a, at in earlier)])
            plan = plan_unsigned(
                told,
                _to_signer(recipients, unit),
                clock,
                policy,
                assignment=fingerprint,
                since=due.local_day(since),
                signer=signer,
            )
            messages += plan.messages
            steps += plan.escalations
    return record_messages(session, messages, steps, now=clock.now, actor=actor, flow_run_id=flow_run_id)


def _to_signer(recipients: Recipients, unit: Unit) -> Recipients:
    """The measure's recipients with the signing unit's contacts as the unit told."""
    return replace(recipients, unit=unit_recipients(unit))
