"""The measure's history: every status move is one ``StatusEvent`` (written here and nowhere else), events
recorded once by their dedupe key, and the lock that queues changes to one measure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    # RETURNING, not the rowcount: PostgreSQL's driver reports -1 rows for an INSERT … ON CONFLICT here.
    inserted = session.execute(
        insert_for(session)(StatusEvent)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(StatusEvent.id)
    ).first()
    return inserted is not None


# -- what the ledger gained since the plan ----------------------------------------------------------

# The facts of a measure that units, reviewers and the desk change after a plan is loaded, with the
# names ``--take-plan`` takes. A plan re-load keeps the ledger's value of each (see ``ledger_owned``).
LEDGER_FIELDS = ("status", "owner", "leader", "deadline", "cadence", "reminders", "measures")
PLAN_STATUS_REASON = "set by the plan"
TAKEN_FROM_PLAN = "taken from the plan"


def record_edit(
    session: Session, measure: Measure, field: str, change: str, *, actor: str, now: datetime
) -> StatusEvent:
    """Record that ``field`` (one of ``LEDGER_FIELDS``) of a measure was set in the ledger, not by a plan
    (a deadline moved by an approved extension, an owner changed at the desk, a measure added there).
    ``change`` says what, e.g. ``完成时限：2023-12-31 → 2024-03-31``. The caller commits."""
    event = StatusEvent(
        measure=measure, at=now, actor=actor, kind=EventKind.EDIT, from_value=field, reason=change
    )
    session.add(event)
    return event


def ledger_owned(session: Session, measure_ids: list[int]) -> dict[int, dict[str, StatusEvent]]:
    """For each measure, the fields whose value the ledger reached after the plan set it, with the event
    that set it (who and when): the status a report or review reached, a field edited in the ledger
    (``record_edit``, a cadence set with ``zhenggai measure schedule``). A plan setting the field again
    (``--take-plan``) gives it back to the plan."""
    from sqlalchemy import select

    owned: dict[int, dict[str, StatusEvent]] = {}
    if not measure_ids:
        return owned
    events: list[StatusEvent] = []
    for start in range(0, len(measure_ids), 500):  # a bounded IN list on every backend
        events += session.scalars(
            select(StatusEvent).where(
                StatusEvent.measure_id.in_(measure_ids[start : start + 500]),
                StatusEvent.kind.in_([EventKind.STATUS, EventKind.EDIT, EventKind.PLAN]),
            )
        )
    for event in sorted(events, key=lambda e: e.id):
        assert event.measure_id is not None
        fields = owned.setdefault(event.measure_id, {})
        if event.kind == EventKind.STATUS:
            if event.reason.startswith(PLAN_STATUS_REASON):
                fields.pop("status", None)
            else:
                fields["status"] = event
        elif event.kind == EventKind.EDIT and event.from_value:
            fields[event.from_value] = event
        elif event.kind == EventKind.PLAN:
            if event.reason.startswith("频次："):  # ``measure schedule`` before edits had their own kind
                fields["cadence"] = event
            elif event.reason.startswith(TAKEN_FROM_PLAN) and event.from_value:
                fields.pop(event.from_value, None)
    return owned
