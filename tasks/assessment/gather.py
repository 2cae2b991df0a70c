"""The records a round's units are scored on in a period, read from the ledger in a handful of statements.

Reports, status changes, escalation steps and reviews come from their tables; 签收, approved
extensions and collective members through ``tasks.assessment.sources``. The rules that turn them
into facts are the ledger's own: cadence periods and the missing-report rule (``models.periods``),
"overdue" (``models.rules.is_overdue`` through ``models.assessment.overdue_days``).

What is judged as of when: events (completion, escalation, review, extension) and overdue days count
when they fall in the period and before ``as_of``; a cadence period due in the period is judged as
of ``as_of``, so a report that arrives after the period ends, while that period is still the one
due, counts as late when the period is closed after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assessment import (
    Adjustment,
    Colour,
    EscalationRecord,
    ExtensionRecord,
    Period,
    ReportPeriodRecord,
    ReviewDecision,
    ReviewRecord,
    Role,
    ShareRecord,
    StatusTimeline,
    UnitRecord,
    ack_late_days,
    overdue_days,
)
from models.clock import Clock
from models.collectives import member_moves
from models.enums import EventKind, MeasureStatus, ReportStatus
from models.errors import UnknownRound
from models.notifications import escalation_member
from models.periods import cadence_periods, report_outcome
from models.tables import AssessmentAdjustment, Measure, Problem, Report, Round, StatusEvent, Unit
from tasks.assessment import sources
from tasks.ledger.collectives import latest_member_claims
from tasks.ledger.queries import live_measures

COLOURS = {"blue": Colour.BLUE, "yellow": Colour.YELLOW, "red": Colour.RED}
REVIEWS = {"return": ReviewDecision.RETURNED, "accept": ReviewDecision.CLOSED}


@dataclass
class _MeasureHistory:
    moves: list[tuple[datetime, MeasureStatus]]
    escalations: list[tuple[EscalationRecord, str | None]]  # with the member of a collective it chased
    reviews: list[ReviewRecord]


def find_round(session: Session, round_code: str) -> Round:
    """The round with this code (``UnknownRound`` otherwise)."""
    round_ = session.scalar(select(Round).where(Round.code == round_code))
    if round_ is None:
        raise UnknownRound(f"no round '{round_code}'")
    return round_


def _histories(session: Session, round_id: int, as_of: datetime) -> dict[int, _MeasureHistory]:
    rows = session.execute(
        select(
            StatusEvent.measure_id,
            StatusEvent.kind,
            StatusEvent.at,
            StatusEvent.to_value,
            StatusEvent.dedupe_key,
        )
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id == round_id,
            StatusEvent.kind.in_([EventKind.STATUS, EventKind.ESCALATION, EventKind.REVIEW]),
            StatusEvent.at <= as_of,
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    )
    out: dict[int, _MeasureHistory] = defaultdict(lambda: _MeasureHistory([], [], []))
    for measure_id, kind, at, to_value, dedupe_key in rows:
        history = out[measure_id]
        if kind == EventKind.STATUS and to_value:
            history.moves.append((at, MeasureStatus(to_value)))
        elif kind == EventKind.ESCALATION and to_value in COLOURS:
            history.escalations.append(
                (EscalationRecord(at, COLOURS[to_value]), escalation_member(dedupe_key))
            )
        elif kind == EventKind.REVIEW and to_value in REVIEWS:
            history.reviews.append(ReviewRecord(at, REVIEWS[to_value]))
    return out


def _report_times(
    session: Session, round_id: int, as_of: datetime
) -> tuple[dict[int, list[datetime]], dict[tuple[int, int], list[datetime]]]:
    """Submission moments per measure, and per (measure, unit) for members reporting on their own."""
    rows = session.execute(
        select(Report.measure_id, Report.unit_id, Report.submitted_at)
        .join(Measure, Measure.id == Report.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(Problem.round_id == round_id, Report.submitted_at <= as_of)
        .order_by(Report.submitted_at, Report.id)
    )
    by_measure: dict[int, list[datetime]] = defaultdict(list)
    by_unit: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for measure_id, unit_id, submitted_at in rows:
        by_measure[measure_id].append(submitted_at)
        if unit_id is not None:
            by_unit[(measure_id, unit_id)].append(submitted_at)
    return by_measure, by_unit


def adjustments_of(session: Session, round_id: int, period: Period) -> dict[int, list[Adjustment]]:
    """The 加减分 recorded for a round's period, by unit id, oldest first."""
    rows = session.scalars(
        select(AssessmentAdjustment)
        .where(AssessmentAdjustment.round_id == round_id, AssessmentAdjustment.period == period.label)
        .order_by(AssessmentAdjustment.created_at, AssessmentAdjustment.id)
    )
    out: dict[int, list[Adjustment]] = defaultdict(list)
    for row in rows:
        out[row.unit_id].append(Adjustment(row.points, row.reason, row.actor, row.created_at, row.id))
    return out


def gather_units(
    session: Session, round_code: str, period: Period, clock: Clock, *, ack_allowance: int = 1
) -> list[UnitRecord]:
    """Every unit holding a share of the round's live measures, with its shares' facts in ``period`` as
    of ``clock.now``."""
    round_ = find_round(session, round_code)
    as_of = clock.now
    start = period.start(clock.timezone)
    cutoff = min(as_of, period.end(clock.timezone))
    workdays = [d for d in period.workdays(clock.calendar) if clock.start_of_day(d) < cutoff]
    measures = live_measures(session, round_code=round_code)
    ids = [m.id for m in measures]
    histories = _histories(session, round_.id, as_of)
    reports, unit_reports = _report_times(session, round_.id, as_of)
    extensions: dict[int, list[sources.ApprovedExtension]] = defaultdict(list)
    for extension in sources.approved_extensions(session, ids):
        if extension.approved_at <= as_of:
            extensions[extension.measure_id].append(extension)
    acks: dict[tuple[int, int], list[sources.Acknowledgement]] = defaultdict(list)
    for ack in sources.acknowledgements(session, ids):
        acks[(ack.measure_id, ack.unit_id)].append(ack)

    def within(moment: datetime) -> bool:
        return start <= moment < cutoff

    holders: dict[int, Unit] = {}
    owners: list[tuple[Measure, Unit, Role]] = []
    for measure in measures:
        if measure.lead_unit is not None:
            owners.append((measure, measure.lead_unit, Role.LEAD))
        owners += [(measure, unit, Role.CO) for unit in measure.co_units]
    for _measure, unit, _role in owners:
        holders[unit.id] = unit
    members = sources.collective_members(session, list(holders))
    member_ids = [m.id for listed in members.values() for m in listed]
    claims = latest_member_claims(session, ids, member_ids, as_of=as_of) if member_ids else {}

    shares: dict[str, list[ShareRecord]] = defaultdict(list)
    units: dict[str, UnitRecord] = {}
    for measure, unit, role in owners:
        history = histories.get(measure.id) or _MeasureHistory([], [], [])
        timeline = StatusTimeline(tuple(history.moves))
        granted = extensions.get(measure.id, [])
        original = granted[0].original if granted else measure.deadline
        finished = timeline.finished_since(cutoff)
        periods = (
            cadence_periods(
                measure.cadence,
                since=round_.feedback_date,
                start=start,
                end=cutoff,
                clock=clock,
            )
            if measure.cadence
            else ()
        )
        common = {
            "measure_code": measure.code,
            "role": role,
            "deadline": measure.deadline,
            "original_deadline": original,
            "completed_at": finished if finished is not None and within(finished) else None,
            "overdue_days": overdue_days(measure.deadline, timeline, workdays, clock),
            "reviews": tuple(r for r in history.reviews if within(r.at)),
            "extensions": tuple(
                ExtensionRecord(e.approved_at, e.original, e.new) for e in granted if within(e.approved_at)
            ),
            "due_in_period": measure.deadline is not None and period.first <= measure.deadline <= period.last,
        }
        holders_here: list[tuple[int, str, str, str, Unit | None]] = [
            (m.id, m.code, m.name, m.kind, unit) for m in members.get(unit.id, [])
        ] or [(unit.id, unit.code, unit.name, unit.kind.value, None)]
        for unit_id, code, name, kind, collective in holders_here:
            # A member's share carries the steps that chased it; any other share, the measure's own.
            chased = code if collective else None
            escalations = tuple(e for e, member in history.escalations if member == chased and within(e.at))
            times = unit_reports.get((measure.id, unit_id), []) if collective else reports.get(measure.id, [])
            late_acks: tuple[date, ...] = ()
            for ack in acks.get((measure.id, unit_id), []):
                late_acks += ack_late_days(
                    ack.assigned_at, ack.acknowledged_at, ack_allowance, workdays, clock
                )
            claim = claims.get((measure.id, unit_id)) if collective else None
            own = _own_facts(claim, history, measure.deadline, (start, cutoff), workdays, clock)
            shares[code].append(
                ShareRecord(
                    unit_code=code,
                    report_periods=tuple(
                        ReportPeriodRecord(p.start, p.due, *report_outcome(p, times, as_of)) for p in periods
                    ),
                    ack_late_days=tuple(sorted(set(late_acks))),
                    escalations=escalations,
                    collective=collective.name if collective else None,
                    **{**common, **own},  # type: ignore[arg-type]
                )
            )
            units.setdefault(
                code, UnitRecord(code, name, kind, collective=collective.code if collective else None)
            )
    adjustments = adjustments_of(session, round_.id, period)
    for unit in session.scalars(select(Unit).where(Unit.id.in_(list(adjustments)))):
        # A unit given 加减分 without a share of this round's measures still shows them.
        units.setdefault(unit.code, UnitRecord(unit.code, unit.name, unit.kind.value))
    unit_ids = _unit_ids(session, list(units))
    return [
        UnitRecord(
            code=record.code,
            name=record.name,
            kind=record.kind,
            shares=tuple(shares[record.code]),
            adjustments=tuple(adjustments.get(unit_ids[record.code], [])),
            collective=record.collective,
        )
        for record in sorted(units.values(), key=lambda u: u.code)
    ]


def _own_facts(
    claim: tuple[datetime, ReportStatus] | None,
    history: _MeasureHistory,
    deadline: date | None,
    window: tuple[datetime, datetime],
    workdays: list[date],
    clock: Clock,
) -> dict[str, object]:
    """A member that reported done is judged on its own: done (and no longer overdue) since its claim.
    Nothing to replace otherwise: the share carries the measure's facts."""
    if claim is None or claim[1] != ReportStatus.DONE:
        return {}
    mine = StatusTimeline(member_moves(history.moves, claim[0]))
    start, cutoff = window
    done_at = mine.finished_since(cutoff)
    return {
        "completed_at": done_at if done_at is not None and start <= done_at < cutoff else None,
        "overdue_days": overdue_days(deadline, mine, workdays, clock),
    }


def _unit_ids(session: Session, codes: Sequence[str]) -> dict[str, int]:
    if not codes:
        return {}
    return {
        code: id_ for code, id_ in session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes)))
    }
