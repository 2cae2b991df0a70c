"""The desk's weekly trend read from the ledger: each measure's status changes and reports, replayed by
``models.trend.weekly_trend`` (three statements for a whole round, whatever its size)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models.cadence import effective_cadence
from models.clock import Clock
from models.collectives import LEAD
from models.enums import EventKind, MeasureStatus, ReportStatus
from models.tables import Measure, Problem, Report, Round, StatusEvent
from models.trend import MeasureHistory, ReportFact, WeekPoint, weekly_trend
from tasks.ledger.collectives import collective_owners, members_of
from tasks.ledger.queries import live_measures

STATUSES = frozenset(status.value for status in MeasureStatus)


def measure_histories(session: Session, measures: list[Measure]) -> list[MeasureHistory]:
    """Each measure's history (its problem, round and owners loaded): status changes and reports."""
    ids = [m.id for m in measures]
    if not ids:
        return []
    changes: dict[int, list[tuple[datetime, MeasureStatus]]] = {}
    for measure_id, at, to_value in session.execute(
        select(StatusEvent.measure_id, StatusEvent.at, StatusEvent.to_value)
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id.in_({m.problem.round_id for m in measures}),
            StatusEvent.kind == EventKind.STATUS,
            StatusEvent.to_value.is_not(None),
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    ):
        if to_value in STATUSES:
            changes.setdefault(measure_id, []).append((at, MeasureStatus(to_value)))
    superseded = aliased(Report)
    reports: dict[int, list[tuple[datetime, int | None, ReportFact]]] = {}
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
        .where(Problem.round_id.in_({m.problem.round_id for m in measures}))
        .order_by(Report.submitted_at, Report.id)
    ):
        fact = ReportFact(at, claimed == ReportStatus.DONE, superseded_claim == ReportStatus.DONE)
        reports.setdefault(measure_id, []).append((at, unit_id, fact))
    owners = {m.id: collective_owners(m) for m in measures}
    members = members_of(session, {unit.id for listed in owners.values() for unit, _ in listed})
    histories = []
    for measure in measures:
        own = reports.get(measure.id, [])
        owed: list[tuple[datetime, ...]] = []
        # Reports owed member by member when a collective with members owns it (as the overview counts).
        if not any(role == LEAD and members.get(unit.id) for unit, role in owners[measure.id]):
            owed.append(tuple(at for at, _unit, _fact in own))
        for collective, _role in owners[measure.id]:
            for member in members.get(collective.id, []):
                owed.append(tuple(at for at, unit_id, _fact in own if unit_id == member.id))
        round_ = measure.problem.round
        histories.append(
            MeasureHistory(
                status=measure.status,
                deadline=measure.deadline,
                cadence=effective_cadence(measure.cadence, measure.deadline, round_.ongoing_cadence),
                since=round_.feedback_date,
                status_changes=tuple(changes.get(measure.id, ())),
                reports=tuple(fact for _at, _unit, fact in own),
                owed=tuple(owed),
            )
        )
    return histories


def round_trend(session: Session, clock: Clock, round_code: str) -> tuple[WeekPoint, ...]:
    """The round's weekly trend of done, overdue and missing reports, from its feedback date to now."""
    feedback = session.scalar(select(Round.feedback_date).where(Round.code == round_code))
    measures = live_measures(session, round_code=round_code)
    if feedback is None:
        return ()
    return weekly_trend(measure_histories(session, measures), clock, feedback)
