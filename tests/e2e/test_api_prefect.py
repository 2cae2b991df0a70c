"""The report API and the UI input flow against a real Prefect API (the session harness).

- an accepted report emits ``zhenggai.report.submitted``;
- ``report_input`` pauses for a typed form, refuses a bad entry (pausing again with the reason) and
  records a good one through the same path as the API;
- closing a measure (销号) pauses its deployment through the scheduling sync; reopening resumes it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.settings import Settings
from models.tables import Report, StatusEvent
from tests.integration.test_api import api_settings, build_ledger, post_report

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _events(resource_id: str, since: datetime) -> list[Any]:
    """The report's events since the test began: the harness lives for the session and report ids start
    at 1 in every test's ledger, so an earlier test's report 1 has an event of the same resource."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    event_filter = EventFilter(
        event=EventNameFilter(name=["zhenggai.report.submitted"]),
        resource=EventResourceFilter(id=[resource_id]),
        occurred=EventOccurredFilter(since=since - timedelta(seconds=1)),
    )
    with get_client(sync_client=True) as client:
        return list(client.read_events(filter=event_filter, limit=50).events)


def wait_for(check: Any, timeout: float = 60, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def test_an_accepted_report_emits_an_event(settings: Settings, database: Database) -> None:
    began = datetime.now(UTC)
    ledger = build_ledger(database)
    with TestClient(create_app(api_settings(settings))) as client:
        response = post_report(client, ledger, "unit", ledger.own_measure, claimed_status="done")
        assert response.status_code == 201, response.text
        refused = post_report(client, ledger, "unit", ledger.own_measure, text="")
        assert refused.status_code == 422
    report_id = response.json()["id"]
    (event,) = wait_for(lambda: _events(f"zhenggai.report.{report_id}", began))
    assert event.payload["measure"] == ledger.own_measure
    assert event.payload["claimed_status"] == "done" and event.payload["measure_status"] == "done"
    assert event.payload["actor"] == "api token #1 'label-unit'"
    assert {r.id for r in event.related} >= {f"zhenggai.measure.{ledger.own_measure}", "zhenggai.unit.unit-a"}


# -- the UI input flow ---------------------------------------------------------------------------------


def _paused_with_schema(flow_run_id: UUID, key: str) -> bool:
    """Paused under ``key`` and the input schema stored (resuming earlier fails: schema not found)."""
    from prefect.client.orchestration import get_client
    from prefect.input.run_input import keyset_from_base_key

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        if run.state is None or not run.state.is_paused() or run.state.state_details.pause_key != key:
            return False
        keyset = run.state.state_details.run_input_keyset or keyset_from_base_key("paused")
        try:
            client.read_flow_run_input(flow_run_id, keyset["schema"])
        except Exception:
            return False
        return True


def _find_run(name: str) -> UUID | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
    return runs[0].id if runs else None


def test_a_report_entered_in_the_ui_is_recorded_through_the_same_path(database: Database) -> None:
    began = datetime.now(UTC)
    from prefect.flow_runs import resume_flow_run

    from flows.report_input import pause_key, report_input

    ledger = build_ledger(database)
    run_name = f"report-input-{time.time_ns()}"
    outcome: dict[str, Any] = {}

    def run_flow() -> None:
        try:
            outcome["result"] = report_input.with_options(flow_run_name=run_name)(
                measure=ledger.own_measure,
                period_start=date(2024, 1, 1),
                period_end=date(2024, 1, 5),
                timeout_seconds=300,
                poll_interval=1,
            )
        except BaseException as error:  # surfaced by the assertions below
            outcome["error"] = error

    thread = threading.Thread(target=run_flow, daemon=True)
    thread.start()
    flow_run_id = wait_for(lambda: _find_run(run_name))
    assert pause_key(1) == "report-1"
    wait_for(lambda: _paused_with_schema(flow_run_id, "report-1"))
    # A form the schema refuses (a metric that is not a number) does not resume the run at all.
    with pytest.raises(RuntimeError, match=r"(?i)run input|validat|schema"):
        resume_flow_run(
            flow_run_id, run_input={"text": "x", "metrics": [{"name": "宣传信", "value": "四万"}]}
        )
    # Well-formed but refused by the intake (blank text): the run pauses again, showing the reason.
    resume_flow_run(flow_run_id, run_input={"text": "  "})
    wait_for(lambda: _paused_with_schema(flow_run_id, "report-2"))
    resume_flow_run(
        flow_run_id,
        run_input={
            "text": "已组织专题学习2次。",
            "claimed_status": "done",
            "author": "局办公室",
            "metrics": [{"name": "专题学习", "value": 2, "unit": "次"}],
        },
    )
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["result"]
    assert summary["source"] == "ui" and summary["measure_status"] == "done"
    with database.unit_of_work() as session:
        (report,) = session.scalars(select(Report)).all()
        assert report.text == "已组织专题学习2次。"
        assert (report.period_start, report.period_end) == (date(2024, 1, 1), date(2024, 1, 5))
        assert report.idempotency_key == f"ui:{flow_run_id}"
        assert [(m.name, int(m.value), m.unit) for m in report.metrics] == [("专题学习", 2, "次")]
        actors = session.scalars(select(StatusEvent.actor).where(StatusEvent.kind == "report")).all()
        assert actors == [f"prefect ui run {flow_run_id}"]
    assert wait_for(lambda: _events(f"zhenggai.report.{summary['id']}", began))


# -- closing pauses the deployment -------------------------------------------------------------------


async def _deployment(name: str) -> Any:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_deployment_by_name(f"check_measure/{name}")


def test_closing_pauses_the_deployment_and_reopening_resumes_it(
    settings: Settings, database: Database
) -> None:
    from flows.sync import sync_bulk

    ledger = build_ledger(database)
    config = api_settings(settings)
    sync_bulk(database, config)
    code = ledger.own_measure
    assert asyncio.run(_deployment(code)).paused is False
    coordinator = ledger.headers("coordinator")
    with TestClient(create_app(config)) as client:
        assert post_report(client, ledger, "unit", code, claimed_status="done").status_code == 201
        accepted = client.post(f"/api/measures/{code}/accept", json={"note": "核查属实"}, headers=coordinator)
        assert accepted.status_code == 200, accepted.text
        assert "paused" in accepted.json()["deployment"]
        assert asyncio.run(_deployment(code)).paused is True
        assert asyncio.run(_deployment(ledger.other_measure)).paused is False
        reopened = client.post(
            f"/api/measures/{code}/reopen", json={"reason": "问题反弹"}, headers=coordinator
        )
        assert reopened.status_code == 200, reopened.text
        assert asyncio.run(_deployment(code)).paused is False


def test_a_ui_entry_refused_every_time_fails_the_run_with_the_reason(database: Database) -> None:
    from prefect.flow_runs import resume_flow_run

    from flows.report_input import report_input

    ledger = build_ledger(database)
    run_name = f"report-input-{time.time_ns()}"
    outcome: dict[str, Any] = {}

    def run_flow() -> None:
        try:
            report_input.with_options(flow_run_name=run_name)(
                measure=ledger.own_measure,
                period_start=date(2999, 1, 1),  # not begun yet: every entry is refused
                period_end=date(2999, 1, 5),
                timeout_seconds=300,
                poll_interval=1,
                attempts=1,
            )
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run_flow, daemon=True)
    thread.start()
    flow_run_id = wait_for(lambda: _find_run(run_name))
    wait_for(lambda: _paused_with_schema(flow_run_id, "report-1"))
    resume_flow_run(flow_run_id, run_input={"text": "已完成"})
    thread.join(timeout=120)
    assert "in the future" in str(outcome["error"])
    with database.unit_of_work() as session:
        assert session.scalars(select(Report)).all() == []


def test_closing_in_the_desk_pauses_the_deployment_too(settings: Settings, database: Database) -> None:
    """The desk's review posts are async routes: the sync runs in a worker thread, not on the event loop
    (where its asyncio.run would fail and leave the deployment running)."""
    from flows.sync import sync_bulk
    from tests.integration.test_desk import sign_in
    from tests.support.desk import build_desk_ledger
    from tests.support.portal import portal_settings

    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config)
    sync_bulk(database, config)
    assert asyncio.run(_deployment(ledger.claimed)).paused is False
    with TestClient(create_app(config)) as client:
        csrf = sign_in(client, ledger, "coordinator")
        answer = client.post(
            f"/desk/measures/{ledger.claimed}/accept", data={"csrf": csrf, "note": "现场核查，台账齐全"}
        )
    assert answer.status_code == 200 and "已销号" in answer.text
    assert "deployment not synced" not in answer.text
    assert asyncio.run(_deployment(ledger.claimed)).paused is True
