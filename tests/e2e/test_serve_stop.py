"""A stop signal stops serve even when it comes while the interpreter runs a finalizer: a KeyboardInterrupt
raised by a signal handler there is lost ("Exception ignored in ..."), and serve went on serving (seen under
load, with runs in flight: the test of starting and stopping twice then waited in vain). A stop that hangs
anyway ends in a forced exit that says where it waited (``flows.serve_stop``)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from typing import Any
from uuid import UUID

import pytest

from models.db import Database
from models.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness", "clean_server")]


class _SignalsWhenCollected:
    """Sends a signal to this process from its ``__del__``: the handler runs inside the finalizer
    (``os.kill`` runs the pending handlers before it returns)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_stop_signal_taken_inside_a_finalizer_stops_serve(
    seeded_database: Database,
    settings: Settings,
    stop: signal.Signals,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.serve import serve_async
    from flows.serve_stop import stop_on_signals

    serving = threading.Event()

    async def serve_then_stop() -> None:
        task = asyncio.create_task(serve_async(rescan_seconds=600, afterwards=serving.set))
        started = await asyncio.to_thread(serving.wait, 180)
        assert started, "serve did not start"
        _SignalsWhenCollected(stop)  # dropped at once: the signal comes from its finalizer
        done, _ = await asyncio.wait({task}, timeout=120)
        if not done:
            task.cancel()
            await asyncio.wait({task})
            pytest.fail(f"serve did not stop within 120 s of {stop.name}")
        task.result()

    forced: list[int] = []
    # the deadline past the test's own wait, and a forced exit recorded, not taken (it would end pytest)
    with stop_on_signals(settings.data_dir, seconds=300) as deadline:
        deadline.exit, deadline.kill_rest = forced.append, lambda: None
        asyncio.run(serve_then_stop())
    assert forced == []
    assert "serve: stopped; schedules left active" in capsys.readouterr().out


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_serve_stops_with_a_check_running(
    seeded_database: Database, settings: Settings, stop: signal.Signals
) -> None:
    """The condition the loaded suite met: runs in flight (forked from the warm server) when the stop comes.
    Prefect has them as it stops a runner: Ctrl-C lets them finish, SIGTERM cancels them."""
    from prefect.settings import PREFECT_API_URL

    from tests.e2e.test_serve import serve_running, stop_serve, wait_for
    from tests.e2e.test_serve_warm_start import _finished, _run_a_check

    with serve_running(settings, str(PREFECT_API_URL.value())) as (process, lines):
        wait_for(lines, "serve: serving", process)
        run_id = asyncio.run(_run_a_check())
        asyncio.run(_running(run_id))
        stop_serve(process, lines, stop, dump_dir=settings.data_dir, timeout=120)
        run = asyncio.run(_finished(run_id))
    # Ctrl-C: the run finished; SIGTERM: cancelled, unless it finished before the runner came to it
    expected = {"COMPLETED"} if stop == signal.SIGINT else {"CANCELLED", "COMPLETED"}
    assert run.state.type.value in expected, run.state


async def _running(run_id: UUID, timeout: float = 180) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for _ in range(int(timeout)):
            run = await client.read_flow_run(run_id)
            if run.state is not None and (run.state.is_running() or run.state.is_final()):
                return
            await asyncio.sleep(1)
    raise AssertionError(f"run {run_id} did not start within {timeout:.0f} s")


# Prefect's runner made to hang where a stop waits on it; the deadline made short
_STOP_HANGS = """
import asyncio, flows.serve_stop, prefect.runner
flows.serve_stop.STOP_DEADLINE_SECONDS = {deadline}
async def _hang(self, *args):
    print("test: hanging", flush=True)
    await asyncio.Event().wait()
entered = prefect.runner.Runner.__aenter__
async def _entered(self):
    started = await entered(self)
    print("test: runner started", flush=True)
    return started
prefect.runner.Runner.__aenter__ = _entered
prefect.runner.Runner.{method} = _hang
"""


def _exit_of(process: Any, lines: Any, stop: signal.Signals, *, again_after: float | None = None) -> int:
    """Send ``stop`` (and SIGINT ``again_after`` seconds later); serve's exit code within 30 s."""
    from tests.e2e.test_serve import said_so_far

    process.send_signal(stop)
    if again_after is not None:
        time.sleep(again_after)
        process.send_signal(signal.SIGINT)
    try:
        return int(process.wait(timeout=30))
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not exit within 30 s; it said: {said_so_far(lines)}")


@pytest.mark.parametrize("again", [False, True], ids=["deadline", "second-signal"])
def test_a_stop_stuck_in_the_runner_ends_in_a_forced_exit(
    seeded_database: Database, settings: Settings, again: bool
) -> None:
    from prefect.settings import PREFECT_API_URL

    from tests.e2e.test_serve import said_so_far, serve_running, wait_for

    deadline = 600 if again else 3
    prelude = _STOP_HANGS.format(deadline=deadline, method="astop")
    with serve_running(settings, str(PREFECT_API_URL.value()), prelude=prelude) as (process, lines):
        wait_for(lines, "test: runner started", process)
        started = time.monotonic()
        code = _exit_of(process, lines, signal.SIGTERM, again_after=2 if again else None)
        took = time.monotonic() - started
    said = said_so_far(lines)
    assert code == 1, said
    assert took < 15
    assert "Traceback" not in said
    if again:
        assert "serve: a second stop signal: exiting now" in said
        assert list(settings.data_dir.glob("serve-stop-*.txt")) == []
        return
    assert "serve: not stopped 3 s after SIGTERM: exiting now; where it waited: " in said
    (dump,) = settings.data_dir.glob("serve-stop-*.txt")
    assert str(dump) in said
    assert "_hang" in dump.read_text(encoding="utf-8")  # the stuck stop's stack is in the file


def test_a_runner_that_never_starts_is_cancelled_at_a_stop(
    seeded_database: Database, settings: Settings
) -> None:
    from prefect.settings import PREFECT_API_URL

    from tests.e2e.test_serve import said_so_far, serve_running, wait_for

    prelude = (
        _STOP_HANGS.format(deadline=600, method="__aenter__")
        + "\nimport flows.serve\nflows.serve.RUNNER_START_WAIT = 1"
    )
    with serve_running(settings, str(PREFECT_API_URL.value()), prelude=prelude) as (process, lines):
        wait_for(lines, "test: hanging", process)
        time.sleep(0.5)  # serve takes SIGTERM back from Prefect's runner right after the runner's first await
        code = _exit_of(process, lines, signal.SIGTERM)
    said = said_so_far(lines)
    assert code == 0, said
    assert "serve: the runner had not started 1 s after the stop: cancelled" in said
    assert "serve: stopped; schedules left active" in said
    assert list(settings.data_dir.glob("serve-stop-*.txt")) == []
