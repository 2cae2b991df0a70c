"""Reading the ledger: live measures, the latest standing report of each, the status overview."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from models.enums import MeasureStatus, ReportStatus
from models.errors import UnknownRound, UnknownUnit
from models.rules import Assessment, Light, MeasureState, derive_state
from models.tables import Measure, Problem, Report, Round, Unit, measure_co_units
from models.workdays import WorkingCalendar


def end_of_day(day: date, timezone: str) -> datetime:
    """The last instant of a local day, as an aware datetime (reports up to then count for that day)."""
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class LatestReport:
    """A measure's latest standing report: the columns its readers need."""

    measure_id: int
    report_id: int
    submitted_at: datetime
    text: str
    claimed_status: ReportStatus


def latest_reports(
    session: Session,
    *,
    as_of: datetime | None = None,
    measure_ids: Iterable[int] | None = None,
    round_id: int | None = None,
) -> dict[int, LatestReport]:
    """Per measure, its latest report submitted up to ``as_of`` that no report submitted up to then
    supersedes (a correction replaces what it corrects from its own submission on).

    The measures are ``measure_ids`` (removed ones too) or the live measures of round ``round_id``. One
    statement returns one row per measure (a window function), however many reports there are.
    """
    superseding = aliased(Report)
    later_correction = exists().where(superseding.supersedes_id == Report.id)
    ranked = select(
        Report.measure_id,
        Report.id.label("report_id"),
        Report.submitted_at,
        Report.text,
        Report.claimed_status,
        func.row_number()
        .over(partition_by=Report.measure_id, order_by=(Report.submitted_at.desc(), Report.id.desc()))
        .label("rank"),
    )
    if as_of is not None:
        ranked = ranked.where(Report.submitted_at <= as_of)
        later_correction = later_correction.where(superseding.submitted_at <= as_of)
    ranked = ranked.where(~later_correction)
    if measure_ids is not None:
        ids = list(measure_ids)
        if not ids:
            return {}
        ranked = ranked.where(Report.measure_id.in_(ids))
    elif round_id is not None:
        ranked = (
            ranked.join(Measure, Measure.id == Report.measure_id)
            .join(Problem, Problem.id == Measure.problem_id)
            .where(Problem.round_id == round_id, Measure.removed_at.is_(None), Problem.removed_at.is_(None))
        )
    else:
        raise ValueError("latest_reports needs measure_ids or round_id")
    table = ranked.subquery()
    rows = session.execute(
        select(
            table.c.measure_id, table.c.report_id, table.c.submitted_at, table.c.text, table.c.claimed_status
        ).where(table.c.rank == 1)
    )
    return {row.measure_id: LatestReport(*row) for row in rows}


@dataclass(frozen=True)
class MeasureRow:
    """One line of the status overview."""

    code: str
    round_code: str
    feedback_date: date
    problem_ordinal: int
    problem_title: str
    ordinal: int
    marker: str
    text: str
    lead_unit: str | None  # name
    lead_unit_code: str | None
    co_units: tuple[str, ...]
    leader: str | None
    deadline: date | None
    deadline_spec: str
    cadence: str | None
    status: MeasureStatus
    assessment: Assessment
    last_report_at: datetime | None
    last_report_text: str | None

    @property
    def state(self) -> MeasureState:
        return self.assessment.state

    @property
    def light(self) -> Light:
        return self.assessment.light


def live_measures(
    session: Session,
    *,
    round_code: str | None = None,
    unit_code: str | None = None,
    with_co_units: bool = False,
    problem_ordinal: int | None = None,
    measure_code: str | None = None,
    load: Sequence[ORMOption] = (),
) -> list[Measure]:
    """Measures not removed from their plan, in notice order, with what the overview shows loaded.

    ``unit_code`` keeps the measures the unit leads, and with ``with_co_units`` also those it co-owns.
    ``load`` adds loader options for what a caller reads beyond that (contacts, the round's people…).
    """
    query = (
        select(Measure)
        .join(Measure.problem)
        .join(Problem.round)
        .where(Measure.removed_at.is_(None), Problem.removed_at.is_(None))
        .options(
            selectinload(Measure.lead_unit),
            selectinload(Measure.co_units),
            selectinload(Measure.leader),
            selectinload(Measure.problem).selectinload(Problem.round),
            *load,
        )
        .order_by(Round.code, Problem.ordinal, Measure.ordinal)
    )
    if round_code is not None:
        if session.scalar(select(Round.id).where(Round.code == round_code)) is None:
            raise UnknownRound(f"no round '{round_code}'")
        query = query.where(Round.code == round_code)
    if unit_code is not None:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise UnknownUnit(f"no unit '{unit_code}'")
        owned = Measure.lead_unit_id == unit.id
        if with_co_units:
            co_owned = select(measure_co_units.c.measure_id).where(measure_co_units.c.unit_id == unit.id)
            owned = or_(owned, Measure.id.in_(co_owned))
        query = query.where(owned)
    if problem_ordinal is not None:
        query = query.where(Problem.ordinal == problem_ordinal)
    if measure_code is not None:
        query = query.where(Measure.code == measure_code)
    return list(session.scalars(query))


def measure_overview(
    session: Session,
    *,
    today: date,
    calendar: WorkingCalendar,
    timezone: str,
    due_soon_workdays: int = 5,
    round_code: str | None = None,
    unit_code: str | None = None,
    with_co_units: bool = False,
    problem_ordinal: int | None = None,
    measure_code: str | None = None,
    report_missing: Callable[[Measure, Report | None, date], bool] | None = None,
) -> list[MeasureRow]:
    """Every live measure with its derived state and light as of ``today`` (reports up to its end).

    ``report_missing`` decides whether the measure's current cadence period lacks a report; by
    default the cadence rule (``models.cadence.report_missing_rule``), so no overview forgets it.
    """
    if report_missing is None:
        from models.periods import report_missing_rule

        report_missing = report_missing_rule(calendar, timezone)
    measures = live_measures(
        session,
        round_code=round_code,
        unit_code=unit_code,
        with_co_units=with_co_units,
        problem_ordinal=problem_ordinal,
        measure_code=measure_code,
    )
    latest = latest_reports(session, measure_ids=(m.id for m in measures), as_of=end_of_day(today, timezone))
    rows = []
    for measure in measures:
        report = latest.get(measure.id)
        missing = report_missing(measure, report, today)
        assessment = derive_state(
            measure, today, calendar, due_soon_workdays=due_soon_workdays, report_missing=missing
        )
        rows.append(
            MeasureRow(
                code=measure.code,
                round_code=measure.problem.round.code,
                feedback_date=measure.problem.round.feedback_date,
                problem_ordinal=measure.problem.ordinal,
                problem_title=measure.problem.title,
                ordinal=measure.ordinal,
                marker=measure.marker,
                text=measure.text,
                lead_unit=measure.lead_unit.name if measure.lead_unit else None,
                lead_unit_code=measure.lead_unit.code if measure.lead_unit else None,
                co_units=tuple(u.name for u in measure.co_units),
                leader=(measure.leader.role or measure.leader.person) if measure.leader else None,
                deadline=measure.deadline,
                deadline_spec=measure.deadline_spec,
                cadence=measure.cadence,
                status=measure.status,
                assessment=assessment,
                last_report_at=report.submitted_at if report else None,
                last_report_text=report.text if report else None,
            )
        )
    return rows


def rounds_with_plans(session: Session, round_code: str | None = None) -> list[Round]:
    """Rounds with their live problems and measures loaded (owners included), by code."""
    query = (
        select(Round)
        .order_by(Round.code)
        .options(selectinload(Round.problems).selectinload(Problem.measures).selectinload(Measure.lead_unit))
    )
    if round_code is not None:
        query = query.where(Round.code == round_code)
    rounds = list(session.scalars(query))
    if round_code is not None and not rounds:
        raise UnknownRound(f"no round '{round_code}'")
    return rounds
