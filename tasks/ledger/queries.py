"""Reading the ledger: live measures, the latest standing report of each, measures as of a moment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from models.cadence import effective_cadence
from models.clock import Clock
from models.collectives import LEAD, MemberShare, missing_of
from models.enums import MeasureStatus, ReportStatus, UnitKind
from models.errors import UnknownRound, UnknownUnit
from models.measure_view import MeasureView
from models.periods import missing_period
from models.rules import derive_state
from models.tables import Contact, Measure, Problem, Report, Round, Unit, measure_co_units
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


@dataclass(frozen=True)
class RoundFacts:
    """What a measure's view reads of its round."""

    id: int
    code: str
    feedback_date: date
    ongoing_cadence: str | None


@dataclass(frozen=True)
class ProblemFacts:
    """What a measure's view reads of its problem."""

    ordinal: int
    title: str
    description: str
    round_id: int
    round: RoundFacts


@dataclass(frozen=True)
class UnitFacts:
    """What a measure's view reads of an owning unit."""

    id: int
    code: str
    name: str
    kind: UnitKind


@dataclass(frozen=True)
class LeaderFacts:
    """What a measure's view reads of its responsible leader."""

    code: str
    person: str
    role: str


@dataclass(frozen=True)
class MeasureFacts:
    """A live measure as its view reads it (``measure_view`` takes it or the ORM ``Measure``): read with
    plain column statements, several times cheaper than 2,100 ORM objects with their relationships."""

    id: int
    code: str
    ordinal: int
    marker: str
    text: str
    deadline: date | None
    deadline_spec: str
    cadence: str | None
    status: MeasureStatus
    lead_unit_id: int | None
    lead_unit: UnitFacts | None
    reminder_offsets: list[int] | None
    co_units: tuple[UnitFacts, ...]
    leader: LeaderFacts | None
    problem: ProblemFacts


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
    # Ranked by ids and times only: the texts are read for the one report a measure keeps (a city round
    # ranks 21,000 reports for 2,100 measures).
    ranked = select(
        Report.id.label("report_id"),
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
    kept = aliased(Report)
    rows = session.execute(
        select(kept.measure_id, kept.id, kept.submitted_at, kept.text, kept.claimed_status)
        .join(table, table.c.report_id == kept.id)
        .where(table.c.rank == 1)
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
        .options(
            selectinload(Measure.lead_unit),
            selectinload(Measure.co_units),
            selectinload(Measure.leader),
            selectinload(Measure.problem).selectinload(Problem.round),
            *load,
        )
    )
    query = _live(
        session,
        query,
        round_code=round_code,
        unit_code=unit_code,
        with_co_units=with_co_units,
        problem_ordinal=problem_ordinal,
        measure_code=measure_code,
    )
    return list(session.scalars(query))


def live_measure_facts(
    session: Session,
    *,
    round_code: str | None = None,
    unit_code: str | None = None,
    with_co_units: bool = False,
    problem_ordinal: int | None = None,
    measure_code: str | None = None,
) -> list[MeasureFacts]:
    """``live_measures`` (same filters, same order) as ``MeasureFacts``: one statement for the measures
    with their problem, round, lead unit and leader, one for their co-units."""
    lead = aliased(Unit)
    query = (
        select(
            Measure.id,
            Measure.code,
            Measure.ordinal,
            Measure.marker,
            Measure.text,
            Measure.deadline,
            Measure.deadline_spec,
            Measure.cadence,
            Measure.status,
            Measure.lead_unit_id,
            Measure.reminder_offsets,
            lead.code.label("lead_code"),
            lead.name.label("lead_name"),
            lead.kind.label("lead_kind"),
            Contact.code.label("leader_code"),
            Contact.person.label("leader_person"),
            Contact.role.label("leader_role"),
            Problem.ordinal.label("problem_ordinal"),
            Problem.title.label("problem_title"),
            Problem.description.label("problem_description"),
            Round.id.label("round_id"),
            Round.code.label("round_code"),
            Round.feedback_date,
            Round.ongoing_cadence,
        )
        .join(Problem, Problem.id == Measure.problem_id)
        .join(Round, Round.id == Problem.round_id)
        .outerjoin(lead, lead.id == Measure.lead_unit_id)
        .outerjoin(Contact, Contact.id == Measure.leader_id)
    )
    filters: dict[str, Any] = {
        "round_code": round_code,
        "unit_code": unit_code,
        "with_co_units": with_co_units,
        "problem_ordinal": problem_ordinal,
        "measure_code": measure_code,
    }
    rows = session.execute(_live(session, query, **filters)).all()
    if not rows:
        return []
    ids = _live(session, select(Measure.id).join(Problem).join(Round), **filters, ordered=False)
    co_units: dict[int, list[UnitFacts]] = {}
    for link in session.execute(
        select(measure_co_units.c.measure_id, Unit.id, Unit.code, Unit.name, Unit.kind)
        .join(Unit, Unit.id == measure_co_units.c.unit_id)
        .where(measure_co_units.c.measure_id.in_(ids.scalar_subquery()))
        .order_by(Unit.code)  # as the relationship orders them
    ):
        co_units.setdefault(link.measure_id, []).append(UnitFacts(link.id, link.code, link.name, link.kind))
    rounds: dict[int, RoundFacts] = {}
    problems: dict[tuple[int, int], ProblemFacts] = {}
    out = []
    for row in rows:
        round_ = rounds.get(row.round_id)
        if round_ is None:
            round_ = rounds[row.round_id] = RoundFacts(
                row.round_id, row.round_code, row.feedback_date, row.ongoing_cadence
            )
        problem = problems.get((row.round_id, row.problem_ordinal))
        if problem is None:
            problem = problems[(row.round_id, row.problem_ordinal)] = ProblemFacts(
                row.problem_ordinal, row.problem_title, row.problem_description, row.round_id, round_
            )
        out.append(
            MeasureFacts(
                id=row.id,
                code=row.code,
                ordinal=row.ordinal,
                marker=row.marker,
                text=row.text,
                deadline=row.deadline,
                deadline_spec=row.deadline_spec,
                cadence=row.cadence,
                status=row.status,
                lead_unit_id=row.lead_unit_id,
                reminder_offsets=row.reminder_offsets,
                lead_unit=UnitFacts(row.lead_unit_id, row.lead_code, row.lead_name, row.lead_kind)
                if row.lead_unit_id is not None
                else None,
                co_units=tuple(co_units.get(row.id, ())),
                leader=LeaderFacts(row.leader_code, row.leader_person, row.leader_role)
                if row.leader_code is not None
                else None,
                problem=problem,
            )
        )
    return out


_Selected = TypeVar("_Selected", bound=Select[Any])


def _live(
    session: Session,
    query: _Selected,
    *,
    round_code: str | None,
    unit_code: str | None,
    with_co_units: bool,
    problem_ordinal: int | None,
    measure_code: str | None,
    ordered: bool = True,
) -> _Selected:
    """``query`` (measures joined to their problem and round) kept to the live measures the filters name,
    in notice order; an unknown round or unit is refused."""
    query = query.where(Measure.removed_at.is_(None), Problem.removed_at.is_(None))
    if ordered:
        query = query.order_by(Round.code, Problem.ordinal, Measure.ordinal)
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
    return query


def measure_views(
    session: Session,
    clock: Clock,
    *,
    round_code: str | None = None,
    unit_code: str | None = None,
    with_co_units: bool = False,
    problem_ordinal: int | None = None,
    measure_code: str | None = None,
    member_texts: bool = False,
) -> list[MeasureView]:
    """Every live measure (filtered as ``live_measures``) as of the clock's now, judged then (with
    ``member_texts``, each member share with its latest report's text)."""
    measures = live_measure_facts(
        session,
        round_code=round_code,
        unit_code=unit_code,
        with_co_units=with_co_units,
        problem_ordinal=problem_ordinal,
        measure_code=measure_code,
    )
    return views_of(session, measures, clock, member_texts=member_texts)


def views_of(
    session: Session,
    measures: Sequence[Measure] | Sequence[MeasureFacts],
    clock: Clock,
    *,
    statuses: Mapping[int, MeasureStatus] | None = None,
    judge: bool = True,
    member_texts: bool = False,
) -> list[MeasureView]:
    """``measures`` as of the clock's now: each with its latest report then (one query for all).

    ``statuses`` replaces the stored status (the notice's status as of its date, by measure id);
    ``judge`` adds the cadence period still owed and the derived state (the notice reads facts only).
    """
    from tasks.ledger.collectives import member_shares

    latest = latest_reports(session, measure_ids=(m.id for m in measures), as_of=clock.now)
    shares = member_shares(session, measures, clock, with_texts=member_texts) if judge else {}
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
    measure: Measure | MeasureFacts,
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
    status = status if status is not None else measure.status
    # 长期坚持 without a cadence: the round's ongoing cadence (asked for progress like any cadence)
    cadence = effective_cadence(measure.cadence, measure.deadline, problem.round.ongoing_cadence)
    last_report_at = report.submitted_at if report else None
    missing, assessment, provisional = None, None, False
    if judge:  # the view is built once, judged (a frozen view of 30 fields costs to copy)
        if any(share.role == LEAD for share in members):
            missing = missing_of(members)
        else:
            missing = missing_period(
                cadence, since=problem.round.feedback_date, last_report_at=last_report_at, clock=clock
            )
        assessment = derive_state(
            _Judged(status, measure.deadline), clock, report_missing=missing is not None
        )
        provisional = measure.deadline is not None and counted_provisionally(
            clock.calendar, clock.today, measure.deadline
        )
    return MeasureView(
        code=measure.code,
        ordinal=measure.ordinal,
        marker=measure.marker,
        lead_unit=sanitise_text(lead.name) if lead else None,
        deadline=measure.deadline,
        status=status,
        text=sanitise_text(measure.text),
        id=measure.id,
        deadline_spec=measure.deadline_spec,
        reminder_offsets=None if measure.reminder_offsets is None else tuple(measure.reminder_offsets),
        cadence=cadence,
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
        last_report_at=last_report_at,
        last_report_text=sanitise_text(report.text) if report else None,
        members=members,
        missing_period=missing,
        assessment=assessment,
        provisional=provisional,
    )


class _Judged(NamedTuple):
    """The two facts ``derive_state`` reads, with the status as of the view's moment."""

    status: MeasureStatus
    deadline: date | None


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
