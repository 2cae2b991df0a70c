"""Review by a coordinator: accept a done claim and close the measure (销号), send it back (退回), reopen it.

Each action checks the move with ``models.rules.check_transition`` and appends two ``StatusEvent``
rows, like a report does: one of kind ``review`` (what was decided, with the note or reason) and one
of kind ``status`` (from → to). Nothing is updated in place except the measure's status.
Who may review is the front door's business (the API allows coordinator tokens only).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import EventKind, MeasureStatus
from models.errors import InvalidReview, InvalidTransition, UnknownMeasure
from models.rules import STATUS_LABEL, check_transition
from models.tables import Measure, Problem, Round, StatusEvent
from tasks.ledger.history import change_status, lock_measure


class ReviewAction(enum.StrEnum):
    """What a coordinator decides."""

    ACCEPT = "accept"  # 销号: the done claim holds; the measure is closed
    RETURN = "return"  # 退回: the done claim does not hold; back to in progress
    REOPEN = "reopen"  # a closed measure needs more work


ACTION_LABEL = {ReviewAction.ACCEPT: "销号", ReviewAction.RETURN: "退回", ReviewAction.REOPEN: "重新打开"}
# Where each action starts from and leads to.
ACTION_MOVE = {
    ReviewAction.ACCEPT: (MeasureStatus.DONE, MeasureStatus.CLOSED),
    ReviewAction.RETURN: (MeasureStatus.DONE, MeasureStatus.IN_PROGRESS),
    ReviewAction.REOPEN: (MeasureStatus.CLOSED, MeasureStatus.IN_PROGRESS),
}


@dataclass(frozen=True)
class ReviewOutcome:
    """What a review did."""

    measure: str
    action: ReviewAction
    from_status: MeasureStatus
    to_status: MeasureStatus
    reason: str
    event_ids: tuple[int, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "measure": self.measure,
            "action": self.action.value,
            "from_status": self.from_status.value,
            "to_status": self.to_status.value,
            "reason": self.reason,
            "events": list(self.event_ids),
        }


def review_measure(
    session: Session,
    code: str,
    action: ReviewAction,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> ReviewOutcome:
    """Apply a review action to a measure and record it; the caller commits.

    ``reason`` is the closing note (accept) or the reason (return, reopen); it may not be empty.
    """
    field = "note" if action == ReviewAction.ACCEPT else "reason"
    reason = (reason or "").strip()
    if not reason:
        raise InvalidReview(field, f"{ACTION_LABEL[action]} needs a {field}")
    lock_measure(session, code)  # two coordinators closing at once: the second sees the first's 销号
    measure = session.scalar(select(Measure).where(Measure.code == code, Measure.removed_at.is_(None)))
    if measure is None:
        raise UnknownMeasure(f"no measure '{code}'")
    expected, target = ACTION_MOVE[action]
    current = measure.status
    if current != expected:
        raise InvalidTransition(
            f"{measure.code} is {STATUS_LABEL[current]} ({current}): {ACTION_LABEL[action]} ({action}) "
            f"applies to a measure that is {STATUS_LABEL[expected]} ({expected})"
        )
    check_transition(current, target)
    review = StatusEvent(
        measure=measure,
        at=now,
        actor=actor,
        kind=EventKind.REVIEW,
        from_value=current.value,
        to_value=action.value,
        reason=reason,
    )
    session.add(review)
    status = change_status(
        session, measure, target, actor=actor, now=now, reason=f"{ACTION_LABEL[action]}：{reason}"
    )
    assert status is not None  # check_transition refused staying put
    session.flush()
    return ReviewOutcome(measure.code, action, current, target, reason, (review.id, status.id))


def measure_history(session: Session, code: str) -> list[StatusEvent]:
    """Every ``StatusEvent`` of a measure, oldest first."""
    measure_id = session.scalar(select(Measure.id).where(Measure.code == code))
    if measure_id is None:
        raise UnknownMeasure(f"no measure '{code}'")
    return list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.measure_id == measure_id)
            .order_by(StatusEvent.at, StatusEvent.id)
        )
    )


def event_summary(event: StatusEvent) -> dict[str, object]:
    """A history entry as plain data (CLI and API output)."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "kind": event.kind,
        "from": event.from_value,
        "to": event.to_value,
        "reason": event.reason,
    }


def measure_round_code(session: Session, code: str) -> str:
    """The code of the round a measure belongs to."""
    round_code = session.scalar(
        select(Round.code)
        .join(Problem, Problem.round_id == Round.id)
        .join(Measure)
        .where(Measure.code == code)
    )
    if round_code is None:
        raise UnknownMeasure(f"no measure '{code}'")
    return round_code
