"""督办单 without a reply by their deadline move the ladder on: the sheets still unanswered read from the ledger,
each measure's next step planned (``models.follow_ups.plan_unanswered``) and recorded like the sweep's.

A sheet's next step is keyed on its own ladder, so a sweep that runs again, or the ladder reaching the same
step by days overdue, records nothing twice; the step issues its own 督办单, as every step does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.duban import NEXT_LEVEL
from models.follow_ups import UnansweredSheet, plan_unanswered
from models.measure_view import share_view
from models.notifications import EscalationStep, PlannedMessage, Policy, next_allowed
from models.tables import DubanResponse, DubanSheet, Measure, Problem, Round, Unit
from tasks.ledger.queries import live_measures, views_of
from tasks.notify.planner import PlanResult, recipients_of, record_messages, unit_recipients

REPLY = "reply"
SILENCE = "silence-"
UNSIGNED = "unsigned-"


def _anchor(step_key: str) -> str:
    """The ladder a sheet's step climbed (``escalation|M|<anchor>|blue``): a deadline or ``silence-…``."""
    parts = step_key.split("|")
    return parts[2] if len(parts) == 4 else ""


def unanswered_sheet(sheet: DubanSheet) -> UnansweredSheet:
    """A sheet as the ladder reads it; its silence or 签收 anchor parsed back from its step's key."""
    anchor = _anchor(sheet.step_key)
    since = (
        datetime.strptime(anchor[len(SILENCE) :], "%Y-%m-%dT%H:%M") if anchor.startswith(SILENCE) else None
    )
    return UnansweredSheet(
        number=sheet.number,
        level=sheet.level,
        reply_by=sheet.reply_by,
        deadline=sheet.deadline,
        silent_since=since,
        missed_periods=sheet.missed_periods,
        unsigned=anchor[len(UNSIGNED) :] if anchor.startswith(UNSIGNED) else None,
        unsigned_workdays=sheet.unsigned_workdays,
    )


def overdue_sheets(
    session: Session, today: date, *, round_code: str | None = None, measure_code: str | None = None
) -> list[DubanSheet]:
    """Sheets below red whose reply deadline is before ``today`` and that have no reply, oldest first."""
    replied = select(DubanResponse.sheet_id).where(DubanResponse.kind == REPLY)
    query = (
        select(DubanSheet)
        .where(
            DubanSheet.level.in_(list(NEXT_LEVEL)),
            DubanSheet.reply_by < today,
            DubanSheet.measure_id.is_not(None),
            DubanSheet.id.not_in(replied),
        )
        .order_by(DubanSheet.year, DubanSheet.serial)
    )
    if measure_code is not None:
        query = query.where(DubanSheet.measure_code == measure_code)
    if round_code is not None:
        query = query.where(DubanSheet.round_code == round_code)
    return list(session.scalars(query))


def plan_unanswered_sheets(
    session: Session,
    clock: Clock,
    policy: Policy,
    *,
    round_code: str | None = None,
    measure_code: str | None = None,
    actor: str = "sweep",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Plan and record the next step of every sheet unanswered past its deadline; the caller commits."""
    due = clock.at(next_allowed(clock, policy))
    sheets = overdue_sheets(session, due.today, round_code=round_code, measure_code=measure_code)
    if not sheets:
        return PlanResult()
    codes = sorted({sheet.measure_code for sheet in sheets})
    measures = [
        m
        for m in live_measures(
            session,
            measure_code=measure_code,
            load=(
                selectinload(Measure.lead_unit).selectinload(Unit.contacts),
                selectinload(Measure.co_units).selectinload(Unit.contacts),
                selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.coordinator),
                selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.head),
            ),
        )
        if m.code in codes
    ]
    views = dict(zip((m.id for m in measures), views_of(session, measures, due), strict=True))
    by_id = {m.id: m for m in measures}
    members = {
        unit.code: unit
        for unit in session.scalars(
            select(Unit)
            .where(Unit.code.in_({s.member for s in sheets if s.member}))
            .options(selectinload(Unit.contacts))
        )
    }
    messages: list[PlannedMessage] = []
    steps: list[EscalationStep] = []
    for sheet in sheets:
        measure = by_id.get(sheet.measure_id or -1)
        if measure is None:
            continue  # removed from the plan
        view, recipients = views[measure.id], recipients_of(measure)
        if sheet.member:
            share = next((s for s in view.members if s.code == sheet.member), None)
            if share is None:
                continue
            view = share_view(view, share)
            recipients = replace(recipients, unit=unit_recipients(members.get(sheet.member)))
        plan = plan_unanswered(view, recipients, clock, policy, unanswered_sheet(sheet), member=sheet.member)
        messages += plan.messages
        steps += plan.escalations
    return record_messages(session, messages, steps, now=clock.now, actor=actor, flow_run_id=flow_run_id)
