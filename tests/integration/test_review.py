"""Review: 销号 with a note, 退回 with a reason, reopen by a coordinator; all of it in the history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.db import Database
from models.enums import MeasureStatus
from models.errors import InvalidTransition, UnknownMeasure
from models.settings import Settings
from tasks.reports.review import (
    InvalidReview,
    ReviewAction,
    measure_history,
    measure_round_code,
    review_measure,
)
from tests.factories import make_measure
from tests.integration.test_api import build_ledger, client_for, post_report

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (MeasureStatus.DONE, ReviewAction.ACCEPT, MeasureStatus.CLOSED),
        (MeasureStatus.DONE, ReviewAction.RETURN, MeasureStatus.IN_PROGRESS),
        (MeasureStatus.CLOSED, ReviewAction.REOPEN, MeasureStatus.IN_PROGRESS),
    ],
)
def test_each_action_moves_the_measure_and_records_two_events(
    session: Any, start: MeasureStatus, action: ReviewAction, end: MeasureStatus
) -> None:
    measure = make_measure(session, code="R-1", status=start)
    outcome = review_measure(session, "R-1", action, reason="  核查属实  ", actor="督办室", now=NOW)
    session.commit()
    assert measure.status == end
    assert (outcome.from_status, outcome.to_status, outcome.reason) == (start, end, "核查属实")
    events = measure_history(session, "R-1")
    assert [(e.kind, e.from_value, e.to_value, e.actor) for e in events] == [
        ("review", start.value, action.value, "督办室"),
        ("status", start.value, end.value, "督办室"),
    ]
    assert events[0].reason == "核查属实" and events[1].reason.endswith("核查属实")


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (MeasureStatus.IN_PROGRESS, ReviewAction.ACCEPT),  # no done claim to accept
        (MeasureStatus.PLANNED, ReviewAction.ACCEPT),
        (MeasureStatus.CLOSED, ReviewAction.ACCEPT),
        (MeasureStatus.IN_PROGRESS, ReviewAction.RETURN),
        (MeasureStatus.DONE, ReviewAction.REOPEN),  # only a closed measure reopens
        (MeasureStatus.PLANNED, ReviewAction.REOPEN),
    ],
)
def test_actions_apply_only_from_their_status(
    session: Any, start: MeasureStatus, action: ReviewAction
) -> None:
    make_measure(session, code="R-1", status=start)
    with pytest.raises(InvalidTransition):
        review_measure(session, "R-1", action, reason="理由", actor="督办室", now=NOW)
    assert measure_history(session, "R-1") == []


def test_a_note_or_reason_is_required(session: Any) -> None:
    make_measure(session, code="R-1", status=MeasureStatus.DONE)
    with pytest.raises(InvalidReview) as caught:
        review_measure(session, "R-1", ReviewAction.ACCEPT, reason=" ", actor="督办室", now=NOW)
    assert caught.value.field == "note"
    with pytest.raises(InvalidReview) as caught:
        review_measure(session, "R-1", ReviewAction.RETURN, reason="", actor="督办室", now=NOW)
    assert caught.value.field == "reason"
    with pytest.raises(UnknownMeasure):
        review_measure(session, "NOPE", ReviewAction.RETURN, reason="x", actor="督办室", now=NOW)
    assert measure_round_code(session, "R-1").startswith("round-")


def test_review_round_trip_through_the_api(settings: Settings, database: Database) -> None:
    ledger = build_ledger(database)
    code = ledger.own_measure
    coordinator = ledger.headers("coordinator")
    with client_for(settings) as client:

        def review(action: str, body: dict[str, str], role: str = "coordinator") -> Any:
            return client.post(f"/api/measures/{code}/{action}", json=body, headers=ledger.headers(role))

        assert (
            post_report(client, ledger, "unit", code, claimed_status="done", text="已全部整改").status_code
            == 201
        )
        response = review("return", {"reason": "缺少现场照片"})
        assert response.status_code == 200 and response.json()["to_status"] == "in_progress"
        assert (
            post_report(client, ledger, "unit", code, claimed_status="done", text="补充照片").status_code
            == 201
        )
        premature = review("reopen", {"reason": "x"})
        assert premature.status_code == 409 and premature.json()["detail"]["field"] == "status"
        assert review("accept", {"note": ""}).json()["detail"]["field"] == "note"
        accepted = review("accept", {"note": "现场核查，台账齐全"})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["to_status"] == "closed"
        assert "deployment" in accepted.json()  # not synced here: no Prefect API in this test
        # A report on a closed measure is history, not a reopening; only a coordinator reopens.
        assert post_report(client, ledger, "unit", code, text="巩固提升").status_code == 201
        assert review("reopen", {"reason": "问题反弹"}, role="unit").status_code == 403
        assert review("reopen", {"reason": "问题反弹"}, role="leader").status_code == 403
        assert review("reopen", {"reason": "问题反弹"}).status_code == 200
        history = client.get(f"/api/measures/{code}/history", headers=ledger.headers("unit")).json()
        status_now = client.get(f"/api/units/{ledger.own_unit}/measures", headers=coordinator).json()
    moves = [(e["kind"], e["from"], e["to"]) for e in history]
    assert moves == [
        ("report", None, "done"),
        ("status", "planned", "done"),
        ("review", "done", "return"),
        ("status", "done", "in_progress"),
        ("report", None, "done"),
        ("status", "in_progress", "done"),
        ("review", "done", "accept"),
        ("status", "done", "closed"),
        ("report", None, "in_progress"),
        ("review", "closed", "reopen"),
        ("status", "closed", "in_progress"),
    ]
    reviews = [e for e in history if e["kind"] == "review"]
    assert [e["reason"] for e in reviews] == ["缺少现场照片", "现场核查，台账齐全", "问题反弹"]
    assert all(e["actor"] == "api token #3 'label-coordinator'" for e in reviews)
    assert next(r for r in status_now if r["code"] == code)["status"] == "in_progress"


def test_two_coordinators_closing_at_once_close_it_once(database: Database) -> None:
    import threading
    import time

    from sqlalchemy import func, select

    from models.tables import StatusEvent

    with database.unit_of_work() as session:
        make_measure(session, code="R-1", status=MeasureStatus.DONE)
        session.commit()
    outcome: dict[str, Any] = {}

    def second_coordinator() -> None:
        with database.unit_of_work() as session:
            try:
                review_measure(session, "R-1", ReviewAction.ACCEPT, reason="复核", actor="乙", now=NOW)
                session.commit()
                outcome["result"] = "closed"
            except InvalidTransition as error:
                outcome["result"] = str(error)

    with database.unit_of_work() as first:
        review_measure(first, "R-1", ReviewAction.ACCEPT, reason="核查属实", actor="甲", now=NOW)
        other = threading.Thread(target=second_coordinator)
        other.start()
        time.sleep(0.5)  # the second is now waiting for the measure
        assert other.is_alive() and "result" not in outcome
        first.commit()
    other.join(timeout=30)

    assert "is 已销号 (closed)" in outcome["result"]
    with database.unit_of_work() as session:
        closes = (
            select(func.count())
            .select_from(StatusEvent)
            .where(StatusEvent.kind == "status", StatusEvent.to_value == "closed")
        )
        assert session.scalar(closes) == 1
