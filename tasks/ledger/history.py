"""The measure's history: every status move is one ``StatusEvent``, written here and nowhere else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
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
