"""The local server ``serve`` starts schedules a week ahead, unless the operator configured its scheduler;
a first sync runs against it with its services off and few creates in flight; its runner looks for due runs
every 3 s (a freed flow-run slot waits that long, not Prefect's 10 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.local_server import (
    EMBEDDED_SCHEDULER,
    LOCAL_FIRST_SYNC_CONCURRENCY,
    _server_command,
    _server_env,
    local_server_is_new,
)


def test_the_embedded_server_schedules_a_week_ahead_at_most_ten_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in EMBEDDED_SCHEDULER:
        monkeypatch.delenv(name, raising=False)

    env = _server_env()

    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS"] == "10"
    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME"] == "P7D"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_the_first_sync_runs_with_the_services_off() -> None:
    assert _server_command(4300, services=False)[-1] == "--no-services"
    assert "--no-services" not in _server_command(4300)
    assert _server_command(4300)[-4:] == ["--host", "127.0.0.1", "--port", "4300"]
    assert 1 <= LOCAL_FIRST_SYNC_CONCURRENCY < 4  # fewer than against a shared server


def test_a_local_server_is_new_until_its_database_exists(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_HOME, PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    database = tmp_path / "prefect.db"
    with temporary_settings(
        {PREFECT_HOME: str(tmp_path)}, restore_defaults={PREFECT_SERVER_DATABASE_CONNECTION_URL}
    ):
        assert local_server_is_new()
        database.write_bytes(b"")
        assert not local_server_is_new()
    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: "postgresql+asyncpg://db/prefect"}):
        assert not local_server_is_new()  # not a database of ours


def test_an_operators_own_scheduler_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS", "100")

    assert _server_env()["PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS"] == "100"


def test_prefect_reads_the_values_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names and values are Prefect's own (a renamed setting would be ignored silently, a value it
    cannot read would stop the server)."""
    from datetime import timedelta

    from prefect.settings.models.server.services import ServerServicesSchedulerSettings

    for name, value in EMBEDDED_SCHEDULER.items():
        monkeypatch.setenv(name, value)
    settings = ServerServicesSchedulerSettings()
    assert settings.max_runs == 10
    assert settings.max_scheduled_time == timedelta(days=7)


def test_the_runner_looks_for_due_runs_every_three_seconds_unless_the_operator_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.serve import RUNNER_POLL_SECONDS, runner_poll_seconds

    monkeypatch.delenv("PREFECT_RUNNER_POLL_FREQUENCY", raising=False)
    assert runner_poll_seconds() == RUNNER_POLL_SECONDS == 3.0  # a freed slot waits 3 s, not Prefect's 10
    monkeypatch.setenv("PREFECT_RUNNER_POLL_FREQUENCY", "20")
    assert runner_poll_seconds() is None  # the runner then reads the operator's setting


def test_the_local_server_can_be_stopped_by_sigterm(tmp_path: Path) -> None:
    """serve holds SIGTERM and SIGINT while it starts the server; a child inherits that mask across exec,
    so unless the child unblocks them the server never sees a stop (it was killed after 20 s instead)."""
    import os
    import signal
    import sys

    from flows.local_server import _spawn

    out = tmp_path / "blocked"
    script = (
        "import signal; "
        f"open({str(out)!r}, 'w').write(' '.join(str(int(s)) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))"
    )
    assert _spawn([sys.executable, "-c", script], dict(os.environ)).wait() == 0
    blocked = {int(number) for number in out.read_text().split()}
    assert int(signal.SIGTERM) not in blocked
    assert int(signal.SIGINT) not in blocked
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # nor left held in serve
