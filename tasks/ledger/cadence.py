"""A measure's cadence as the ledger holds it: read it, or set it (validated, with its history)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.cadence import parse_cadence
from models.enums import EventKind
from models.errors import UnknownMeasure
from models.tables import Measure, Problem, StatusEvent


def _live_measure(session: Session, code: str) -> Measure:
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code)
        .options(selectinload(Measure.problem).selectinload(Problem.round))
    )
    if measure is None or measure.removed_at is not None:
        raise UnknownMeasure(f"no measure '{code}' in the ledger")
    return measure


def read_cadence(session: Session, code: str) -> tuple[str | None, date]:
    """A measure's cadence as written, and its round's feedback date (the schedule's anchor)."""
    measure = _live_measure(session, code)
    return measure.cadence, measure.problem.round.feedback_date


def set_cadence(
    session: Session, code: str, text: str | None, *, actor: str, now: datetime
) -> tuple[str | None, date]:
    """Validate and store a measure's cadence as written (None clears it); records an ``edit`` event (a
    later plan load keeps this cadence unless told ``--take-plan cadence``).

    The caller commits; ``zhenggai sync`` then updates the deployment's schedule in place.
    """
    measure = _live_measure(session, code)
    if text is not None:
        text = parse_cadence(text).text
    if measure.cadence != text:
        session.add(
            StatusEvent(
                measure_id=measure.id,
                round_id=measure.problem.round_id,
                at=now,
                actor=actor,
                kind=EventKind.EDIT,
                from_value="cadence",
                to_value=None,
                reason=f"频次：{measure.cadence or '—'} → {text or '—'}",
            )
        )
        measure.cadence = text
    session.flush()
    return measure.cadence, measure.problem.round.feedback_date
