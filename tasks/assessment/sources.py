"""Facts the assessment reads that other features record: 签收, approved extensions, collective members.

These are the seams where those features plug in, each read in one statement for the whole round: the
portal records 签收 and 延期申请 (``tasks.reports.assignments``; a coordinator decides a request with
``decide_extension``); a collective's members come from the plan (``tasks.ledger.collectives``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import tables


@dataclass(frozen=True)
class Acknowledgement:
    """An assignment a unit was to sign for (签收): when it was assigned and when it signed, if it has."""

    measure_id: int
    unit_id: int
    assigned_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class ApprovedExtension:
    """An extension request (延期申请) a coordinator approved: the deadline it replaced and the new one."""

    measure_id: int
    approved_at: datetime
    original: date
    new: date


@dataclass(frozen=True)
class Member:
    """A member unit of a collective (各街道办事处 → a street office)."""

    id: int
    code: str
    name: str
    kind: str


def acknowledgements(session: Session, measure_ids: Collection[int]) -> list[Acknowledgement]:
    """Every 签收 recorded on these measures (the portal's, ``tasks.reports.assignments``), oldest first.

    Only signed ones: the ledger does not yet record when an assignment was handed out, so a 签收 still
    owed is not known here (assigned_at is the measure's creation)."""
    if not measure_ids:
        return []
    rows = session.execute(
        select(
            tables.Acknowledgement.measure_id,
            tables.Acknowledgement.unit_id,
            tables.Acknowledgement.assigned_at,
            tables.Acknowledgement.acknowledged_at,
        )
        .where(tables.Acknowledgement.measure_id.in_(list(measure_ids)))
        .order_by(tables.Acknowledgement.acknowledged_at, tables.Acknowledgement.id)
    )
    return [Acknowledgement(*row) for row in rows]


def approved_extensions(session: Session, measure_ids: Collection[int]) -> list[ApprovedExtension]:
    """Every approved extension of these measures, oldest first (decided by
    ``tasks.reports.assignments.decide_extension``)."""
    if not measure_ids:
        return []
    request = tables.ExtensionRequest
    rows = session.execute(
        select(request.measure_id, request.decided_at, request.original_deadline, request.requested_deadline)
        .where(
            request.measure_id.in_(list(measure_ids)),
            request.status == "approved",
            request.original_deadline.is_not(None),
            request.decided_at.is_not(None),
        )
        .order_by(request.decided_at, request.id)
    )
    return [ApprovedExtension(*row) for row in rows]


def collective_members(session: Session, unit_ids: Collection[int]) -> dict[int, list[Member]]:
    """The members of each collective among ``unit_ids``, as the plan lists them (a member's parent is
    its collective); a collective without members is scored as one unit."""
    from tasks.ledger.collectives import members_of

    return {
        collective: [Member(u.id, u.code, u.name, u.kind.value) for u in units]
        for collective, units in members_of(session, unit_ids).items()
    }
