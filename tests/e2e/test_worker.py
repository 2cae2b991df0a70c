"""``zhenggai worker``: Prefect's process worker for the pool, each measure check forked from a warm server
(``flows.warm_worker``), the run ending as a spawned one would; other deployments' runs, and every run with
the warm path off, are Prefect's own. Wrong settings stop it before it polls, with one line."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.settings import Settings, get_settings
from tests.e2e.test_serve import wait_for
from tests.e2e.test_serve_warm_start import MEASURE, _finished, _logs, _run_a_check
from tests.e2e.test_sync_pool import _create_pool
from tests.support.processes import output_lines

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness", "clean_server")]

ROOT = Path(__file__).resolve().parents[2]
POOL = "zhenggai-warm-worker-test"
MANUAL_LAST = f"{MEASURE}: nothing handed over (manual check)"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    """The worker's environment: the session's Prefect API and the test's ledger."""
    from prefect.settings import PREFECT_API_URL

    return {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "ZHENGGAI_DATABASE_URL": settings.resolved_database_url,
        "ZHENGGAI_DATA_DIR": str(settings.data_dir),
        "PREFECT_LOGGING_LEVEL": "INFO",
        **extra,
    }


def _worker(settings: Settings, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``zhenggai worker`` run to its end (``--run-once`` or a refusal)."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "worker", *args],
        cwd=ROOT,
        env=_env(settings, **extra_env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _worker_running(settings: Settings) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """``zhenggai worker`` until stopped, in a session of its own, its output line by line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "worker"],
        cwd=ROOT,
        env=_env(settings, ZHENGGAI_WORK_POOL=POOL, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, output_lines(process)


def _synced_into_the_pool(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_create_pool(POOL))
    monkeypatch.setenv("ZHENGGAI_WORK_POOL", POOL)
    get_settings.cache_clear()
    synced = cli("sync")
    assert synced.exit_code == 0, synced.output


def test_the_worker_runs_a_check_forked_from_its_warm_server(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _synced_into_the_pool(cli, monkeypatch)
    run_id = asyncio.run(_run_a_check())
    worker = _worker(settings, "--pool", POOL, "--run-once")
    said = worker.stdout + worker.stderr
    assert worker.returncode == 0, said
    assert "each check forked from a warm server" in said and "warning" not in said, said
    run = asyncio.run(_finished(run_id))
    assert run.state.type.value == "COMPLETED", (run.state, said)
    logs = asyncio.run(_logs(run_id))
    assert any("forked from the worker's warm server" in message for message in logs), logs
    # the run's process drained Prefect's log worker before it ended: its last lines are on the API
    assert any("Finished in state Completed" in message for message in logs), logs


@pytest.mark.sqlite_only  # the ledger's backend does not matter to how the run starts
def test_with_warm_starts_off_the_worker_is_prefects_process_worker(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _synced_into_the_pool(cli, monkeypatch)
    run_id = asyncio.run(_run_a_check())
    worker = _worker(settings, "--run-once", ZHENGGAI_WORK_POOL=POOL, ZHENGGAI_WARM_STARTS="false")
    said = worker.stdout + worker.stderr
    assert worker.returncode == 0 and "each run a new process" in said, said
    run = asyncio.run(_finished(run_id))
    assert run.state.type.value == "COMPLETED", (run.state, said)
    logs = asyncio.run(_logs(run_id))
    assert not any("warm server" in message for message in logs), logs


@pytest.mark.sqlite_only
def test_the_worker_refuses_what_it_cannot_poll_with_one_line(
    seeded_database: Database, settings: Settings
) -> None:
    """No pool named, no Prefect API, a pool that does not exist, a pool of another type."""
    no_pool = _worker(settings, ZHENGGAI_WORK_POOL="")
    assert no_pool.returncode == 2 and "--pool NAME or set ZHENGGAI_WORK_POOL" in no_pool.stderr, no_pool

    env_without_api = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    no_api = subprocess.run(
        [sys.executable, "-m", "flows.cli", "worker", "--pool", POOL],
        cwd=ROOT,
        env={**env_without_api, "ZHENGGAI_DATABASE_URL": settings.resolved_database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert no_api.returncode == 1 and "PREFECT_API_URL is not set" in no_api.stderr, no_api

    missing = _worker(settings, "--pool", "no-such-pool")
    assert missing.returncode == 1, missing
    assert "no work pool 'no-such-pool'" in missing.stderr and "prefect work-pool create" in missing.stderr

    async def _other_type() -> None:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import WorkPoolCreate

        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="zhenggai-other-type", type="kubernetes"))

    asyncio.run(_other_type())  # Prefect's server takes any type a collection may bring
    other = _worker(settings, "--pool", "zhenggai-other-type")
    assert other.returncode == 1 and "is of type 'kubernetes'" in other.stderr, other
    for result in (no_pool, no_api, missing, other):
        assert "Traceback" not in result.stdout + result.stderr, result


@pytest.mark.sqlite_only
def test_a_workers_checks_lead_sessions_of_their_own_and_serves_stay_in_its_group(settings: Settings) -> None:
    """A Ctrl-C at the worker's terminal (its process group) does not reach its checks in flight, as with
    Prefect's own worker; serve's stay in serve's group, which its forced exit kills."""
    from flows import warm_start

    for own_session, exit_code in ((True, 0), (False, 1)):
        assert warm_start.warm_starts(None, who="worker", own_session=own_session) is True
        try:
            context = warm_start._WarmContext().get_context("spawn")
            process = context.Process(target=_exit_zero_if_it_leads_its_session, args=())
            process.start()
            process.join(timeout=60)
            assert process.exitcode == exit_code, own_session
        finally:
            warm_start.stop_warm_starts()


def _exit_zero_if_it_leads_its_session() -> None:
    raise SystemExit(0 if os.getsid(0) == os.getpid() else 1)


@pytest.mark.sqlite_only
def test_a_stop_takes_no_more_runs_and_lets_those_taken_finish(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM as the first run is being submitted: the worker takes nothing more, waits for what it took
    and exits 0; no run is left Pending or Running (Prefect's own handling left runs being submitted
    Pending when cancelled, and swallowed the signal while runs were in flight)."""
    _synced_into_the_pool(cli, monkeypatch)
    run_ids = [asyncio.run(_run_a_check()) for _ in range(3)]
    process, lines = _worker_running(settings)
    seen: list[str] = []
    try:
        seen += wait_for(lines, "submitting flow run", process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, "".join(seen)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    time.sleep(0.5)
    seen += [lines.get_nowait() for _ in range(lines.qsize())]
    said = "".join(seen)
    assert "worker: SIGTERM: taking no more runs" in said and "worker: stopped" in said, said

    async def _states() -> list[str]:
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            return [(await client.read_flow_run(run_id)).state.type.value for run_id in run_ids]

    states = asyncio.run(_states())
    assert "COMPLETED" in states, (states, said)
    assert set(states) <= {"COMPLETED", "SCHEDULED"}, (states, said)


@pytest.mark.sqlite_only
def test_the_worker_waits_for_its_fork_servers_imports_before_it_polls(settings: Settings) -> None:
    """Else the first check's fork holds the worker's event loop (polls, heartbeats) while they run:
    once ``wait_until_warm`` returns, a process forked from the server starts with the check imported."""
    from flows import warm_start

    assert warm_start.warm_starts(None, who="worker", own_session=True) is True
    try:
        assert warm_start.wait_until_warm() is True
        context = warm_start._WarmContext().get_context("spawn")
        process = context.Process(target=_exit_zero_if_the_check_is_imported, args=())
        process.start()
        process.join(timeout=60)
        assert process.exitcode == 0
    finally:
        warm_start.stop_warm_starts()


def _exit_zero_if_the_check_is_imported() -> None:
    raise SystemExit(0 if "flows.check_measure" in sys.modules else 1)
