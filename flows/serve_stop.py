"""How ``zhenggai serve`` stops: SIGTERM or Ctrl-C at any moment, and a stop that hangs is ended.

- While serve syncs (plain code, nothing else could stop it) a stop signal raises ``KeyboardInterrupt``
  (``stop_on_signals``): every ``finally`` runs and the local server is stopped.
- While it serves, the signals are taken by a handler that raises nothing and hands the stop to the event
  loop (``stops_on_loop``): a ``KeyboardInterrupt`` raised inside a finalizer is lost ("Exception ignored
  in ...") and serve went on serving (seen under load with runs in flight).
- Every stop starts a deadline (``StopDeadline``): a stop normally takes 2–4 s, but one stuck in
  Prefect's runner or in a call that never returns left serve running until it was killed (seen once in
  the loaded suite, cause unknown). When the deadline passes serve writes every thread's stack to a file
  in the data directory and says so; then, or at once at a second stop signal, it kills what it started
  and exits 1.
  Schedules stay active either way (serve never pauses them).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

# From the first stop signal to a forced exit. Ctrl-C lets runs in flight finish (a check takes seconds),
# SIGTERM cancels them (Prefect gives each process a moment to exit); the local server then stops in under
# a second. systemd's default before its SIGKILL is 90 s.
STOP_DEADLINE_SECONDS = 60.0


class StopDeadline:
    """Ends the process if a stop has not ended it ``seconds`` after the first stop signal (its stacks then
    go to a file under ``dump_dir``), or at once on a second one: ``on_forced_exit`` callbacks run, every
    process below serve is killed (``kill_rest``), exit 1."""

    def __init__(
        self,
        dump_dir: Path,
        seconds: float = STOP_DEADLINE_SECONDS,
        *,
        exit: Callable[[int], object] = os._exit,
        kill_rest: Callable[[], object] | None = None,
    ) -> None:
        self.dump_dir = dump_dir
        self.seconds = seconds
        self.exit = exit  # os._exit: the main thread is stuck, nothing it would run on the way out can wait
        # the flow runs in flight and the fork server share serve's process group, not the local server's:
        # orphaned, they would go on reporting to a server that is gone
        self.kill_rest = kill_descendants if kill_rest is None else kill_rest
        self.on_forced_exit: list[Callable[[], object]] = []
        self.asked = threading.Event()  # a stop signal came (whoever took it)
        self._again = threading.Event()
        self._disarmed = threading.Event()
        self._first: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # serve's, once it serves
        # started now, waiting: a signal handler then only sets events (no lock, no thread start in it)
        self.watcher = threading.Thread(target=self._watch, name="zhenggai-stop-deadline", daemon=True)
        self.watcher.start()

    def signalled(self, signum: int) -> bool:
        """Record a stop signal (safe in a signal handler: it only sets events); True for the first one."""
        if not self.asked.is_set():
            self._first = signum
            self.asked.set()
            return True
        self._again.set()
        return False

    def disarm(self) -> None:
        """The stop is over, or serve returned: no forced exit; the process may go on (a test's)."""
        self._disarmed.set()
        self.asked.set()
        self._again.set()

    def _watch(self) -> None:
        self.asked.wait()
        again = self._again.wait(self.seconds)
        if self._disarmed.is_set():
            return
        try:  # nothing may keep it from the exit: a print to a closed pipe (`serve | tee`, tee stopped too)
            with contextlib.suppress(Exception):
                if again:  # someone who would not wait: no file, the stop was likely just slow
                    print("serve: a second stop signal: exiting now", file=sys.stderr, flush=True)
                else:
                    first = signal.Signals(self._first or signal.SIGTERM).name
                    print(
                        f"serve: not stopped {self.seconds:g} s after {first}: exiting now; "
                        f"where it waited: {self._dump()}",
                        file=sys.stderr,
                        flush=True,
                    )
            for callback in self.on_forced_exit:
                with contextlib.suppress(Exception):
                    callback()
            with contextlib.suppress(Exception):
                self.kill_rest()
        finally:
            self.exit(1)

    def _dump(self) -> str:
        """Every thread's stack, in a file of its own (a user sees one line, not a traceback)."""
        try:
            self.dump_dir.mkdir(parents=True, exist_ok=True)
            path = self.dump_dir / f"serve-stop-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
            with path.open("w", encoding="utf-8") as out:
                faulthandler.dump_traceback(file=out, all_threads=True)
                if self.loop is not None:
                    # a stop stuck on the event loop waits in a coroutine: no thread's stack shows it
                    out.write("\nThe event loop's tasks:\n")
                    for task in asyncio.all_tasks(self.loop):
                        out.write(f"{task.get_name()}:\n{''.join(_awaiting(task.get_coro()))}")
            return str(path)
        except Exception as error:  # a file not written must not keep serve from exiting
            return f"not written ({error})"


def _awaiting(coroutine: Any) -> Iterator[str]:
    """Where a coroutine waits, outermost first, following what each awaits (a task's own stack shows
    only its outermost frame)."""
    while coroutine is not None:
        frame = getattr(coroutine, "cr_frame", None) or getattr(coroutine, "gi_frame", None)
        if frame is not None:
            yield f'  File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}\n'
        coroutine = getattr(coroutine, "cr_await", None) or getattr(coroutine, "gi_yieldfrom", None)


def descendants(pid: int | None = None) -> list[int]:
    """Every process below ``pid`` (this one), children before theirs (Linux's ``/proc/PID/task/*/children``;
    elsewhere none)."""
    found: list[int] = []
    parents = [os.getpid() if pid is None else pid]
    while parents:
        parent = parents.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                below = [int(child) for child in children.read_text().split()]
                found.extend(below)
                parents.extend(below)
    return found


def kill_descendants() -> None:
    """SIGKILL every process below this one (the tree read first: a killed parent's children move away)."""
    for child in descendants():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)


# the stop deadline of the serve running in this process (None: not serving)
_deadline: StopDeadline | None = None


def stop_asked() -> bool:
    """Whether a stop signal came since serve started (a ``KeyboardInterrupt`` it raised may be lost)."""
    return _deadline is not None and _deadline.asked.is_set()


def on_forced_exit(callback: Callable[[], object]) -> None:
    """Run ``callback`` (quickly, from another thread) before a forced exit: kill what serve started."""
    if _deadline is not None:
        _deadline.on_forced_exit.append(callback)


def _raise_interrupt(signum: int, frame: Any) -> None:
    if _deadline is None or _deadline.signalled(signum):
        raise KeyboardInterrupt(f"signal {signum}")
    # a second signal: the deadline's thread ends the process; raising again would cut short the stop
    # that is under way (the local server's, say)


@contextmanager
def stop_on_signals(
    dump_dir: Path, seconds: float | None = None, *, disarm_on_exit: bool = True
) -> Iterator[StopDeadline]:
    """SIGTERM and Ctrl-C stop serve wherever it is (``KeyboardInterrupt``), within the stop deadline.
    ``disarm_on_exit=False`` (the ``zhenggai serve`` process): the deadline still holds while the
    interpreter shuts down (Prefect's log and event workers drain then, with no time limit); a process
    that goes on after serve (a test's) leaves it True."""
    global _deadline
    deadline = StopDeadline(dump_dir, STOP_DEADLINE_SECONDS if seconds is None else seconds)
    _deadline = deadline
    previous = {stop: signal.signal(stop, _raise_interrupt) for stop in STOP_SIGNALS}
    try:
        yield deadline
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
        _deadline = None
        if disarm_on_exit or not deadline.asked.is_set():
            deadline.disarm()


def loop_stop_handler(loop: asyncio.AbstractEventLoop, ask: Callable[[int], None]) -> Callable[..., None]:
    """A signal handler that raises nothing: it records the stop and calls ``ask(signum)`` on ``loop``."""

    def handle(signum: int, frame: Any) -> None:
        if _deadline is None or _deadline.signalled(signum):
            loop.call_soon_threadsafe(ask, signum)

    return handle


@contextmanager
def stops_on_loop(
    loop: asyncio.AbstractEventLoop, ask: Callable[[int], None]
) -> Iterator[Callable[..., None]]:
    """While serving, SIGTERM and Ctrl-C call ``ask(signum)`` on the event loop (the first of them; a second
    is the deadline's); yields the handler, to take SIGTERM back from Prefect's runner. The handlers
    before are restored on the way out."""
    handler = loop_stop_handler(loop, ask)
    if _deadline is not None:
        _deadline.loop = loop
    previous = {stop: signal.signal(stop, handler) for stop in STOP_SIGNALS}
    try:
        yield handler
    finally:
        for stop, before in previous.items():
            signal.signal(stop, before if before is not None else signal.SIG_DFL)
