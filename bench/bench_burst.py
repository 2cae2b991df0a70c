"""Bench 10: the 09:00 burst of a working-day Monday, run by ``zhenggai serve`` and by one process worker.

Modes: ``serve``; ``worker``, ``zhenggai worker`` (Prefect's process worker, checks forked warm:
``flows.warm_worker``); ``prefect-worker``, Prefect's own ``prefect worker start`` (a new interpreter a run),
for the comparison.

On Monday 2025-12-01 (a working day, the first after the city's last reports) every ``每个工作日`` and
``每周一`` cadence, the ``每月第一个工作日`` ones and that day's deadline reminders of the city round fire at
09:00: several hundred ``check_measure`` runs scheduled for the same minute, each a flow run in its own
process, doing their real work on a copy of the loaded ledger (the state judged and recorded, the
measure's event and artifact, its reminders planned and sent through Apprise to the loopback receiver
``bench/receiver.py``, 督办单 files written).

For each mode, on a Prefect server of the bench's own (PREFECT_HOME in a temporary directory, a scratch
PostgreSQL database when 127.0.0.1:5432 answers, else SQLite: ``--prefect-db``; its scheduler off so that
the runs of that minute are the only ones):

1. the clock: every process the bench starts sees 2025-12-01 08:59 (Asia/Shanghai) at the start
   (``--lead`` seconds before 09:00, default 60), and ticking (``bench/clock/sitecustomize.py``,
   time-machine), so the runs are not stale and send in working hours;
2. ``zhenggai sync`` registers every measure (``worker``: into a process work pool, whose concurrency
   limit the sync sets from ``ZHENGGAI_FLOW_RUN_LIMIT``: ``ensure_pool_limit``);
3. the runs of 09:00 are made by the server's own scheduling code: ``POST /deployments/{id}/schedule``
   on the window 09:00:00–09:00:59 for every measure deployment (what the scheduler service writes
   ahead of time; same idempotency keys);
4. ``serve``: ``zhenggai serve --limit N`` (a ``Runner``) against that server; ``worker``: ``zhenggai
   worker --pool …``; ``prefect-worker``: ``prefect worker start --pool … --type process``. If the set-up ran past 09:00 (the city's sync takes
   minutes) the runs are already due when it starts, as after a short outage;
5. until every run of the minute is Completed, Failed, Crashed or Cancelled (or ``--timeout``): the time
   from the burst's start (09:00, or the executor ready if later) to the last run finished; once a
   second, the machine's memory in use (MemTotal − MemAvailable, other work included) and the RSS of
   every process under the bench (server, executor, flow runs, receiver), and how many flow-run
   processes were alive; at the end the runs by state (Late: never started).

Targets (issue 21, 2 cores): drained within 15 minutes, peak memory under 4 GB, none Crashed or Failed.
A city run takes 10–30 minutes per mode: it prints its progress every 30 s.

    python -m bench.bench_burst [--scale 1] [--modes serve,worker] [--limit 4] [--timeout 1800] [--lead 60]

``--swept`` sweeps the ledger copy first (``zhenggai sweep`` with the clock reading 08:30 that Monday, on a
Prefect server of its own), as a live ``serve`` does at 08:30: the overdue measures' 督办单 are issued then,
and the burst measures the checks alone. Its time is reported apart; without it the ledger is never swept
(the burst's checks issue those 督办单 too), and the figures' labels say which one ran.

``--one-check N`` measures one check instead: N ``check_measure`` runs one after the other, each in a
process of its own (``trigger=cadence``, on a fresh copy of the ledger, against the bench's own Prefect
server on SQLite, on the same shifted clock), and reports the median CPU (user + sys of the child and its
children) and wall seconds of a process:

    python -m bench.bench_burst --scale 0.05 --one-check 7
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    ROOT,
    Results,
    common_arguments,
    ensure_city,
    free_port,
    postgres_available,
    receiver,
    scratch_postgres,
    sqlite_url,
)
from flows.local_server import wait_healthy

TARGET_DRAIN_S = 15 * 60.0
TARGET_MEMORY_MB = 4000.0
ZONE = ZoneInfo("Asia/Shanghai")
BURST = datetime(2025, 12, 1, 9, 0, tzinfo=ZONE)  # a working-day Monday, first of its month
LEAD_S = 60.0  # the clock reads 08:59 when the bench starts (``--lead``)
SWEEP_AT = datetime(2025, 12, 1, 8, 30, tzinfo=ZONE)  # a live serve's daily sweep (``--swept``)
MODES = ("serve", "worker")  # the default; "prefect-worker" on request
ALL_MODES = (*MODES, "prefect-worker")
POOL = "zhenggai-burst"
TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _env(home: Path, ledger: Path, clock: str, limit: int, warm: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZHENGGAI_"))}
    # an installation imports its modules compiled once, not compiled again by every flow-run process
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "PREFECT_HOME": str(home / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            # the runs of the minute are made by the bench (step 3), none by the scheduler service
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "ZHENGGAI_DATA_DIR": str(home / "data"),
            "ZHENGGAI_DATABASE_URL": sqlite_url(ledger),
            "ZHENGGAI_FLOW_RUN_LIMIT": str(limit),
            "ZHENGGAI_WARM_STARTS": "true" if warm else "false",
            "BENCH_BURST_CLOCK": clock,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench" / "clock"), str(ROOT)]),
        }
    )
    return env


class Child:
    """A process of the bench (server, sync, serve, worker): output to a log file, its own session."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, marker: str, timeout: float) -> float:
        started = time.monotonic()
        while marker not in self.text():
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                tail = "\n".join(self.text().splitlines()[-20:])
                raise RuntimeError(f"no '{marker}' from {self.log.name} after {timeout:.0f} s:\n{tail}")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self, grace: float = 60.0) -> None:
        """SIGTERM (serve and the worker stop their runs), SIGKILL for the whole session after ``grace``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.handle.close()


def run_command(command: list[str], env: dict[str, str], log: Path, timeout: float) -> None:
    child = Child(command, env, log)
    try:
        code = child.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        child.stop(grace=5)
    if code != 0:
        tail = "\n".join(child.text().splitlines()[-20:])
        raise RuntimeError(f"{' '.join(command[:4])} ended with {code}:\n{tail}")


def _wait_healthy(api: str, child: Child, timeout: float = 240.0) -> None:
    try:
        wait_healthy(api, child.process, timeout, name="prefect server")
    except RuntimeError as error:
        raise RuntimeError(f"{error}:\n{child.text()[-2000:]}") from None


# -- memory ------------------------------------------------------------------------------------


def machine_used_mb() -> float:
    """MemTotal − MemAvailable: what the whole machine uses (other engineers' work included)."""
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return (fields["MemTotal"] - fields["MemAvailable"]) / 1024


def tree(root: int) -> list[int]:
    """``root`` and every process below it (sessions of their own included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6
    except (OSError, IndexError):
        return 0.0


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _is_forkserver(pid: int) -> bool:
    return b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_below(root: int) -> float:
    """CPU seconds (user + sys) of ``root``, of its children it waited for, and of its live children with
    theirs: the executor and its runs, whether they were its children (Prefect's engine command) or its
    fork server's (flows.warm_start)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) == root or int(fields[1]) == root:
                total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK
    return total


def is_flow_run(pid: int) -> bool:
    """A process started for a flow run: by Prefect's engine command (its environment names the run) or
    forked from serve's warm server (``flows.warm_start``; a forked child's /proc environ is the server's)."""
    try:
        if b"PREFECT__FLOW_RUN_ID=" in Path(f"/proc/{pid}/environ").read_bytes():
            return True
        parent = _parent(pid)  # the fork server's child, not that child's own (LibreOffice)
        return _is_forkserver(parent) and not _is_forkserver(_parent(parent))
    except (OSError, IndexError, ValueError):
        return False


@dataclass
class Sampler:
    """Once a second: the machine's memory in use, the RSS of the bench's processes, the flow-run processes."""

    baseline_mb: float = field(default_factory=machine_used_mb)
    machine_peak_mb: float = 0.0
    bench_peak_mb: float = 0.0
    runs_peak: int = 0
    current: tuple[float, float, int] = (0.0, 0.0, 0)
    executor: int | None = None  # its pid once started: ``executor_cpu_s`` follows it
    executor_cpu_s: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = [p for p in tree(me) if p != me]
            machine = machine_used_mb()
            bench = sum(rss_mb(p) for p in pids)
            runs = sum(1 for p in pids if is_flow_run(p))
            self.current = (machine, bench, runs)
            self.machine_peak_mb = max(self.machine_peak_mb, machine)
            self.bench_peak_mb = max(self.bench_peak_mb, bench)
            self.runs_peak = max(self.runs_peak, runs)
            if self.executor is not None:
                self.executor_cpu_s = max(self.executor_cpu_s, cpu_below(self.executor))
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- the Prefect API ---------------------------------------------------------------------------


def _window() -> dict[str, Any]:
    return {
        "expected_start_time": {
            "after_": BURST.isoformat(),
            "before_": (BURST + timedelta(seconds=59)).isoformat(),
        }
    }


def _checks(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The filter of the minute's ``check_measure`` runs (serve's housekeeping flows, the weekly digest
    and assessment also due at 09:00 on a Monday, are left out: the worker path runs them elsewhere)."""
    return {"flow_runs": {**_window(), **(extra or {})}, "flows": {"name": {"any_": ["check_measure"]}}}


async def schedule_the_minute(api: str) -> int:
    """``POST /deployments/{id}/schedule`` for 09:00:00–09:00:59 on every measure deployment (the
    scheduler's code, one request each, 4 at once, through Prefect's client, which retries a busy
    SQLite server's 503); returns how many runs that minute now has."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    body = {
        "start_time": BURST.isoformat(),
        "end_time": (BURST + timedelta(seconds=59)).isoformat(),
        "min_runs": 1,
        "max_runs": 5,
        "min_time": 0,
    }
    with temporary_settings({PREFECT_API_URL: api}):  # each mode has a server of its own
        return await _schedule(body)


async def _schedule(body: dict[str, Any]) -> int:
    from prefect.client.orchestration import get_client

    from tasks.schedule.sync import read_managed

    gate = asyncio.Semaphore(4)

    async with get_client() as client:
        held = await read_managed(client)

        async def one(deployment_id: Any) -> None:
            async with gate:
                response = await client._client.post(f"/deployments/{deployment_id}/schedule", json=body)
                response.raise_for_status()

        await asyncio.gather(*(one(d.id) for d in held))
        response = await client._client.post("/flow_runs/count", json=_checks())
        response.raise_for_status()
        return int(response.json())


def count_finished(api: str) -> int:
    import httpx

    body = _checks({"state": {"type": {"any_": list(TERMINAL)}}})
    response = httpx.post(f"{api}/flow_runs/count", json=body, timeout=60)
    response.raise_for_status()
    return int(response.json())


def read_runs(api: str) -> list[dict[str, Any]]:
    import httpx

    runs: list[dict[str, Any]] = []
    while True:
        body = {**_checks(), "limit": 200, "offset": len(runs), "sort": "ID_DESC"}
        response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=120)
        response.raise_for_status()
        page = response.json()
        runs += page
        if len(page) < 200:
            return runs


# -- one mode ----------------------------------------------------------------------------------


@dataclass
class Burst:
    """What one mode's burst did."""

    mode: str
    limit: int
    prefect_db: str = "sqlite"
    warm: bool = True  # serve's runs forked from its warm server (flows.warm_start); false: new processes
    swept: bool = False  # the ledger swept at 08:30 first, as a live serve does (``--swept``)
    sweep_s: float | None = None  # the 08:30 sweep's wall seconds
    sweep_cpu_s: float | None = None  # its CPU (the sweep process and its children, LibreOffice included)
    runs: int = 0
    triggers: Counter[str] = field(default_factory=Counter)
    setup_s: float = 0.0
    ready_late_s: float = 0.0  # the executor was ready this long after 09:00 (0: before)
    drained_s: float | None = None
    waited_s: float = 0.0
    states: Counter[str] = field(default_factory=Counter)
    machine_baseline_mb: float = 0.0
    machine_peak_mb: float = 0.0
    bench_peak_mb: float = 0.0
    runs_peak: int = 0
    executor_cpu_s: float = 0.0
    server_cpu_s: float | None = None  # the Prefect server's CPU from the executor's start to the drain
    received: int = 0
    load: str = ""


def sweep_first(home: Path, ledger: Path, limit: int, logs: Path) -> tuple[float, float]:
    """``zhenggai sweep`` on the ledger copy with the clock reading 08:30 that Monday (``--swept``): what a
    live ``serve`` does before 09:00 (the overdue measures' 督办单 issued and their files written then).
    On a Prefect server of its own (SQLite, stopped after); the same data directory as the burst.
    Returns its wall and CPU seconds (the sweep process and its children: LibreOffice included)."""
    import resource

    env = _env(home, ledger, f"{time.time()} {SWEEP_AT.timestamp()}", limit)
    env["PREFECT_HOME"] = str(home / "prefect-sweep")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect = str(Path(sys.executable).parent / "prefect")
    server = Child(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        logs / "sweep-server.log",
    )
    try:
        _wait_healthy(api, server)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        run_command(
            [sys.executable, "-m", "flows.cli", "sweep"],
            {**env, "PREFECT_API_URL": api, "PREFECT_CLIENT_MAX_RETRIES": "8"},
            logs / "sweep.log",
            timeout=1800,
        )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        server.stop(grace=20)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def run_mode(
    mode: str,
    *,
    ledger: Path,
    workdir: Path,
    limit: int,
    timeout: float,
    rx: Any,
    prefect_db: str = "auto",
    keep: bool = False,
    warm: bool = True,
    swept: bool = False,
    lead: float = LEAD_S,
) -> Burst:
    """One burst: server, sync, the minute's runs, the executor, then wait and watch until drained."""
    if prefect_db == "auto":
        prefect_db = "postgres" if postgres_available() is None else "sqlite"
    with contextlib.ExitStack() as stack:
        server_url = None
        if prefect_db == "postgres":
            scratch = stack.enter_context(scratch_postgres("zg_bench_burst"))
            server_url = "postgresql+asyncpg://" + scratch.split("://", 1)[1]
        return _run_mode(
            mode,
            ledger=ledger,
            workdir=workdir,
            limit=limit,
            timeout=timeout,
            rx=rx,
            server_url=server_url,
            keep=keep,
            warm=warm,
            swept=swept,
            lead=lead,
        )


def _run_mode(
    mode: str,
    *,
    ledger: Path,
    workdir: Path,
    limit: int,
    timeout: float,
    rx: Any,
    server_url: str | None,
    keep: bool,
    warm: bool = True,
    swept: bool = False,
    lead: float = LEAD_S,
) -> Burst:
    result = Burst(mode, limit, prefect_db="postgres" if server_url else "sqlite", warm=warm, swept=swept)
    home = Path(tempfile.mkdtemp(prefix=f"zhenggai-bench-burst-{mode}-"))
    logs = workdir / f"burst-{mode}"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    if swept:
        result.sweep_s, result.sweep_cpu_s = sweep_first(home, ledger, limit, logs)
        print(
            f"burst {mode}: swept at 08:30 first in {result.sweep_s:.0f} s, {result.sweep_cpu_s:.0f} CPU-s",
            flush=True,
        )
    began = time.time()
    clock = f"{began} {BURST.timestamp() - lead}"
    env = _env(home, ledger, clock, limit, warm)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    python = sys.executable
    prefect = str(Path(python).parent / "prefect")
    server_env = {**env, "PREFECT_SERVER_DATABASE_CONNECTION_URL": server_url} if server_url else env
    server = Child(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        server_env,
        logs / "server.log",
    )
    executor: Child | None = None
    sampler: Sampler | None = None
    try:
        _wait_healthy(api, server)
        # a busy SQLite server answers 503: as many tries as serve gives its own (flows.serve)
        client_env = {**env, "PREFECT_API_URL": api, "PREFECT_CLIENT_MAX_RETRIES": "8"}
        if mode != "serve":
            client_env["ZHENGGAI_WORK_POOL"] = POOL
            run_command(
                [prefect, "work-pool", "create", POOL, "--type", "process"],
                client_env,
                logs / "pool.log",
                timeout=300,
            )
        _progress(mode, began, f"server up; syncing the measures ({mode})")
        run_command(
            [python, "-m", "flows.cli", "sync"], client_env, logs / "sync.log", timeout=max(timeout, 900)
        )
        result.runs = asyncio.run(schedule_the_minute(api))
        _progress(mode, began, f"{result.runs} runs scheduled for 2025-12-01 09:00 (Asia/Shanghai)")
        rx.reset()
        sampler = Sampler()
        if mode == "serve":
            executor = Child(
                [python, "-m", "flows.cli", "serve", "--limit", str(limit)], client_env, logs / "serve.log"
            )
            sampler.executor = executor.process.pid
            executor.wait_for("serve: serving", timeout=600)
        else:
            worker = (
                [python, "-m", "flows.cli", "worker", "--pool", POOL]
                if mode == "worker"
                else [prefect, "worker", "start", "--pool", POOL, "--type", "process"]
            )
            executor = Child(
                worker,
                client_env,
                logs / "worker.log",
            )
            sampler.executor = executor.process.pid
            executor.wait_for("started", timeout=600)
        ready = time.time()
        burst_real = began + lead  # when the bench's clock reads 09:00
        start = max(ready, burst_real)
        result.setup_s = ready - began
        result.ready_late_s = max(0.0, ready - burst_real)
        _progress(mode, began, f"{mode} ready; the burst counts from {start - began:.0f} s")
        server_cpu_before = cpu_below(server.process.pid)
        last_print = 0.0
        while True:
            finished = count_finished(api)
            now = time.time()
            if finished >= result.runs:
                result.drained_s = now - start
                break
            if now - start > timeout:
                break
            if now - last_print >= 30:
                machine, bench, alive = sampler.current
                _progress(
                    mode,
                    began,
                    f"{finished}/{result.runs} finished, {alive} flow-run processes, bench RSS "
                    f"{bench:.0f} MB, machine {machine / 1024:.1f} GB in use, load {os.getloadavg()[0]:.1f}",
                )
                last_print = now
            if executor.process.poll() is not None:
                raise RuntimeError(f"{mode} exited {executor.process.returncode}:\n{executor.text()[-3000:]}")
            time.sleep(2)
        result.waited_s = time.time() - start
        result.server_cpu_s = cpu_below(server.process.pid) - server_cpu_before
        result.load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        runs = read_runs(api)
        result.states = Counter(run["state_name"] or run["state_type"] for run in runs)
        result.triggers = Counter(str(run["parameters"].get("trigger")) for run in runs)
        result.received = int(rx.stats().get("requests", 0))
        _progress(mode, began, f"done: {dict(result.states)}; {result.received} messages received")
    finally:
        if sampler is not None:
            sampler.stop()
            result.machine_baseline_mb = sampler.baseline_mb
            result.machine_peak_mb = sampler.machine_peak_mb
            result.bench_peak_mb = sampler.bench_peak_mb
            result.runs_peak = sampler.runs_peak
            result.executor_cpu_s = sampler.executor_cpu_s
        if executor is not None:
            executor.stop()
        server.stop(grace=20)
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return result


ONE_CHECK = """
import sys
from flows.check_measure import check_measure
check_measure(sys.argv[1], trigger="cadence")
"""


def _a_measure(ledger: Path) -> str:
    """The first live measure of the ledger (its code)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(ledger)) as db:
        return str(db.execute("SELECT code FROM measures ORDER BY id LIMIT 1").fetchone()[0])


def one_check(*, seed: int, scale: float, workdir: Path, runs: int) -> Results:
    """``runs`` checks of one measure, each a process of its own on a fresh ledger copy: CPU and wall."""
    import resource
    import statistics

    results = Results("one-check")
    city = ensure_city(workdir, seed, scale)
    home = Path(tempfile.mkdtemp(prefix="zhenggai-bench-one-check-"))
    logs = workdir / "one-check"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    began = time.time()
    env = _env(home, city.database, f"{began} {BURST.timestamp() - LEAD_S}", 4)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect = str(Path(sys.executable).parent / "prefect")
    server = Child(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, logs / "server.log"
    )
    cpu: list[float] = []
    wall: list[float] = []
    loads = [os.getloadavg()[0]]
    try:
        _wait_healthy(api, server)
        with receiver(city.info.receiver_port, delay=0.1):
            for n in range(runs):
                ledger = city.scratch_copy(f"one-check-{n}")
                measure = _a_measure(ledger)
                run_env = {**env, "PREFECT_API_URL": api, "ZHENGGAI_DATABASE_URL": sqlite_url(ledger)}
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.monotonic()
                with open(logs / f"check-{n}.log", "w", encoding="utf-8") as log:
                    code = subprocess.call(
                        [sys.executable, "-c", ONE_CHECK, measure],
                        cwd=ROOT,
                        env=run_env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                wall.append(time.monotonic() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                loads.append(os.getloadavg()[0])
                if code != 0:
                    raise RuntimeError(f"check {n} of {measure} ended with {code}: see {log.name}")
                print(f"one-check {n}: {measure} cpu {cpu[-1]:.2f} s, wall {wall[-1]:.2f} s", flush=True)
    finally:
        server.stop(grace=20)
        shutil.rmtree(home, ignore_errors=True)
    load = f"load average {min(loads):.1f}–{max(loads):.1f}"
    results.add(
        "one check_measure process: CPU (user + sys), median",
        statistics.median(cpu),
        "s",
        note=f"{runs} runs, min {min(cpu):.2f}, max {max(cpu):.2f}; {load}",
    )
    results.add(
        "one check_measure process: wall, median",
        statistics.median(wall),
        "s",
        note=f"{runs} runs, min {min(wall):.2f}, max {max(wall):.2f}; {load}",
    )
    return results


def _progress(mode: str, began: float, text: str) -> None:
    print(f"burst {mode} {time.time() - began:6.0f} s: {text}", flush=True)


def run(
    *,
    seed: int,
    scale: float,
    workdir: Path,
    modes: tuple[str, ...] = MODES,
    limit: int | None = None,
    timeout: float = 1800.0,
    prefect_db: str = "auto",
    warm: bool = True,
    swept: bool = False,
    lead: float = LEAD_S,
) -> Results:
    """``lead``: seconds the clock reads before 09:00 at the start; a set-up longer than that finds the
    runs due when the executor starts, as after a short outage."""
    results = Results("burst")
    if limit is None:
        from models.settings import Settings

        limit = Settings().flow_run_limit or 0
    city = ensure_city(workdir, seed, scale)
    with receiver(city.info.receiver_port, delay=0.1) as rx:
        for mode in modes:
            ledger = city.scratch_copy(f"burst-{mode}")
            burst = run_mode(
                mode,
                ledger=ledger,
                workdir=workdir,
                limit=limit,
                timeout=timeout,
                rx=rx,
                prefect_db=prefect_db,
                warm=warm,
                swept=swept,
                lead=lead,
            )
            _figures(results, burst)
    return results


def _figures(results: Results, burst: Burst) -> None:
    label = {
        "serve": "zhenggai serve",
        "worker": "one zhenggai worker",
        "prefect-worker": "one Prefect process worker (prefect worker start)",
    }[burst.mode]
    if burst.mode != "prefect-worker" and not burst.warm:
        label += " (ZHENGGAI_WARM_STARTS=false)"
    label += f", Prefect on {burst.prefect_db}"
    label += ", swept at 08:30 first" if burst.swept else ", never swept"
    head = f"burst, {label}, limit {burst.limit or 'none'}"
    finished = sum(
        n for state, n in burst.states.items() if state in ("Completed", "Failed", "Crashed", "Cancelled")
    )
    triggers = ", ".join(f"{n} {t}" for t, n in sorted(burst.triggers.items()))
    results.add(
        f"{head}: runs at 09:00",
        burst.runs,
        "runs",
        note=f"{triggers}; set-up {burst.setup_s:.0f} s"
        + (f", ready {burst.ready_late_s:.0f} s after 09:00" if burst.ready_late_s else ""),
    )
    results.add(
        f"{head}: drained",
        burst.drained_s,
        "s",
        target=f"< {TARGET_DRAIN_S:g} s",
        met=burst.drained_s is not None and burst.drained_s < TARGET_DRAIN_S,
        note=f"load average {burst.load}"
        + (
            ""
            if burst.drained_s is not None
            else f" (not drained: {finished} finished in {burst.waited_s:.0f} s)"
        ),
    )
    results.add(
        f"{head}: peak memory (the bench's processes)",
        burst.bench_peak_mb,
        "MB",
        target=f"< {TARGET_MEMORY_MB:g} MB",
        met=burst.bench_peak_mb < TARGET_MEMORY_MB,
        note=f"machine in use: {burst.machine_baseline_mb / 1024:.1f} GB before, "
        f"{burst.machine_peak_mb / 1024:.1f} GB at the peak (other work included); "
        f"at most {burst.runs_peak} flow-run processes at once",
    )
    results.add(
        f"{head}: CPU of the executor and its runs, per run",
        burst.executor_cpu_s / burst.runs if burst.runs else None,
        "s",
        note=f"{burst.executor_cpu_s:.0f} CPU-s in all (user + sys, start-up and sync included, the "
        "Prefect server not)",
    )
    results.add(
        f"{head}: CPU of the Prefect server during the burst, per run",
        burst.server_cpu_s / burst.runs if burst.runs and burst.server_cpu_s is not None else None,
        "s",
        note=f"{burst.server_cpu_s or 0:.0f} CPU-s in all (user + sys of `prefect server start`, from the "
        "executor's start until drained; its PostgreSQL not counted)",
    )
    if burst.swept:
        results.add(
            f"{head}: the 08:30 sweep before the burst (not in the drain), wall",
            burst.sweep_s,
            "s",
            note=f"{burst.sweep_cpu_s or 0:.0f} CPU-s (the sweep and its LibreOffice children)",
        )
    bad = {name: burst.states.get(name, 0) for name in ("Crashed", "Failed", "Late")}
    others = ", ".join(f"{n} {s}" for s, n in sorted(burst.states.items()))
    results.add(
        f"{head}: Crashed / Failed / Late",
        f"{bad['Crashed']} / {bad['Failed']} / {bad['Late']}",
        target="0 / 0 / 0",
        met=not any(bad.values()) and burst.drained_s is not None,
        note=f"{others}; {burst.received} messages received",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated, of {', '.join(ALL_MODES)} (default: {','.join(MODES)})",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="flow runs at once (default ZHENGGAI_FLOW_RUN_LIMIT, 4)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the drain")
    parser.add_argument(
        "--prefect-db",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="the Prefect server's database (auto: PostgreSQL when 127.0.0.1:5432 answers)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="serve and zhenggai worker with ZHENGGAI_WARM_STARTS=false: every run a new process (Prefect's default)",
    )
    parser.add_argument(
        "--swept",
        action="store_true",
        help="sweep the ledger copy at 08:30 first, as a live serve does (its time reported apart); "
        "default: never swept, the burst's checks also issue the overdue measures' 督办单",
    )
    parser.add_argument(
        "--lead",
        type=float,
        default=LEAD_S,
        help="seconds the clock reads before 09:00 when the bench starts (default 60); a set-up longer "
        "than that finds the runs due when the executor starts",
    )
    parser.add_argument(
        "--one-check",
        type=int,
        default=0,
        metavar="N",
        help="instead of the burst: N check_measure runs one after the other, each a process (CPU, wall)",
    )
    args = parser.parse_args(argv)
    if args.lead < 0:
        parser.error(f"--lead: seconds before 09:00, 0 or more (got {args.lead:g})")
    if args.one_check:
        one_check(seed=args.seed, scale=args.scale, workdir=args.workdir, runs=args.one_check).emit(args.json)
        return
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    if not modes or set(modes) - set(ALL_MODES):
        parser.error(f"--modes: comma-separated, of {', '.join(ALL_MODES)} (got {args.modes!r})")
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        modes=modes,
        limit=args.limit,
        timeout=args.timeout,
        prefect_db=args.prefect_db,
        warm=not args.cold,
        swept=args.swept,
        lead=args.lead,
    ).emit(args.json)


if __name__ == "__main__":
    main()
