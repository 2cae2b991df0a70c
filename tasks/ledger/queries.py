"""Reading the ledger: live measures, the latest standing report of each, measures as of a moment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.elements import ColumnElement

from models.cadence import effective_cadence
from models.clock import Clock
from models.collectives import LEAD, MemberShare, missing_of
from models.enums import MeasureStatus, ReportStatus, UnitKind
from models.errors import UnknownRound, UnknownUnit
from models.measure_view import MeasureView
from models.periods import missing_period
from models.rules import derive_state
from models.tables import Measure, Problem, Report, Round, Unit, measure_co_units
from models.text import sanitise_text
from models.workdays import counted_provisionally


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
        # A member of a collective owns what its collective owns.
        ids = [unit.id] + (
            [unit.parent.id] if unit.parent and unit.parent.kind == UnitKind.COLLECTIVE else []
        )
        owned: ColumnElement[bool] = Measure.lead_unit_id.in_(ids)
        if with_co_units:
            co_owned = select(measure_co_units.c.measure_id).where(measure_co_units.c.unit_id.in_(ids))
            owned = or_(owned, Measure.id.in_(co_owned))
        query = query.where(owned)
    if problem_ordinal is not None:
        query = query.where(Problem.ordinal == problem_ordinal)
    if measure_code is not None:
        query = query.where(Measure.code == measure_code)
    return list(session.scalars(query))


def measure_views(
    session: Session,
    clock: Clock,
    *,
    round_code: str | None = None,
    unit_code: str | None = None,
    with_co_units: bool = False,
    problem_ordinal: int | None = None,
    measure_code: str | None = None,
) -> list[MeasureView]:
    """Every live measure (filtered as ``live_measures``) as of the clock's now, judged then."""
    measures = live_measures(
        session,
        round_code=round_code,
        unit_code=unit_code,
        with_co_units=with_co_units,
        problem_ordinal=problem_ordinal,
        measure_code=measure_code,
    )
    return views_of(session, measures, clock)


def views_of(
    session: Session,
    measures: Sequence[Measure],
    clock: Clock,
    *,
    statuses: Mapping[int, MeasureStatus] | None = None,
    judge: bool = True,
) -> list[MeasureView]:
    """``measures`` as of the clock's now: each with its latest report then (one query for all).

    ``statuses`` replaces the stored status (the notice's status as of its date, by measure id);
    ``judge`` adds the cadence period still owed and the derived state (the notice reads facts only).
    """
    from tasks.ledger.collectives import member_shares

    latest = latest_reports(session, measure_ids=(m.id for m in measures), as_of=clock.now)
    shares = member_shares(session, measures, clock) if judge else {}
    return [
        measure_view(
            measure,
            latest.get(measure.id),
            clock,
            status=statuses.get(measure.id) if statuses is not None else None,
            judge=judge,
            members=shares.get(measure.id, ()),
        )
        for measure in measures
    ]


def measure_view(
    measure: Measure,
    report: LatestReport | None,
    clock: Clock,
    *,
    status: MeasureStatus | None = None,
    judge: bool = True,
    members: tuple[MemberShare, ...] = (),
) -> MeasureView:
    """One measure (its problem, round, owners and leader loaded) as of the clock's now. A measure a
    collective with members leads owes its reports member by member (``members``, judged).

    Its texts pass ``models.text.sanitise_text``: a row stored before the intake rule (a NUL, an ESC) is
    shown without its control characters, so it never stops a notice, an export or a terminal.
    """
    problem, lead, leader = measure.problem, measure.lead_unit, measure.leader
    view = MeasureView(
        code=measure.code,
        ordinal=measure.ordinal,
        marker=measure.marker,
        lead_unit=sanitise_text(lead.name) if lead else None,
        deadline=measure.deadline,
        status=status if status is not None else measure.status,
        text=sanitise_text(measure.text),
        id=measure.id,
        deadline_spec=measure.deadline_spec,
        reminder_offsets=None if measure.reminder_offsets is None else tuple(measure.reminder_offsets),
        # 长期坚持 without a cadence: the round's ongoing cadence (asked for progress like any cadence)
        cadence=effective_cadence(measure.cadence, measure.deadline, problem.round.ongoing_cadence),
        problem_ordinal=problem.ordinal,
        problem_title=sanitise_text(problem.title),
        problem_description=sanitise_text(problem.description),
        round_id=problem.round_id,
        round_code=problem.round.code,
        feedback_date=problem.round.feedback_date,
        lead_unit_id=measure.lead_unit_id,
        lead_unit_code=lead.code if lead else None,
        co_units=tuple(sanitise_text(u.name) for u in measure.co_units),
        leader_code=leader.code if leader else None,
        leader_person=leader.person if leader else None,
        leader_role=leader.role if leader else "",
        last_report_at=report.submitted_at if report else None,
        last_report_text=sanitise_text(report.text) if report else None,
        members=members,
    )
    if not judge:
        return view
    if any(share.role == LEAD for share in members):
        missing = missing_of(members)
    else:
        missing = missing_period(
            view.cadence,
            since=problem.round.feedback_date,
            last_report_at=view.last_report_at,
            clock=clock,
        )
    assessment = derive_state(view, clock, report_missing=missing is not None)
    provisional = view.deadline is not None and counted_provisionally(
        clock.calendar, clock.today, view.deadline
    )
    return replace(view, missing_period=missing, assessment=assessment, provisional=provisional)


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


def round_codes(session: Session) -> list[str]:
    """The codes of every round in the ledger, sorted."""
    return list(session.scalars(select(Round.code).order_by(Round.code)))


def only_round(session: Session, round_code: str | None) -> str:
    """``round_code`` as given, or the ledger's only round when none is named; ``UnknownRound`` naming the
    rounds to choose from (or saying there is none) otherwise."""
    codes = round_codes(session)
    if round_code is not None:
        if round_code not in codes:
            listed = f": the ledger has {', '.join(codes)}" if codes else ": the ledger has no round yet"
            raise UnknownRound(f"no round '{round_code}'{listed}")
        return round_code
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise UnknownRound("the ledger has no round yet: load a plan first (zhenggai plan load)")
    raise UnknownRound(f"the ledger has {len(codes)} rounds: name one with --round ({', '.join(codes)})")
