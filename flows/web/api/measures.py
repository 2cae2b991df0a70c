"""One measure: its reports and history, and the coordinators' review (a round's confirmation step, 销号,
退回, reopen)."""

from __future__ import annotations

from fastapi import APIRouter

from flows.review import sync_after_review
from flows.web.deps import Caller, Config, Db, Now, actor
from flows.web.schemas import AcceptBody, HistoryEvent, MeasureReport, ReasonBody, ReviewOutcome
from tasks.reports.access import (
    check_may_review,
    check_measure_access,
    measure_reports,
    visible_report_units,
)
from tasks.reports.review import ReviewAction, event_summary, measure_history, review_measure

router = APIRouter(prefix="/measures", tags=["measures"])


@router.get("/{code}/reports", response_model=list[MeasureReport])
def get_measure_reports(code: str, caller: Caller, db: Db) -> list[MeasureReport]:
    """Every report on a measure, oldest first (corrections name what they supersede)."""
    with db.unit_of_work() as session:
        check_measure_access(session, caller, code)
        reports = measure_reports(session, code, unit_ids=visible_report_units(session, caller, code))
        return [MeasureReport.model_validate(report) for report in reports]


@router.get("/{code}/history", response_model=list[HistoryEvent])
def get_measure_history(code: str, caller: Caller, db: Db) -> list[HistoryEvent]:
    """The measure's status history: reports, status changes, reviews."""
    with db.unit_of_work() as session:
        check_measure_access(session, caller, code)
        return [HistoryEvent.model_validate(event_summary(e)) for e in measure_history(session, code)]


def _review(
    code: str, action: ReviewAction, reason: str, caller: Caller, db: Db, config: Config, now: Now
) -> ReviewOutcome:
    check_may_review(caller, action.value)
    with db.unit_of_work() as session:
        outcome = review_measure(session, code, action, reason=reason, actor=actor(caller), now=now.now)
        session.commit()
    result = ReviewOutcome.model_validate(outcome.as_dict())
    if action in (ReviewAction.ACCEPT, ReviewAction.REOPEN):
        result.deployment = sync_after_review(db, config, code)
    return result


@router.post(
    "/{code}/confirm", tags=["review"], response_model=ReviewOutcome, response_model_exclude_unset=True
)
def confirm(code: str, body: AcceptBody, caller: Caller, db: Db, config: Config, now: Now) -> ReviewOutcome:
    """The round's step before 销号 (its plan's ``review_steps``, e.g. 分管领导确认), with a note
    (coordinators; the token that confirms may not close the same claim)."""
    return _review(code, ReviewAction.CONFIRM, body.note, caller, db, config, now)


@router.post(
    "/{code}/accept", tags=["review"], response_model=ReviewOutcome, response_model_exclude_unset=True
)
def accept(code: str, body: AcceptBody, caller: Caller, db: Db, config: Config, now: Now) -> ReviewOutcome:
    """销号: accept the unit's done claim and close the measure, with a note (coordinators); in a round
    with review steps, after each confirmation (409 before), by another token label (403)."""
    return _review(code, ReviewAction.ACCEPT, body.note, caller, db, config, now)


@router.post(
    "/{code}/return", tags=["review"], response_model=ReviewOutcome, response_model_exclude_unset=True
)
def send_back(code: str, body: ReasonBody, caller: Caller, db: Db, config: Config, now: Now) -> ReviewOutcome:
    """退回: refuse the done claim; the measure is in progress again (coordinators)."""
    return _review(code, ReviewAction.RETURN, body.reason, caller, db, config, now)


@router.post(
    "/{code}/reopen", tags=["review"], response_model=ReviewOutcome, response_model_exclude_unset=True
)
def reopen(code: str, body: ReasonBody, caller: Caller, db: Db, config: Config, now: Now) -> ReviewOutcome:
    """Reopen a closed measure, with a reason (coordinators)."""
    return _review(code, ReviewAction.REOPEN, body.reason, caller, db, config, now)
