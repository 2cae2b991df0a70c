"""The measure's history: every status move is one ``StatusEvent`` (written here and nowhere else), events
recorded once by their dedupe key, and the lock that queues changes to one measure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from models.enums import EventKind, MeasureStatus
from models.tables import Measure, StatusEvent


def change_status(
    session: Session, measure: Measure, target: MeasureStatus, *, actor: str, now: datetime, reason: str
) -> StatusEvent | None:
    """Move a measure to ``target`` and record the move; nothing when it is there already."""
    if measure.status == target:
        return None
    event = StatusEvent(
        measure=measure,
        at=now,
        actor=actor,
        kind=EventKind.STATUS,
        from_value=measure.status.value if measure.status else None,
        to_value=target.value,
        reason=reason,
    )
    session.add(event)
    measure.status = target
    return event


def lock_measure(session: Session, code: str) -> None:
    """Queue this transaction behind any other that changes the measure, on every backend.

    ``SELECT … FOR UPDATE`` is ignored by SQLite; a no-op UPDATE takes the row lock on PostgreSQL and
    the database write lock on SQLite alike, so the status read next is the one the other committed.
    """
    session.execute(
        update(Measure)
        .where(Measure.code == code)
        .values(updated_at=Measure.updated_at)
        .execution_options(synchronize_session=False)
    )


def insert_for(session: Session) -> Any:
    """The dialect's INSERT (it has ``on_conflict_do_nothing``): PostgreSQL's or SQLite's."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def record_event_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert one ``StatusEvent`` unless its ``dedupe_key`` was recorded before; False when it was.

    ``INSERT … ON CONFLICT DO NOTHING``: two runs recording the same observation at once record it once,
    and neither has to roll back. The caller commits.
    """
    outcome: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        insert_for(session)(StatusEvent).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return bool(outcome.rowcount)
