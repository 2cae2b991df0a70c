"""签收 pending is chased: each live measure whose lead unit has not signed for its current assignment within
``Settings.ack_chase_after`` working days gets one reminder, then the ladder (``models.follow_ups.plan_unsigned``),
recorded like the sweep's messages and steps, once per assignment.

The unsigned days count from the later of the measure's creation and the lead unit's last 签收 of an earlier
assignment (a changed assignment is signed for again).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assignments import assignment_fingerprint
from models.clock import Clock
from models.follow_ups import plan_unsigned
from models.notifications import EscalationStep, PlannedMessage, Policy, next_allowed
from models.rules import is_finished
from models.tables import Acknowledgement, Measure, Problem, Round, Unit
from tasks.ledger.queries import live_measures, views_of
from tasks.notify.planner import PlanResult, recipients_of, record_messages


def _signatures(
    session: Session, measures: list[Measure]
) -> dict[tuple[int, int], list[tuple[str, datetime]]]:
    """Every 签收 on ``measures``: (measure, unit) → [(assignment, when)]."""
    signed: dict[tuple[int, int], list[tuple[str, datetime]]] = {}
    query = select(Acknowledgement).where(Acknowledgement.measure_id.in_([m.id for m in measures]))
    for ack in session.scalars(query):
        signed.setdefault((ack.measure_id, ack.unit_id), []).append((ack.assignment, ack.acknowledged_at))
    return signed


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
    """Plan and record the chase of every lead unit's pending 签收 (nothing when ``ack_chase_after`` is 0)."""
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
    messages: list[PlannedMessage] = []
    steps: list[EscalationStep] = []
    for measure, view in zip(measures, views_of(session, measures, due), strict=True):
        assert measure.lead_unit_id is not None
        fingerprint = assignment_fingerprint(
            measure.text, measure.deadline, measure.lead_unit_id, (u.id for u in measure.co_units)
        )
        earlier = signed.get((measure.id, measure.lead_unit_id), [])
        if any(assignment == fingerprint for assignment, _at in earlier):
            continue
        since = max([measure.created_at, *(at for _a, at in earlier)])
        plan = plan_unsigned(
            view, recipients_of(measure), clock, policy, assignment=fingerprint, since=due.local_day(since)
        )
        messages += plan.messages
        steps += plan.escalations
    return record_messages(session, messages, steps, now=clock.now, actor=actor, flow_run_id=flow_run_id)
