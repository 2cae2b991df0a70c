"""``zhenggai serve`` and its local Prefect server as processes: a busy port is an error that says so, and
SIGTERM or SIGINT at any moment, start-up included, leaves no server behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.settings import Settings
from tests.e2e.test_serve import wait_for
from tests.support.processes import output_lines

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "ZHENGGAI_DATABASE_URL": settings.resolved_database_url,
            "ZHENGGAI_DATA_DIR": str(settings.data_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from flows.cli import main; main()", "serve", "--no-sync", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _alive(pid: int, *, group: bool) -> bool:
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_gone(pid: int, timeout: float = 60) -> bool:
    """The server process and every process of its group (the server's own children) have exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid, group=False) and not _alive(pid, group=True):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.sqlite_only
def test_a_busy_port_is_an_error_that_says_so(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(_env(settings, tmp_path), "--port", str(port))
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output
    assert f"error: port {port} on 127.0.0.1 is in use" in output
    assert "Traceback" not in output


@pytest.mark.sqlite_only
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_start_up_leaves_no_server(
    settings: Settings, tmp_path: Path, stop: signal.Signals
) -> None:
    import re

    env = _env(settings, tmp_path)
    env["PREFECT_SERVER_API_PORT"] = str(_free_port())  # honoured without --port
    process = _serve(env)
    lines = output_lines(process)
    try:
        seen = wait_for(lines, "starting a local Prefect server", process)
        found = re.search(r"on port (\d+) \(pid (\d+)\)", seen[-1])
        assert found is not None, seen
        assert found.group(1) == env["PREFECT_SERVER_API_PORT"]
        server = int(found.group(2))
        process.send_signal(stop)  # the server is starting, not yet answering
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert _group_gone(server), "the local Prefect server outlived zhenggai serve"
