"""Which of a pool's runs ``zhenggai worker`` forks warm: runs of measure deployments (``check_measure`` by
its module path) without a command of their own; every other run is Prefect's process worker's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker

from flows.warm_worker import WarmProcessWorker
from tasks.schedule.deployments import ENTRYPOINT


class FakeDeployments:
    """The one read the worker makes of a deployment: its entrypoint (counted, to show the cache)."""

    def __init__(self, entrypoints: dict[UUID, str]) -> None:
        self.entrypoints = entrypoints
        self.reads = 0

    async def read_deployment(self, deployment_id: UUID) -> Any:
        self.reads += 1
        return SimpleNamespace(entrypoint=self.entrypoints[deployment_id])


CHECK, HOUSEKEEPING = uuid4(), uuid4()


def _worker(warm: bool = True) -> tuple[WarmProcessWorker, FakeDeployments]:
    worker = WarmProcessWorker(work_pool_name="zhenggai", warm=warm)
    deployments = FakeDeployments({CHECK: ENTRYPOINT, HOUSEKEEPING: "flows/sync.py:sync_deployments"})
    worker._client = deployments  # type: ignore[assignment]
    return worker, deployments


def _run(deployment_id: UUID | None) -> Any:
    return SimpleNamespace(id=uuid4(), deployment_id=deployment_id)


def test_a_measure_deployments_run_is_a_check_and_the_entrypoint_is_read_once() -> None:
    worker, deployments = _worker()
    assert asyncio.run(worker._is_check(_run(CHECK))) is True
    assert asyncio.run(worker._is_check(_run(CHECK))) is True
    assert asyncio.run(worker._is_check(_run(HOUSEKEEPING))) is False
    assert asyncio.run(worker._is_check(_run(None))) is False  # an ad hoc run: no deployment
    assert deployments.reads == 2


class FailingDeployments:
    async def read_deployment(self, deployment_id: UUID) -> Any:
        raise RuntimeError("the API went away")


def test_a_deployment_that_cannot_be_read_now_takes_prefects_path_and_is_read_again() -> None:
    worker, _ = _worker()
    worker._client = FailingDeployments()  # type: ignore[assignment]
    assert asyncio.run(worker._is_check(_run(CHECK))) is False
    assert CHECK not in worker._entrypoints


@pytest.mark.parametrize(
    ("warm", "deployment", "job"),
    [
        pytest.param(True, HOUSEKEEPING, {}, id="another-deployment"),
        pytest.param(True, CHECK, {"command": "python -m prefect.engine"}, id="a-command-of-its-own"),
        pytest.param(True, CHECK, {"working_dir": "/srv/zhenggai"}, id="a-working-directory"),
        pytest.param(True, CHECK, {"stream_output": False}, id="output-not-streamed"),
        pytest.param(False, CHECK, {}, id="warm-starts-off"),
    ],
)
def test_runs_the_warm_path_does_not_take_are_prefects(
    warm: bool, deployment: UUID, job: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[Any] = []

    async def prefects_run(self: Any, flow_run: Any, configuration: Any, task_status: Any = None) -> str:
        handed.append(flow_run)
        return "prefect's"

    monkeypatch.setattr(ProcessWorker, "run", prefects_run)
    worker, _ = _worker(warm)
    configuration = ProcessJobConfiguration(**job)
    configuration._command_configured = "command" in job
    run = _run(deployment)
    assert asyncio.run(worker.run(run, configuration)) == "prefect's"
    assert handed == [run]


def test_the_worker_class_leaves_prefects_process_worker_registered() -> None:
    from prefect.utilities.dispatch import lookup_type
    from prefect.workers.base import BaseWorker

    assert lookup_type(BaseWorker, "process") is ProcessWorker
    assert WarmProcessWorker.type == "process"  # polls process pools


def test_the_worker_looks_as_often_as_serve_unless_prefects_setting_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.serve import RUNNER_POLL_SECONDS
    from flows.warm_worker import worker_query_seconds

    monkeypatch.delenv("PREFECT_WORKER_QUERY_SECONDS", raising=False)
    assert worker_query_seconds() == RUNNER_POLL_SECONDS == 3.0
    monkeypatch.setenv("PREFECT_WORKER_QUERY_SECONDS", "15")
    assert worker_query_seconds() is None  # the worker reads Prefect's setting


def test_the_ledger_and_data_directory_reach_every_run_by_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found from the working directory, or given relative: named to the runs absolutely; given
    absolute: left as they are."""
    from flows.warm_worker import pin_ledger
    from models.settings import get_settings

    (tmp_path / ".zhenggai").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("ZHENGGAI_DATA_DIR", "ZHENGGAI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert pin_ledger() == {"ZHENGGAI_DATA_DIR": str(tmp_path / ".zhenggai")}
        assert pin_ledger() == {}  # named now: nothing more to say

        monkeypatch.setenv("ZHENGGAI_DATA_DIR", "data")
        monkeypatch.setenv("ZHENGGAI_DATABASE_URL", "sqlite:///ledger.db")
        get_settings.cache_clear()
        assert pin_ledger() == {
            "ZHENGGAI_DATA_DIR": str(tmp_path / "data"),
            "ZHENGGAI_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        }
        assert get_settings().resolved_database_url == f"sqlite:///{tmp_path / 'ledger.db'}"
    finally:
        get_settings.cache_clear()
