"""The failed-run alert: ``zhenggai sync`` makes (idempotently) the automation that, on a failed or crashed
run tagged ``zhenggai``, runs ``tell_run_failed``; that flow sends the coordinator's office one message
per run (to a loopback receiver here), and a second telling of the same run sends nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flows.run_failed import AUTOMATION_NAME, DEPLOYMENT_NAME, FLOW_NAME
from models.db import Database
from models.enums import MessageKind
from models.settings import Settings
from models.tables import Contact, Delivery
from tests.e2e.test_api_prefect import wait_for
from tests.support.loopback import JsonReceiver, json_receiver

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

__all__ = ["json_receiver"]  # a fixture, used by name
# Monday 30 November 2026, 10:00 in Shanghai: a working day, outside quiet hours
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)


async def _automations() -> list[Any]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return list(await client.read_automations_by_name(AUTOMATION_NAME))


async def _remove_alert() -> None:
    """The harness lives for the session and other tests sync too: start with no alert (automation and
    its deployment), so that this sync is the one that makes it."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        for automation in await client.read_automations_by_name(AUTOMATION_NAME):
            await client.delete_automation(automation.id)
        try:
            deployment = await client.read_deployment_by_name(f"{FLOW_NAME}/{DEPLOYMENT_NAME}")
        except ObjectNotFound:  # none yet
            return
        await client.delete_deployment(deployment.id)


async def _alert_deployment() -> Any:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_deployment_by_name(f"{FLOW_NAME}/{DEPLOYMENT_NAME}")


async def _alert_runs(deployment_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        return list(
            await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
        )


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("clean_server")
def test_sync_makes_the_alert_once_and_a_failed_run_tells_the_office(
    seeded_database: Database, settings: Settings, json_receiver: JsonReceiver
) -> None:
    from prefect import flow, tags

    from flows.run_failed import tell_run_failed
    from flows.sync import sync_bulk

    asyncio.run(_remove_alert())
    first = sync_bulk(seeded_database, settings)
    assert "automation created" in first.alert and "deployment created" in first.alert
    assert sync_bulk(seeded_database, settings).alert == []  # idempotent
    (automation,) = asyncio.run(_automations())
    assert automation.enabled
    assert set(automation.trigger.expect) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    (action,) = automation.actions
    deployment = asyncio.run(_alert_deployment())
    assert action.deployment_id == deployment.id
    assert action.parameters == {"flow_run_id": "{{ event.resource.id }}"}

    with seeded_database.unit_of_work() as session:
        office = session.scalars(select(Contact).where(Contact.code == "duban-office")).one()
        office.urls = [json_receiver.url("duban-office")]
        session.commit()

    @flow(name="failing-check")
    def failing() -> None:
        raise RuntimeError("the ledger database is down")

    with tags("zhenggai"):
        state = failing(return_state=True)
    assert state.is_failed()
    run_id = str(state.state_details.flow_run_id)

    # the server's automation reacts: it asks for a run of the alert deployment with the failed run's id
    # (the harness runs no worker: the run is made here, as a worker would)
    fired = wait_for(lambda: asyncio.run(_alert_runs(deployment.id)), timeout=90)
    assert fired[0].parameters == {"flow_run_id": f"prefect.flow-run.{run_id}"}

    told = tell_run_failed(flow_run_id=f"prefect.flow-run.{run_id}", now=NOW)
    assert told["recorded"] == 1 and told["delivered"].get("sent") == 1
    (message,) = json_receiver.to("duban-office")
    assert message.body["title"].startswith("【运行异常】")
    assert ("Failed" in message.body["title"] and run_id in message.body["message"]) or "failing" in str(
        message.body
    )
    again = tell_run_failed(flow_run_id=run_id, now=NOW)
    assert again["recorded"] == 0 and len(json_receiver.to("duban-office")) == 1
    with seeded_database.unit_of_work() as session:
        kinds = list(
            session.scalars(select(Delivery.kind).where(Delivery.kind == MessageKind.RUN_FAILED.value))
        )
    assert kinds == [MessageKind.RUN_FAILED.value]


def test_the_alert_on_a_worker_without_the_ledger_fails_saying_so_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not an empty ledger's nobody told, silently: the alert's own run fails, naming what to set."""
    from flows.run_failed import record_failed_run
    from models.errors import NoLedger
    from models.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHENGGAI_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZHENGGAI_DATA_DIR", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(NoLedger, match="set ZHENGGAI_DATABASE_URL or ZHENGGAI_DATA_DIR in this worker"):
            record_failed_run.fn({"name": "check-xh-07-1"}, NOW)
    finally:
        get_settings.cache_clear()
    assert list(tmp_path.iterdir()) == []
