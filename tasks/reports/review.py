"""Review by a coordinator: confirm a done claim (a round's step before 销号), accept it and close the
measure (销号), send it back (退回), reopen it.

Each action checks the move with ``models.rules.check_transition`` and appends two ``StatusEvent``
rows, like a report does: one of kind ``review`` (what was decided, with the note or reason) and one
of kind ``status`` (from → to). A confirmation (``models.review_steps``: the round's ``review_steps``)
moves nothing: it is one ``review`` event (to ``confirm``, the reason naming the step), and 销号 waits
for it; one person takes at most one step of a claim. Nothing is updated in place except the measure's
status. Who may review is the front door's business (the API allows coordinator tokens only).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import EventKind, MeasureStatus
from models.errors import InvalidReview, InvalidTransition, UnknownMeasure
from models.review_steps import CONFIRM, ClaimStage, HistoryEntry, check_step, claim_stage
from models.rules import STATUS_LABEL, check_transition
from models.tables import Measure, Problem, Round, StatusEvent
from tasks.ledger.history import change_status, lock_measure


class ReviewAction(enum.StrEnum):
    """What a coordinator decides."""

    CONFIRM = CONFIRM  # a step before 销号 (e.g. 分管领导确认): the done claim holds so far
    ACCEPT = "accept"  # 销号: the done claim holds; the measure is closed
    RETURN = "return"  # 退回: the done claim does not hold; back to in progress
    REOPEN = "reopen"  # a closed measure needs more work


ACTION_LABEL = {
    ReviewAction.CONFIRM: "确认",
    ReviewAction.ACCEPT: "销号",
    ReviewAction.RETURN: "退回",
    ReviewAction.REOPEN: "重新打开",
}
# Where each action starts from and leads to.
ACTION_MOVE = {
    ReviewAction.CONFIRM: (MeasureStatus.DONE, MeasureStatus.DONE),
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
    event_ids: tuple[int, ...]
    step: str = ""  # the review step taken (分管领导确认, 销号); '' for 退回 and reopening
    next_step: str = ""  # after a confirmation: the step the claim awaits now

    def as_dict(self) -> dict[str, object]:
        return {
            "measure": self.measure,
            "action": self.action.value,
            "from_status": self.from_status.value,
            "to_status": self.to_status.value,
            "reason": self.reason,
            "events": list(self.event_ids),
            "step": self.step,
            "next_step": self.next_step,
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

    ``reason`` is the note (confirm, accept) or the reason (return, reopen); it may not be empty. In a
    round with review steps, 销号 waits for each confirmation, and ``actor`` may take one step of a claim
    (``models.review_steps.check_step``).
    """
    field = "note" if action in (ReviewAction.ACCEPT, ReviewAction.CONFIRM) else "reason"
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
    step = check_step(claim_stages(session, [measure.id])[measure.id], action.value, actor)
    if action == ReviewAction.CONFIRM:
        return _confirm(session, measure, step, reason=reason, actor=actor, now=now)
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
    return ReviewOutcome(measure.code, action, current, target, reason, (review.id, status.id), step)


def _confirm(
    session: Session, measure: Measure, step: str, *, reason: str, actor: str, now: datetime
) -> ReviewOutcome:
    """Record a confirmation step (the measure stays done, awaiting the next step)."""
    review = StatusEvent(
        measure=measure,
        at=now,
        actor=actor,
        kind=EventKind.REVIEW,
        from_value=measure.status.value,
        to_value=ReviewAction.CONFIRM.value,
        reason=f"{step}：{reason}",
    )
    session.add(review)
    session.flush()
    after = claim_stages(session, [measure.id])[measure.id]
    return ReviewOutcome(
        measure.code,
        ReviewAction.CONFIRM,
        measure.status,
        measure.status,
        reason,
        (review.id,),
        step,
        after.next_step,
    )


def claim_stages(session: Session, ids: list[int]) -> dict[int, ClaimStage]:
    """Where each measure's (by id) standing claim is on its round's review steps (``models.review_steps``),
    read from its history in the order it was recorded."""
    steps: dict[int, list[str] | None] = {}
    history: dict[int, list[HistoryEntry]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):  # a bounded IN list on every backend
        chunk = ids[start : start + 500]
        for measure_id, round_steps in session.execute(
            select(Measure.id, Round.review_steps)
            .join(Problem, Problem.id == Measure.problem_id)
            .join(Round, Round.id == Problem.round_id)
            .where(Measure.id.in_(chunk))
        ):
            steps[measure_id] = round_steps
        rows = session.execute(
            select(StatusEvent.measure_id, StatusEvent.kind, StatusEvent.to_value, StatusEvent.actor)
            .add_columns(StatusEvent.reason)
            .where(
                StatusEvent.measure_id.in_(chunk),
                StatusEvent.kind.in_([EventKind.STATUS, EventKind.REPORT, EventKind.REVIEW]),
            )
            .order_by(StatusEvent.id)
        )
        for measure_id, kind, to_value, who, reason in rows:
            history[measure_id].append(HistoryEntry(str(kind), to_value, who, _note_of(reason or "")))
    return {i: claim_stage(steps.get(i), history[i]) for i in ids}


def _note_of(reason: str) -> str:
    """A confirmation's note without the step's name it starts with (``分管领导确认：…``)."""
    return reason.split("：", 1)[-1]


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
