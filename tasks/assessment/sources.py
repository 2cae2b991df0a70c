"""Facts the assessment reads that other features record: 签收, approved extensions, collective members.

These are the seams where those features plug in. Today the ledger has no table for any of them, so
each function returns nothing and the assessment scores without them (no 签收 delay, no extension);
a collective's members come from the plan (``tasks.ledger.collectives``). When the portal records 签收
and 延期申请, each function reads them here, in one statement for the whole round, and nothing else in
the assessment changes: the records, the formula and the tests already carry them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session


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
    """Every 签收 owed on these measures (signed or pending). None yet: the portal records 签收 (issue 16)."""
    return []


def approved_extensions(session: Session, measure_ids: Collection[int]) -> list[ApprovedExtension]:
    """Every approved extension of these measures, oldest first. None yet: the desk decides them (issue 17)."""
    return []


def collective_members(session: Session, unit_ids: Collection[int]) -> dict[int, list[Member]]:
    """The members of each collective among ``unit_ids``, as the plan lists them (a member's parent is
    its collective); a collective without members is scored as one unit."""
    from tasks.ledger.collectives import members_of

    return {
        collective: [Member(u.id, u.code, u.name, u.kind.value) for u in units]
        for collective, units in members_of(session, unit_ids).items()
    }
