"""Recording a closed period's messages in the delivery log: the ranking to the round's leaders, and to
each unit its own score with its deductions. Sending is the outbox's (``tasks.notify.outbox``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assessment import Ranking
from models.assessment_messages import plan_assessment_messages
from models.clock import Clock
from models.notifications import Policy, Recipient
from models.tables import Round, Unit
from tasks.assessment.gather import find_round
from tasks.ledger.queries import live_measures
from tasks.notify.planner import PlanResult, contact_recipient, record_messages, unit_recipients


def leaders_of(session: Session, round_code: str) -> list[Recipient]:
    """Who reads the ranking: the round's head and coordinator's office, and every responsible leader."""
    round_ = session.scalar(
        select(Round)
        .where(Round.code == round_code)
        .options(selectinload(Round.head), selectinload(Round.coordinator))
    )
    contacts = [round_.head, round_.coordinator] if round_ is not None else []
    contacts += [m.leader for m in live_measures(session, round_code=round_code)]
    seen: set[str] = set()
    out = []
    for contact in contacts:
        recipient = contact_recipient(contact)
        if recipient is not None and recipient.urls and recipient.code not in seen:
            seen.add(recipient.code)
            out.append(recipient)
    return out


def record_assessment_messages(
    session: Session, ranking: Ranking, clock: Clock, policy: Policy, *, actor: str = "assess_units"
) -> PlanResult:
    """Record (once per key) the messages of a period's ranking; the caller commits."""
    find_round(session, ranking.round_code)
    codes = [s.code for s in ranking.scores if s.asked]
    units = {
        unit.code: (unit.id, unit_recipients(unit))
        for unit in session.scalars(
            select(Unit).where(Unit.code.in_(codes)).options(selectinload(Unit.contacts))
        )
    }
    messages = plan_assessment_messages(
        ranking, leaders=leaders_of(session, ranking.round_code), units=units, clock=clock, policy=policy
    )
    return record_messages(session, messages, now=clock.now, actor=actor)
