"""Collectives (各街道办事处) and their members in the ledger: the plan's ``members:`` checked, linked
(a member's ``Unit.parent`` is its collective), exported, and read back for the views.

A unit of kind ``collective`` stands for the units it lists under ``members:``; a collective without
members is one unit, as before. The pure rule of a measure's state across members is
``models.collectives``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from models.cadence import effective_cadence
from models.clock import Clock
from models.collectives import (
    CO,
    LEAD,
    MemberShare,
    all_members_done,
    judge_share,
    member_status,
    standing_claim,
)
from models.enums import EventKind, MeasureStatus, ReportStatus, UnitKind
from models.periods import missing_period
from models.rules import is_finished
from models.tables import Measure, Report, StatusEvent, Unit

if TYPE_CHECKING:  # the plan's pydantic models cost a tenth of a second to import: not for status
    from tasks.ledger.plan_schema import PlanDocument, UnitSpec
    from tasks.ledger.queries import MeasureFacts, UnitFacts

Path = tuple[str | int, ...]

# The review decisions after which members' earlier done claims no longer stand (ReviewAction values).
RESETS_MEMBER_CLAIMS = ("return", "reopen")


def member_issues(plan: PlanDocument, session: Session) -> list[tuple[Path, str]]:
    """What is wrong with the plan's ``members:`` lists, each with its path in the plan."""
    issues: list[tuple[Path, str]] = []
    kinds = {code: kind for code, kind in session.execute(select(Unit.code, Unit.kind))}
    kinds.update({spec.code: spec.kind for spec in plan.units})
    in_file = {spec.code: spec for spec in plan.units}
    member_of: dict[str, str] = {}
    for u, spec in enumerate(plan.units):
        if spec.reports_for_members and spec.kind != UnitKind.COLLECTIVE:
            issues.append(
                (("units", u, "reports_for_members"), "only a unit of kind collective reports for members")
            )
        if spec.members and spec.kind != UnitKind.COLLECTIVE:
            issues.append((("units", u, "members"), "only a unit of kind collective lists members"))
            continue
        for i, code in enumerate(spec.members):
            path: Path = ("units", u, "members", i)
            if code not in kinds:
                issues.append((path, f"unknown unit '{code}' (define it under units:)"))
            elif code == spec.code:
                issues.append((path, "a collective cannot be its own member"))
            elif kinds[code] == UnitKind.COLLECTIVE:
                issues.append((path, f"'{code}' is a collective: a member is one unit"))
            elif code in member_of:
                issues.append((path, f"unit '{code}' is already a member of '{member_of[code]}'"))
            else:
                member_of[code] = spec.code
                member = in_file.get(code)
                if member is not None and member.parent not in (None, spec.code):
                    issues.append(
                        (
                            ("units", list(in_file).index(code), "parent"),
                            f"unit '{code}' is a member of '{spec.code}': its parent is its collective",
                        )
                    )
    for u, spec in enumerate(plan.units):
        parent = spec.parent
        if (
            parent is not None
            and kinds.get(parent) == UnitKind.COLLECTIVE
            and member_of.get(spec.code) != parent
        ):
            issues.append(
                (("units", u, "parent"), f"list '{spec.code}' under the members of collective '{parent}'")
            )
    return issues


def collectives_without_members(plan: PlanDocument) -> list[str]:
    """The codes of the plan's collectives that list no members (each stays one unit)."""
    return [spec.code for spec in plan.units if spec.kind == UnitKind.COLLECTIVE and not spec.members]


def member_parents(specs: Sequence[UnitSpec]) -> dict[str, str]:
    """Each listed member's collective, by member code."""
    return {member: spec.code for spec in specs for member in spec.members}


def outside_members(specs: Sequence[UnitSpec], rows: Mapping[str, Unit]) -> list[tuple[str, Unit | None]]:
    """Units not in the plan whose collective the plan lists: each with the parent it gets (its
    collective when listed, none when its collective no longer lists it)."""
    in_file = {spec.code for spec in specs}
    moves: list[tuple[str, Unit | None]] = []
    for spec in specs:
        if spec.kind != UnitKind.COLLECTIVE:
            continue
        collective = rows[spec.code]
        for code in spec.members:
            if code not in in_file:
                moves.append((code, collective))
        for code, row in rows.items():
            if code not in in_file and row.parent is collective and code not in spec.members:
                moves.append((code, None))
    return moves


def members_of(session: Session, collective_ids: Collection[int]) -> dict[int, list[Unit]]:
    """The member units of each collective among ``collective_ids`` (in the order they were added)."""
    ids = list(collective_ids)
    if not ids:
        return {}
    parent = select(Unit.id).where(Unit.id.in_(ids), Unit.kind == UnitKind.COLLECTIVE)
    found: dict[int, list[Unit]] = {}
    for unit in session.scalars(select(Unit).where(Unit.parent_id.in_(parent)).order_by(Unit.id)):
        if unit.parent_id is not None:
            found.setdefault(unit.parent_id, []).append(unit)
    return found


def collective_owners(measure: Measure) -> list[tuple[Unit, str]]:
    """The collectives among a measure's owners, each with its role (lead first)."""
    return _collectives_among(measure)


def _collectives_among(measure: Measure | MeasureFacts) -> list[tuple[Any, str]]:
    owners: list[tuple[Unit | UnitFacts, str]] = (
        [(measure.lead_unit, LEAD)] if measure.lead_unit is not None else []
    )
    owners += [(unit, CO) for unit in measure.co_units]
    return [(unit, role) for unit, role in owners if unit.kind == UnitKind.COLLECTIVE]


def owning_collective(measure: Measure, unit: Unit) -> Unit | None:
    """The collective through which ``unit`` owns ``measure`` as a member (None when it does not)."""
    for collective, _role in collective_owners(measure):
        if unit.parent_id == collective.id:
            return collective
    return None


def latest_member_claims(
    session: Session,
    measure_ids: Collection[int],
    unit_ids: Collection[int],
    *,
    as_of: datetime | None = None,
) -> dict[tuple[int, int], tuple[datetime, ReportStatus]]:
    """Per (measure, unit), the latest standing report's time and claim (corrections replace what they
    correct), for these units' reports on these measures: one statement."""
    found = _latest_member_reports(session, measure_ids, unit_ids, as_of=as_of)
    return {key: (at, claim) for key, (_report_id, at, claim) in found.items()}


def _latest_member_reports(
    session: Session,
    measure_ids: Collection[int],
    unit_ids: Collection[int],
    *,
    as_of: datetime | None = None,
) -> dict[tuple[int, int], tuple[int, datetime, ReportStatus]]:
    """``latest_member_claims`` with each standing report's id (ranked by ids and times, no texts)."""
    if not measure_ids or not unit_ids:
        return {}
    superseding = aliased(Report)
    later_correction = exists().where(superseding.supersedes_id == Report.id)
    ranked = select(
        Report.id,
        Report.measure_id,
        Report.unit_id,
        Report.submitted_at,
        Report.claimed_status,
        func.row_number()
        .over(
            partition_by=(Report.measure_id, Report.unit_id),
            order_by=(Report.submitted_at.desc(), Report.id.desc()),
        )
        .label("rank"),
    ).where(Report.measure_id.in_(list(measure_ids)), Report.unit_id.in_(list(unit_ids)))
    if as_of is not None:
        ranked = ranked.where(Report.submitted_at <= as_of)
        later_correction = later_correction.where(superseding.submitted_at <= as_of)
    table = ranked.where(~later_correction).subquery()
    rows = session.execute(
        select(
            table.c.id, table.c.measure_id, table.c.unit_id, table.c.submitted_at, table.c.claimed_status
        ).where(table.c.rank == 1)
    )
    returned = last_returned(session, measure_ids, as_of=as_of)
    return {
        (row.measure_id, row.unit_id): (
            row.id,
            row.submitted_at,
            standing_claim(row.claimed_status, row.submitted_at, returned.get(row.measure_id)),
        )
        for row in rows
    }


def last_returned(
    session: Session, measure_ids: Collection[int], *, as_of: datetime | None = None
) -> dict[int, datetime]:
    """Per measure, when a coordinator last returned it (退回) or reopened it: one statement."""
    query = (
        select(StatusEvent.measure_id, func.max(StatusEvent.at))
        .where(
            StatusEvent.measure_id.in_(list(measure_ids)),
            StatusEvent.kind == EventKind.REVIEW.value,
            StatusEvent.to_value.in_(RESETS_MEMBER_CLAIMS),
        )
        .group_by(StatusEvent.measure_id)
    )
    if as_of is not None:
        query = query.where(StatusEvent.at <= as_of)
    # func.max keeps the column's type: the times come back tz-aware
    return {measure_id: at for measure_id, at in session.execute(query) if measure_id is not None}


def member_shares(
    session: Session,
    measures: Sequence[Measure] | Sequence[MeasureFacts],
    clock: Clock,
    *,
    with_texts: bool = False,
) -> dict[int, tuple[MemberShare, ...]]:
    """Each measure's member shares as of the clock's now (its owners loaded), judged then; measures
    no collective with members owns are left out. Two statements for all the measures, and with
    ``with_texts`` a third for the texts of the members' latest reports."""
    owned = {m.id: _collectives_among(m) for m in measures}
    collective_ids = {unit.id for owners in owned.values() for unit, _role in owners}
    members = members_of(session, collective_ids)
    if not members:
        return {}
    claims = _latest_member_reports(
        session,
        [m.id for m in measures if owned[m.id]],
        [u.id for listed in members.values() for u in listed],
        as_of=clock.now,
    )
    texts = report_texts(session, [report_id for report_id, _, _ in claims.values()]) if with_texts else {}
    shares: dict[int, tuple[MemberShare, ...]] = {}
    for measure in measures:
        found = []
        for collective, role in owned[measure.id]:
            for member in members.get(collective.id, []):
                report_id, at, claim = claims.get((measure.id, member.id), (None, None, None))
                share = MemberShare(
                    code=member.code,
                    name=member.name,
                    collective_code=collective.code,
                    collective=collective.name,
                    role=role,
                    unit_id=member.id,
                    status=member_status(measure.status, claim),
                    last_report_at=at,
                    last_report_text=texts.get(report_id) if report_id is not None else None,
                    missing_period=missing_period(
                        # 长期坚持 without a cadence: each member owes the round's ongoing cadence, as the
                        # measure's own view does (tasks.ledger.queries.measure_view)
                        effective_cadence(
                            measure.cadence, measure.deadline, measure.problem.round.ongoing_cadence
                        ),
                        since=measure.problem.round.feedback_date,
                        last_report_at=at,
                        clock=clock,
                    ),
                )
                found.append(judge_share(share, measure.deadline, clock))
        if found:
            shares[measure.id] = tuple(found)
    return shares


def report_texts(session: Session, report_ids: Collection[int]) -> dict[int, str]:
    """The texts of these reports, by id: one statement."""
    if not report_ids:
        return {}
    query = select(Report.id, Report.text).where(Report.id.in_(list(report_ids)))
    return {report_id: text for report_id, text in session.execute(query)}


def finishes_measure(session: Session, measure: Measure, unit: Unit | None, claimed_done: bool) -> bool:
    """Whether a report from ``unit`` claiming done (after it is flushed) finishes the measure: a member
    of an owning collective finishes it only when every member of that collective has reported done."""
    if not claimed_done or unit is None:
        return claimed_done
    collective = owning_collective(measure, unit)
    if collective is None:
        return True
    listed = members_of(session, [collective.id]).get(collective.id, [])
    claims = latest_member_claims(session, [measure.id], [u.id for u in listed])
    return all_members_done(claims.get((measure.id, u.id), (None, None))[1] for u in listed)


def laggards_as_of(
    session: Session, measures: Sequence[Measure], statuses: Mapping[str, MeasureStatus], as_of: datetime
) -> dict[str, list[str]]:
    """By measure code, the names of the members of its lead collective not done as of ``as_of``
    (``statuses``: each measure's status then, by code); measures without such members are left out."""
    led = {
        m.id: m.lead_unit
        for m in measures
        if m.lead_unit is not None and m.lead_unit.kind == UnitKind.COLLECTIVE
    }
    members = members_of(session, {unit.id for unit in led.values()})
    claims = latest_member_claims(
        session, list(led), [u.id for listed in members.values() for u in listed], as_of=as_of
    )
    found: dict[str, list[str]] = {}
    for measure in measures:
        lead = led.get(measure.id)
        if lead is None:
            continue
        status = statuses.get(measure.code, measure.status)
        names = [
            member.name
            for member in members.get(lead.id, [])
            if not is_finished(member_status(status, claims.get((measure.id, member.id), (None, None))[1]))
        ]
        if names:
            found[measure.code] = names
    return found
