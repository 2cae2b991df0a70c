"""Per-year serial numbers an office gives its documents (发文字号 of the notice, 督办单 numbers): one counter
row per year, whose UPDATE is the lock that serialises numbering on both backends (PostgreSQL's row lock,
SQLite's write lock) until the caller commits, so two writers never take the same number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tasks.ledger.history import insert_for


def ensure_counter(session: Session, counter: Any, year: int) -> None:
    """Make the year's counter row exist (an insert that ignores the row another writer made)."""
    session.execute(insert_for(session)(counter).values(year=year, last=0).on_conflict_do_nothing())


def lock_counter(session: Session, counter: Any, year: int) -> None:
    """Take the year's counter lock without taking a number: call it before other writes a numbering
    transaction makes, so that two writers queue on the counter first and never wait on each other."""
    ensure_counter(session, counter, year)
    session.execute(update(counter).where(counter.year == year).values(last=counter.last))


def next_serial(session: Session, counter: Any, year: int) -> int:
    """The year's next serial number (1, 2, …), taken under the counter's lock; the caller commits."""
    ensure_counter(session, counter, year)
    serial: int = session.execute(
        update(counter).where(counter.year == year).values(last=counter.last + 1).returning(counter.last)
    ).scalar_one()
    return serial
