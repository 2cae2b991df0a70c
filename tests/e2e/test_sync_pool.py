"""The work pool is the installation's (``ZHENGGAI_WORK_POOL``): every sync path keeps the deployments in
it, a sync never moves a deployment out of its pool unless told, and the ledger alone decides paused or
active (a deployment paused by hand for an open measure is reported, not resumed)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import MeasureStatus
from models.settings import Settings, get_settings
from models.tables import Measure
from tasks.schedule.deployments import CLOSED_TAG
from tests.e2e.test_sync import held, run

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

POOL = "zhenggai-pool-test"


async def _create_pool(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


async def _pool_limit(name: str) -> int | None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        limit: int | None = (await client.read_work_pool(name)).concurrency_limit
        return limit


async def _pause(deployment_id: Any) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await client.pause_deployment(deployment_id)


def _set_status(database: Database, code: str, status: MeasureStatus) -> None:
    with database.unit_of_work() as session:
        session.scalars(select(Measure).where(Measure.code == code)).one().status = status
        session.commit()


@pytest.mark.usefixtures("clean_server")
def test_closing_a_measure_by_review_on_the_pool_path_keeps_every_deployment_in_the_pool(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGGAI_WORK_POOL", POOL)
    get_settings.cache_clear()
    run(_create_pool(POOL))
    first = cli("sync")
    assert first.exit_code == 0, first.output
    assert "28 created" in first.output
    assert {d.work_pool_name for d in held().values()} == {POOL}
    assert run(_pool_limit(POOL)) == 4  # ZHENGGAI_FLOW_RUN_LIMIT's default, as serve's Runner limit

    _set_status(seeded_database, "XH-07-1", MeasureStatus.DONE)
    accepted = cli("review", "accept", "XH-07-1", "--note", "现场核查，台账齐全")
    assert accepted.exit_code == 0, accepted.output
    assert "1 paused" in accepted.output
    after = held()
    assert {d.work_pool_name for d in after.values()} == {POOL}  # before: 27 left the pool
    assert after["XH-07-1"].paused and CLOSED_TAG in after["XH-07-1"].tags
    assert not any(d.paused for name, d in after.items() if name != "XH-07-1")

    reopened = cli("review", "reopen", "XH-07-1", "--reason", "复查发现问题反弹")
    assert reopened.exit_code == 0, reopened.output
    back = held()
    assert not back["XH-07-1"].paused and CLOSED_TAG not in back["XH-07-1"].tags
    assert {d.work_pool_name for d in back.values()} == {POOL}


@pytest.mark.usefixtures("clean_server")
def test_without_a_configured_pool_a_sync_leaves_each_deployment_in_its_pool_unless_told(
    seeded_database: Database, settings: Settings, cli: Any
) -> None:
    from flows.sync import sync_bulk

    run(_create_pool(POOL))
    sync_bulk(seeded_database, settings, work_pool=POOL)
    assert {d.work_pool_name for d in held().values()} == {POOL}
    _set_status(seeded_database, "XH-07-1", MeasureStatus.CLOSED)
    again = sync_bulk(seeded_database, settings)  # ZHENGGAI_WORK_POOL unset
    assert again.summary() == "0 created, 0 updated, 1 paused, 0 removed"
    assert {d.work_pool_name for d in held().values()} == {POOL}

    told = cli("sync", "--leave-pool")
    assert told.exit_code == 0, told.output
    assert "0 created, 28 updated" in told.output
    assert {d.work_pool_name for d in held().values()} == {None}


@pytest.mark.usefixtures("clean_server")
def test_a_deployment_paused_by_hand_for_an_open_measure_is_reported_not_resumed(
    seeded_database: Database, settings: Settings, cli: Any
) -> None:
    from flows.sync import sync_bulk

    sync_bulk(seeded_database, settings)
    run(_pause(held()["XH-05-2"].id))
    result = cli("sync")
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 0 paused, 0 removed" in result.output
    assert "XH-05-2: paused by hand" in result.output
    assert held()["XH-05-2"].paused


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("clean_server")
def test_on_the_worker_path_a_check_runs_after_another_measure_is_closed(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """销号 through review, then a process worker of the pool runs another measure's check."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    pool = "zhenggai-worker-test"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "ZHENGGAI_WORK_POOL": pool}
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    created = subprocess.run(
        [*prefect, "work-pool", "create", pool, "--type", "process", "--overwrite"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    monkeypatch.setenv("ZHENGGAI_WORK_POOL", pool)
    get_settings.cache_clear()
    assert cli("sync").exit_code == 0
    _set_status(seeded_database, "XH-07-1", MeasureStatus.DONE)
    accepted = cli("review", "accept", "XH-07-1", "--note", "现场核查，台账齐全")
    assert accepted.exit_code == 0, accepted.output
    assert {d.work_pool_name for d in held().values()} == {pool}

    flow_run: Any = run_deployment("check_measure/XH-05-2", parameters={"measure": "XH-05-2"}, timeout=0)
    worker = subprocess.run(
        [*prefect, "worker", "start", "--pool", pool, "--run-once"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    from prefect.client.orchestration import get_client

    async def _state() -> Any:
        async with get_client() as client:
            return (await client.read_flow_run(flow_run.id)).state

    state = run(_state())
    assert state is not None and state.is_completed(), (state, worker.stdout[-2000:], worker.stderr[-2000:])
