"""The coordinator's office told about the installation: next year's holiday arrangement missing, a run
that failed. Recorded in the delivery log (sent by the outbox, like every message); the caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.notifications import Policy, Recipient
from models.office_messages import plan_calendar_warning, plan_run_failed
from models.tables import Round
from models.workdays import CalendarWarning, ChinaCalendar, missing_calendar_warning
from tasks.notify.planner import PlanResult, contact_recipient, record_messages


def coordinator_offices(session: Session) -> list[Recipient]:
    """Every round's coordinator's office with an address, once each."""
    rounds = session.scalars(select(Round).options(selectinload(Round.coordinator)).order_by(Round.id))
    seen: set[str] = set()
    out = []
    for round_ in rounds:
        recipient = contact_recipient(round_.coordinator)
        if recipient is not None and recipient.urls and recipient.code not in seen:
            seen.add(recipient.code)
            out.append(recipient)
    return out


def record_calendar_warning(
    session: Session, clock: Clock, policy: Policy, *, actor: str = "housekeeping"
) -> tuple[CalendarWarning | None, PlanResult]:
    """From 1 November, when next year has no official data: the week's message to the offices."""
    calendar = clock.calendar
    warning = missing_calendar_warning(clock.today, calendar) if isinstance(calendar, ChinaCalendar) else None
    if warning is None:
        return None, PlanResult()
    messages = plan_calendar_warning(warning, coordinator_offices(session), clock, policy)
    return warning, record_messages(session, messages, now=clock.now, actor=actor)


def record_run_failed(
    session: Session, run: dict[str, str], clock: Clock, policy: Policy, *, actor: str = "run_failed"
) -> PlanResult:
    """The message about one failed or crashed run, to the offices."""
    messages = plan_run_failed(run, coordinator_offices(session), clock, policy)
    return record_messages(session, messages, now=clock.now, actor=actor)
