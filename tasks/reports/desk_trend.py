"""The desk's weekly trend read from the ledger: each measure's status changes and reports, replayed by
``models.trend.weekly_trend`` (two statements for a whole round, whatever its size)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models.clock import Clock
from models.collectives import LEAD
from models.enums import EventKind, MeasureStatus, ReportStatus
from models.measure_view import MeasureView
from models.tables import Measure, Problem, Report, StatusEvent
from models.trend import MeasureHistory, ReportFact, WeekPoint, weekly_trend
from tasks.ledger.queries import measure_views

STATUSES = frozenset(status.value for status in MeasureStatus)


def measure_histories(session: Session, views: Sequence[MeasureView]) -> list[MeasureHistory]:
    """Each measure's history (``views`` as of now: status, deadline, cadence, member shares): its status
    changes and its reports, read for the rounds of the views."""
    rounds = {v.round_id for v in views if v.round_id is not None}
    if not rounds:
        return []
    changes: dict[int, list[tuple[datetime, MeasureStatus]]] = {}
    for measure_id, at, to_value in session.execute(
        select(StatusEvent.measure_id, StatusEvent.at, StatusEvent.to_value)
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id.in_(rounds),
            StatusEvent.kind == EventKind.STATUS,
            StatusEvent.to_value.is_not(None),
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    ):
        if to_value in STATUSES:
            changes.setdefault(measure_id, []).append((at, MeasureStatus(to_value)))
    superseded = aliased(Report)
    reports: dict[int, list[tuple[int | None, ReportFact]]] = {}
    for measure_id, unit_id, at, claimed, superseded_claim in session.execute(
        select(
            Report.measure_id,
            Report.unit_id,
            Report.submitted_at,
            Report.claimed_status,
            superseded.claimed_status,
        )
        .join(Measure, Measure.id == Report.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .outerjoin(superseded, superseded.id == Report.supersedes_id)
        .where(Problem.round_id.in_(rounds))
        .order_by(Report.submitted_at, Report.id)
    ):
        fact = ReportFact(at, claimed == ReportStatus.DONE, superseded_claim == ReportStatus.DONE)
        reports.setdefault(measure_id, []).append((unit_id, fact))
    histories = []
    for view in views:
        if view.feedback_date is None:  # read without its round: no week to place it in
            continue
        own = reports.get(view.id, []) if view.id is not None else []
        owed: list[tuple[datetime, ...]] = []
        # As the overview counts: a collective's lead measure owes its reports member by member only;
        # a measure it co-owns owes its own too (tasks.ledger.queries.measure_view).
        if not any(share.role == LEAD for share in view.members):
            owed.append(tuple(fact.at for _unit, fact in own))
        for share in view.members:
            owed.append(tuple(fact.at for unit_id, fact in own if unit_id == share.unit_id))
        histories.append(
            MeasureHistory(
                status=view.status,
                deadline=view.deadline,
                cadence=view.cadence,
                since=view.feedback_date,
                status_changes=tuple(changes.get(view.id, ())) if view.id is not None else (),
                reports=tuple(fact for _unit, fact in own),
                owed=tuple(owed),
            )
        )
    return histories


def round_trend(
    session: Session,
    clock: Clock,
    round_code: str,
    views: Sequence[MeasureView] | None = None,
    *,
    past_only: bool = False,
) -> tuple[WeekPoint, ...]:
    """The round's weekly trend of done, overdue and missing reports, from its feedback date to now
    (``past_only``: the weeks before the current one); ``views``: the round's measures as of now when
    the caller has them (the overview)."""
    if views is None:
        views = measure_views(session, clock, round_code=round_code)
    start = min((v.feedback_date for v in views if v.feedback_date is not None), default=None)
    if start is None:
        return ()
    return weekly_trend(measure_histories(session, views), clock, start, past_only=past_only)
