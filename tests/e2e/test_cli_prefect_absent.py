"""Prefect absent or not answering (docs/reliability.md, "Bad input"): ledger-only commands never start a
temporary server and say when a deployment was not synced; with PREFECT_API_URL set but dead, a command
that needs Prefect is one line naming the URL, exit 1, no retries; ``measure check`` asks the ledger first.

Real processes (the command line as a user runs it), on a SQLite ledger of the example plan.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_DIR, ROOT


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEAD_API = f"http://127.0.0.1:{_closed_port()}/api"


def _env(data: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGGAI_", "PREFECT_"))}
    env["ZHENGGAI_DATA_DIR"] = str(data)
    env["PREFECT_HOME"] = str(data / "prefect")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def zhenggai(data: Path, *args: str, api_url: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flows.cli", *args]
    return subprocess.run(
        command, cwd=ROOT, env=_env(data, api_url), capture_output=True, text=True, timeout=240
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for args in (
        ("plan", "load", str(EXAMPLE_DIR / "plan.yaml")),
        ("report", "load", str(EXAMPLE_DIR / "reports.yaml")),
    ):
        result = zhenggai(data, *args)
        assert result.returncode == 0, result.stderr
    return data


def test_ledger_only_commands_never_start_a_temporary_server(ledger: Path) -> None:
    for args in (
        ("status",),
        ("report", "add", "--measure", "XH-08-1", "--text", "已整改完毕。", "--done"),
        ("review", "accept", "XH-08-1", "--note", "已核实"),
    ):
        result = zhenggai(ledger, *args)
        assert result.returncode == 0, result.stderr
        assert "temporary server" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
    assert "deployment not synced: no Prefect API configured; run zhenggai sync" in result.stdout


def test_a_dead_prefect_api_leaves_ledger_commands_working_in_one_line(ledger: Path) -> None:
    added = zhenggai(
        ledger, "report", "add", "--measure", "XH-08-1", "--text", "已整改。", "--done", api_url=DEAD_API
    )
    accepted = zhenggai(ledger, "review", "accept", "XH-08-1", "--note", "已核实", api_url=DEAD_API)

    assert added.returncode == 0, added.stderr
    assert added.stderr.strip().splitlines() == [
        line for line in added.stderr.strip().splitlines() if DEAD_API in line and "not sent" in line
    ]
    assert accepted.returncode == 0, accepted.stderr
    assert f"deployment not synced: the Prefect API at {DEAD_API} does not answer" in accepted.stdout
    assert "; run zhenggai sync" in accepted.stdout
    assert "Traceback" not in added.stderr + accepted.stderr


@pytest.mark.parametrize("args", [("sweep",), ("measure", "check", "XH-08-1"), ("sync",)], ids=" ".join)
def test_a_command_that_needs_a_dead_prefect_api_is_one_line_and_exit_1(
    ledger: Path, args: tuple[str, ...]
) -> None:
    result = zhenggai(ledger, *args, api_url=DEAD_API)

    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert DEAD_API in lines[0] and "does not answer" in lines[0] and "PREFECT_API_URL" in lines[0]


def test_measure_check_of_an_unknown_code_asks_the_ledger_before_prefect(ledger: Path) -> None:
    result = zhenggai(ledger, "measure", "check", "NOPE")

    assert result.returncode == 1
    assert result.stderr.strip() == "error: no measure 'NOPE' in the ledger"
