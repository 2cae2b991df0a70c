"""The stop deadline: a forced exit after the deadline or a second signal, never once serve has stopped."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from flows import serve_stop
from flows.serve_stop import StopDeadline


class _Exit:
    """Stands in for ``os._exit`` (the test's process must live on)."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.done = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.done.set()


@pytest.fixture
def exits() -> _Exit:
    return _Exit()


@pytest.fixture
def deadline(tmp_path: Path, exits: _Exit) -> StopDeadline:
    return StopDeadline(tmp_path / "data", seconds=0.2, exit=exits)


def test_the_deadline_forces_the_exit_and_writes_where_it_waited(
    deadline: StopDeadline, exits: _Exit, capsys: pytest.CaptureFixture[str]
) -> None:
    killed = threading.Event()
    deadline.on_forced_exit.append(killed.set)
    assert deadline.signalled(signal.SIGTERM) is True
    assert exits.done.wait(10)
    assert exits.codes == [1] and killed.is_set()
    (dump,) = deadline.dump_dir.glob("serve-stop-*.txt")
    assert "most recent call first" in dump.read_text(encoding="utf-8")
    said = capsys.readouterr().err
    assert f"serve: not stopped 0.2 s after SIGTERM: exiting now; where it waited: {dump}" in said


def test_a_second_signal_forces_the_exit_at_once(
    tmp_path: Path, exits: _Exit, capsys: pytest.CaptureFixture[str]
) -> None:
    deadline = StopDeadline(tmp_path, seconds=600, exit=exits)
    assert deadline.signalled(signal.SIGINT) is True
    assert deadline.signalled(signal.SIGINT) is False
    assert exits.done.wait(10)
    assert "serve: a second stop signal: exiting now" in capsys.readouterr().err
    assert not tmp_path.exists() or list(tmp_path.glob("serve-stop-*")) == []  # only a deadline writes


def test_a_stop_that_finished_is_never_forced(deadline: StopDeadline, exits: _Exit) -> None:
    deadline.signalled(signal.SIGTERM)
    deadline.disarm()
    assert not exits.done.wait(0.6)
    assert not deadline.dump_dir.exists()


def test_leaving_serve_disarms_its_deadline(tmp_path: Path, exits: _Exit) -> None:
    with serve_stop.stop_on_signals(tmp_path / "data", seconds=0.2) as deadline:
        deadline.exit = exits
        deadline.signalled(signal.SIGTERM)
        assert serve_stop.stop_asked()
    assert not serve_stop.stop_asked()
    assert not exits.done.wait(0.6)
    assert not deadline.dump_dir.exists()
