"""The stop deadline: a forced exit after the deadline or a second signal, never once serve has stopped."""

from __future__ import annotations

import contextlib
import os
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
    return StopDeadline(tmp_path / "data", seconds=0.2, exit=exits, kill_rest=lambda: None)


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
    deadline = StopDeadline(tmp_path, seconds=600, exit=exits, kill_rest=lambda: None)
    assert deadline.signalled(signal.SIGINT) is True
    assert deadline.signalled(signal.SIGINT) is False
    assert exits.done.wait(10)
    assert "serve: a second stop signal: exiting now" in capsys.readouterr().err
    assert not tmp_path.exists() or list(tmp_path.glob("serve-stop-*")) == []  # only a deadline writes


def test_a_stop_that_finished_is_never_forced(tmp_path: Path, exits: _Exit) -> None:
    deadline = StopDeadline(tmp_path / "data", seconds=600, exit=exits, kill_rest=lambda: None)
    deadline.signalled(signal.SIGTERM)
    deadline.disarm()
    deadline.watcher.join(10)
    assert not deadline.watcher.is_alive()
    assert exits.codes == [] and not deadline.dump_dir.exists()


def test_the_forced_exit_happens_even_when_stderr_is_gone(
    deadline: StopDeadline, exits: _Exit, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Closed:
        def write(self, text: str) -> int:
            raise BrokenPipeError

        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr("sys.stderr", Closed())  # `zhenggai serve | tee log`: Ctrl-C stops tee too
    deadline.signalled(signal.SIGTERM)
    assert exits.done.wait(10)
    assert exits.codes == [1]


@pytest.mark.parametrize("disarm_on_exit", [True, False])
def test_leaving_serve_restores_the_handlers_and_disarms_a_deadline_no_signal_armed(
    tmp_path: Path, disarm_on_exit: bool
) -> None:
    before = {stop: signal.getsignal(stop) for stop in serve_stop.STOP_SIGNALS}
    with serve_stop.stop_on_signals(
        tmp_path / "data", seconds=600, disarm_on_exit=disarm_on_exit
    ) as deadline:
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    assert {stop: signal.getsignal(stop) for stop in serve_stop.STOP_SIGNALS} == before
    deadline.watcher.join(10)
    assert not deadline.watcher.is_alive()


def test_leaving_serve_after_a_stop_disarms_its_deadline_unless_it_is_the_process_that_exits(
    tmp_path: Path, exits: _Exit
) -> None:
    with serve_stop.stop_on_signals(tmp_path / "a", seconds=600) as kept_by_a_test:
        kept_by_a_test.exit, kept_by_a_test.kill_rest = exits, lambda: None
        assert kept_by_a_test.signalled(signal.SIGTERM)
        assert serve_stop.stop_asked()
    assert not serve_stop.stop_asked()
    kept_by_a_test.watcher.join(10)
    assert not kept_by_a_test.watcher.is_alive() and exits.codes == []

    with serve_stop.stop_on_signals(tmp_path / "b", seconds=600, disarm_on_exit=False) as serves:
        serves.exit, serves.kill_rest = exits, lambda: None
        serves.signalled(signal.SIGTERM)
    assert serves.watcher.is_alive()  # still holds while the interpreter shuts down
    serves.signalled(signal.SIGINT)  # (a second signal then ends it at once)
    assert exits.done.wait(10) and exits.codes == [1]


def test_every_process_below_is_found_and_killed() -> None:
    import subprocess

    shell = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"])
    try:
        for _ in range(50):
            below = serve_stop.descendants(shell.pid)
            if len(below) == 2:
                break
            threading.Event().wait(0.1)
        assert len(below) == 2
        assert shell.pid in serve_stop.descendants()
    finally:
        for pid in [*serve_stop.descendants(shell.pid), shell.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shell.wait()
