"""The delivery log for people: listing it with filters, and putting failed messages back to be sent again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from models.clock import Clock
from models.enums import DeliveryStatus
from models.tables import (
    Delivery,
    Measure,
    Unit,
)

RESENT_PREFIX = "resent after: "


def _log_filters(
    session: Session,
    query: Select[Any],
    *,
    unit_code: str | None,
    status: str | None,
    day: date | None,
    kind: str | None,
    measure_code: str | None,
    clock: Clock,
) -> Select[Any]:
    """``query`` (over Delivery, outer-joined to Measure and Unit) narrowed by the log's filters."""
    from models.errors import UnknownUnit

    if unit_code is not None:
        if session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            raise UnknownUnit(f"no unit '{unit_code}'")
        query = query.where(Unit.code == unit_code)
    if status is not None:
        query = query.where(Delivery.status == DeliveryStatus(status))
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if measure_code is not None:
        query = query.where(Measure.code == measure_code)
    if day is not None:
        start = clock.start_of_day(day).astimezone(UTC)
        end = start + timedelta(days=1)  # exclusive: the next day's midnight is the next day's
        query = query.where(
            or_(
                and_(Delivery.due_at >= start, Delivery.due_at < end),
                and_(Delivery.sent_at >= start, Delivery.sent_at < end),
                and_(Delivery.last_attempt_at >= start, Delivery.last_attempt_at < end),
            )
        )
    return query


def list_deliveries(
    session: Session,
    clock: Clock,
    *,
    unit_code: str | None = None,
    status: str | None = None,
    day: date | None = None,
    kind: str | None = None,
    measure_code: str | None = None,
    limit: int = 200,
) -> list[tuple[Delivery, str | None, str | None]]:
    """Log rows (newest first) with their measure code and unit code; ``day`` (a local day in the clock's
    zone) matches the due, sent or last-attempt day."""
    query = (
        select(Delivery, Measure.code, Unit.code)
        .outerjoin(Measure, Measure.id == Delivery.measure_id)
        .outerjoin(Unit, Unit.id == Delivery.unit_id)
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    query = _log_filters(
        session,
        query,
        unit_code=unit_code,
        status=status,
        day=day,
        kind=kind,
        measure_code=measure_code,
        clock=clock,
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


def resend(
    session: Session,
    clock: Clock,
    *,
    ids: Sequence[int] | None = None,
    unit_code: str | None = None,
    day: date | None = None,
    include_in_doubt: bool = False,
) -> list[int]:
    """Put failed deliveries back to ``pending`` (attempts reset, earlier error kept after one
    ``resent after:`` prefix); return their ids, newest first. The caller commits.

    ``ids``, ``unit_code`` and ``day`` (a local day in the clock's zone) narrow the choice in SQL.
    Messages in doubt (they may have arrived, and WeCom, DingTalk and Feishu cannot drop a repeat) are
    left alone unless named in ``ids`` or ``include_in_doubt``.
    """
    statuses = [DeliveryStatus.FAILED]
    if include_in_doubt or ids is not None:
        statuses.append(DeliveryStatus.IN_DOUBT)
    query = (
        select(Delivery.id, Delivery.due_at)
        .outerjoin(Measure, Measure.id == Delivery.measure_id)
        .outerjoin(Unit, Unit.id == Delivery.unit_id)
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
    )
    query = _log_filters(
        session,
        query,
        unit_code=unit_code,
        status=None,
        day=day,
        kind=None,
        measure_code=None,
        clock=clock,
    )
    query = query.where(Delivery.status.in_(statuses))
    if ids is None:
        chosen = [row_id for row_id, _ in session.execute(query)]
    else:
        wanted = sorted(set(ids))
        rows: list[tuple[int, datetime]] = []
        for start in range(0, len(wanted), 500):
            rows += [
                (row_id, due_at)
                for row_id, due_at in session.execute(
                    query.where(Delivery.id.in_(wanted[start : start + 500]))
                )
            ]
        chosen = [row_id for row_id, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]
    error = case(
        (Delivery.error.startswith(RESENT_PREFIX, autoescape=True), Delivery.error),
        else_=RESENT_PREFIX + Delivery.error,
    )
    for start in range(0, len(chosen), 500):
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(chosen[start : start + 500]), Delivery.status.in_(statuses))
            .values(status=DeliveryStatus.PENDING, error=error, attempts=0)
            .execution_options(synchronize_session=False)
        )
    return chosen


def in_doubt_count(
    session: Session, clock: Clock, *, unit_code: str | None = None, day: date | None = None
) -> int:
    """How many messages matching the filters are in doubt (a ``--resend`` leaves them)."""
    query = select(func.count(Delivery.id)).outerjoin(Measure, Measure.id == Delivery.measure_id)
    query = query.outerjoin(Unit, Unit.id == Delivery.unit_id)
    query = _log_filters(
        session,
        query,
        unit_code=unit_code,
        status=DeliveryStatus.IN_DOUBT.value,
        day=day,
        kind=None,
        measure_code=None,
        clock=clock,
    )
    return int(session.scalar(query) or 0)
