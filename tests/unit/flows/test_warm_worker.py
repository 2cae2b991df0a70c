"""Which of a pool's runs ``zhenggai worker`` forks warm: runs of measure deployments (``check_measure`` by
its module path) without a command of their own; every other run is Prefect's process worker's."""

from __future__ import annotations

import asyncio
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


@pytest.mark.parametrize(
    ("warm", "deployment", "command"),
    [
        pytest.param(True, HOUSEKEEPING, None, id="another-deployment"),
        pytest.param(True, CHECK, "python -m prefect.engine", id="a-command-of-its-own"),
        pytest.param(False, CHECK, None, id="warm-starts-off"),
    ],
)
def test_runs_the_warm_path_does_not_take_are_prefects(
    warm: bool, deployment: UUID, command: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[Any] = []

    async def prefects_run(self: Any, flow_run: Any, configuration: Any, task_status: Any = None) -> str:
        handed.append(flow_run)
        return "prefect's"

    monkeypatch.setattr(ProcessWorker, "run", prefects_run)
    worker, _ = _worker(warm)
    configuration = ProcessJobConfiguration(command=command)
    configuration._command_configured = command is not None
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
