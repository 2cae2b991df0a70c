"""Checks started from a warm parent: forked from a process that imported Prefect and the check once.

Used by ``zhenggai serve`` (its ``Runner``) and ``zhenggai worker`` (``flows.warm_worker``).

By default Prefect's ``Runner`` starts each run of a deployment it only knows by id as ``python -m
prefect.engine``: a new interpreter that imports Prefect and our flows again (about 1.3–1.5 CPU-seconds of
the ~2.2 a check costs; docs/benchmarks.md). When the runner holds the deployment's flow object (what
``Runner.aadd_flow`` registers) it starts the run with Prefect's ``DirectSubprocessStarter`` through
``prefect.flow_engine.run_flow_in_subprocess`` instead, whose multiprocessing context is "spawn": a new
interpreter again. Here that same function of Prefect's runs with multiprocessing's "forkserver" context,
its server preloading ``WARM_MODULES``: every run's process is forked from a server that imported them
once. Prefect still builds the call, its environment and the control channel's bootstrap. A forked child
leaves through ``os._exit``, but multiprocessing runs threading's exit hooks first (``threading._shutdown``
in ``BaseProcess._bootstrap``): Prefect's events and logs workers drain there, as in a spawned child
(tested: the run's last log line reaches the API). ``atexit`` hooks do not run: those a child inherits
from the fork server are the server's own.

It uses Prefect private internals (``Runner._deployment_registry``, the module-level
``run_flow_in_subprocess`` of ``prefect.runner._starter_direct``, which that module documents as the point
to patch): ``warm_starts`` checks they are there and, when not, leaves Prefect's default (one process per
run, started by Prefect) with one warning line. ``ZHENGGAI_WARM_STARTS=false`` turns it off.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

# imported once by the fork server; every check's process starts with them imported: the check, and what
# a check that sends and issues imports lazily (Apprise and its plugins, Jinja2, python-docx, our sender,
# rendering (tasks.notify.preload) and the 督办单 writer (tasks.notice.preload)
WARM_MODULES = ("flows.check_measure", "tasks.notify.preload", "tasks.notice.preload")

# the name Prefect's direct starter calls (its module says: patch the module to override)
PATCHED = "run_flow_in_subprocess"
_original: Callable[..., Any] | None = None
# a worker's runs lead sessions of their own (``warm_starts(own_session=True)``); serve's stay in its group,
# which its forced exit kills (flows.serve_stop)
_own_session = False


def _why_not(runner: Any | None) -> str | None:
    """Why the warm path cannot be used with this Prefect (None: it can); ``runner``: serve's, whose
    deployment registry must take flow objects (a worker has none)."""
    try:
        from prefect import flow_engine
        from prefect.runner import _starter_direct
    except ImportError as error:
        return f"Prefect's direct starter is not importable ({error})"
    registry = getattr(runner, "_deployment_registry", None)
    if runner is not None and not callable(getattr(registry, "register_flow", None)):
        return "the runner has no deployment registry with register_flow"
    if not callable(getattr(_starter_direct, "run_flow_in_subprocess", None)):
        return "prefect.runner._starter_direct.run_flow_in_subprocess is missing"
    if getattr(flow_engine, "multiprocessing", None) is not multiprocessing:
        return "prefect.flow_engine no longer starts its subprocess through multiprocessing"
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "this platform has no forkserver start method"
    return None


def warm_starts(
    runner: Any | None, *, enabled: bool = True, who: str = "serve", own_session: bool = False
) -> bool:
    """Make Prefect's direct starter fork its runs from a warm server: the runner's runs of flows it holds
    (``register``), or a worker's (``runner`` None, ``flows.warm_worker``). False (with one warning line
    on stderr, from ``who``) when Prefect's internals are not as expected: Prefect's default then starts
    every run as a process of its own. ``own_session``: each run's process leads a session of its own."""
    global _original, _own_session
    if not enabled:
        return False
    why = _why_not(runner)
    if why is not None:
        print(
            f"{who}: warning: checks start as new processes (Prefect's default): {why}",
            file=sys.stderr,
            flush=True,
        )
        return False
    from multiprocessing import forkserver

    from prefect.runner import _starter_direct

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(WARM_MODULES))
    try:
        # start the server now (it imports WARM_MODULES in the background) with this process's
        # environment: the API's URL and the ledger's settings are set by then
        forkserver.ensure_running()
    except Exception as error:
        print(
            f"{who}: warning: checks start as new processes (Prefect's default): no fork server ({error})",
            file=sys.stderr,
            flush=True,
        )
        return False
    if _original is None:
        _original = getattr(_starter_direct, PATCHED)
        setattr(_starter_direct, PATCHED, _warm_run_flow_in_subprocess)
    _own_session = own_session
    return True


def wait_until_warm(timeout: float = 120.0) -> bool:
    """Block until the fork server has imported ``WARM_MODULES``: one empty process forked from it and
    reaped. Forking goes through the server's socket synchronously, so the first run would otherwise hold
    its caller's event loop (a worker's polls and heartbeats) for those imports. False: not in time."""
    process = multiprocessing.get_context("forkserver").Process(target=_ready)
    process.start()
    process.join(timeout)
    return process.exitcode == 0


def _ready() -> None:
    """An empty process's work (``wait_until_warm``)."""


def stop_warm_starts() -> None:
    """Prefect's own ``run_flow_in_subprocess`` again (the fork server ends with this process)."""
    global _original, _own_session
    _own_session = False
    if _original is None:
        return
    from prefect.runner import _starter_direct

    setattr(_starter_direct, PATCHED, _original)
    _original = None


def register(runner: Any, deployment_id: UUID, flow: Any) -> None:
    """Tell the runner the flow object of a deployment it polls: its runs then take the direct starter."""
    runner._deployment_registry.register_flow(deployment_id, flow)


class _OwnSessionProcess(multiprocessing.context.ForkServerProcess):
    """A process forked from the fork server that leads a session of its own before its target runs: a
    Ctrl-C or SIGTERM sent to its starter's process group does not reach it (a worker's run, as Prefect's
    own worker starts them)."""

    def run(self) -> None:
        os.setsid()
        super().run()


class _OwnSessionContext(multiprocessing.context.ForkServerContext):
    Process = _OwnSessionProcess


class _WarmContext:
    """What ``run_flow_in_subprocess`` asks of ``multiprocessing``: the "forkserver" context (its processes
    in sessions of their own for a worker)."""

    def get_context(self, method: str | None = None) -> Any:
        return _OwnSessionContext() if _own_session else multiprocessing.get_context("forkserver")

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


@contextmanager
def _forkserver_for_prefect() -> Iterator[None]:
    from prefect import flow_engine

    setattr(flow_engine, "multiprocessing", _WarmContext())  # noqa: B010
    try:
        yield
    finally:
        setattr(flow_engine, "multiprocessing", multiprocessing)  # noqa: B010


def _warm_run_flow_in_subprocess(*args: Any, **kwargs: Any) -> Any:
    """Prefect's ``run_flow_in_subprocess``, its process forked from the warm server (called on the runner's
    event loop, synchronously: nothing else runs while the module's ``multiprocessing`` is swapped)."""
    assert _original is not None
    with _forkserver_for_prefect():
        return _original(*args, **kwargs)
