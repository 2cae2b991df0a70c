"""``zhenggai serve`` runs each check in a process forked from its warm server (``flows.warm_start``), and the
run ends as a spawned one would: Completed, its last log lines and its event on the API. With the warm path
off, or Prefect's internals not as expected, serve runs checks Prefect's default way."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any
from uuid import UUID

import pytest

from models.db import Database
from models.settings import Settings
from tests.e2e.test_serve import start_serve, wait_for

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness", "clean_server")]

MEASURE = "XH-05-2"


async def _run_a_check() -> UUID:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deployment = await client.read_deployment_by_name(f"check_measure/{MEASURE}")
        run = await client.create_flow_run_from_deployment(
            deployment.id, parameters={"measure": MEASURE, "trigger": "cadence"}
        )
    return run.id


async def _finished(run_id: UUID, timeout: float = 180) -> Any:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                return run
            await asyncio.sleep(0.25)
    raise AssertionError(f"run {run_id} not finished within {timeout:.0f} s: {run.state}")


async def _logs(
    run_id: UUID, last: str = f"{MEASURE}: handed over to notification", timeout: float = 60
) -> list[str]:
    """The run's log lines once its last one has arrived (or ``timeout``): the run is Completed before its
    process sends the last batch of logs, which it does on its way out."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while True:
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200)
            messages = [log.message for log in logs]
            if any(last in message for message in messages) or time.monotonic() > deadline:
                return messages
            await asyncio.sleep(0.25)


def _serve_a_check(settings: Settings, extra_env: dict[str, str]) -> tuple[list[str], Any, list[str]]:
    from prefect.settings import PREFECT_API_URL

    api_url = str(PREFECT_API_URL.value())
    saved = {k: os.environ.get(k) for k in extra_env}
    os.environ.update(extra_env)
    try:
        process, lines = start_serve(settings, api_url)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        output = wait_for(lines, "serve: serving", process)
        run_id = asyncio.run(_run_a_check())
        run = asyncio.run(_finished(run_id))
        logs = asyncio.run(_logs(run_id))
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        output += [lines.get_nowait() for _ in range(lines.qsize())]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return output, run, logs


def _check_completed(run: Any, logs: list[str], output: list[str]) -> None:
    assert run.state.type.value == "COMPLETED", (run.state, "".join(output))
    # the run's last log line reached the API: its process drained Prefect's log worker before it ended
    assert any(f"{MEASURE}: handed over to notification" in message for message in logs), logs
    assert any("Finished in state Completed" in message for message in logs), logs


def test_serve_runs_a_check_forked_from_its_warm_server(
    seeded_database: Database, settings: Settings
) -> None:
    output, run, logs = _serve_a_check(settings, {"PREFECT_LOGGING_LEVEL": "INFO"})
    said = "".join(output)
    assert "each run forked from a warm server" in said, said
    assert "warning" not in said, said
    _check_completed(run, logs, output)


def test_serve_with_warm_starts_off_runs_checks_as_new_processes(
    seeded_database: Database, settings: Settings
) -> None:
    output, run, logs = _serve_a_check(
        settings, {"ZHENGGAI_WARM_STARTS": "false", "PREFECT_LOGGING_LEVEL": "INFO"}
    )
    assert "each run a new process" in "".join(output)
    _check_completed(run, logs, output)


def test_warm_start_falls_back_with_one_warning_when_prefect_is_not_as_expected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from prefect.runner import Runner

    from flows import warm_start

    runner = Runner(name="test-fallback")
    del runner._deployment_registry
    assert warm_start.warm_starts(runner) is False
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("serve: warning: checks start as new processes"), err
    assert warm_start._original is None  # Prefect's starter left as it was


def test_the_warm_path_forks_its_process_and_restores_prefect(settings: Settings) -> None:
    """The patched starter hands Prefect a forkserver process, and stopping gives Prefect its own back."""
    import multiprocessing.context

    from prefect.runner import Runner, _starter_direct

    from flows import warm_start

    prefects = _starter_direct.run_flow_in_subprocess
    runner = Runner(name="test-warm")
    assert warm_start.warm_starts(runner) is True
    try:
        assert _starter_direct.run_flow_in_subprocess is warm_start._warm_run_flow_in_subprocess
        process = warm_start._WarmContext().get_context("spawn").Process(target=_exit_code_three, args=())
        assert isinstance(process, multiprocessing.context.ForkServerProcess)
        process.start()
        process.join(timeout=60)
        assert process.exitcode == 3
    finally:
        warm_start.stop_warm_starts()
    assert _starter_direct.run_flow_in_subprocess is prefects


def _exit_code_three() -> None:
    raise SystemExit(3)
