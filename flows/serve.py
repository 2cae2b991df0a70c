"""``zhenggai serve``: one process runs every measure's scheduled checks and the housekeeping flows.

- Sync first (``flows.sync.sync_bulk``): the server then holds exactly the ledger's deployments. Its
  ledger side (``plan_bulk``) runs while the local server starts.
- A Prefect ``Runner`` with ``pause_on_shutdown=False``: Prefect's ``serve`` pauses every deployment it
  served (and deletes their scheduled runs) when it stops; a restart would then leave every measure
  unscheduled, so we keep schedules active across stops (tested by starting and stopping twice).
- The measure deployments are the ones sync registered: they are handed to the runner as
  ``RegisteredDeployment`` objects whose ``apply`` only returns the known id, so starting does not
  re-register 2,100 deployments one by one. Deployments created later (a sync after a plan change) are
  picked up every ``rescan_seconds`` (a read of the deployment list; Prefect's scheduler still decides
  every run time).
- Housekeeping: the ``sync_deployments`` flow, served every day at 07:30 in ``Settings.timezone``
  (slug ``daily-sync``), so ledger edits and a newly published working-day calendar reach the
  schedules before the 09:00 checks without anyone running ``zhenggai sync``; the reminder ``sweep``
  every working day at 08:30 (sends what was held overnight, chases and escalates); the weekly
  ``digest`` on Mondays at 09:00; ``assess_units`` on the first working day of each week at 09:00
  (closes last week's and last month's assessment); and ``generate_notice`` on demand (monthly for
  rounds that ask).

Without ``PREFECT_API_URL`` the embedded default is used: a local Prefect server on SQLite (under
``PREFECT_HOME``) is started as a child process with its scheduler (scheduling a week ahead, at most
10 runs a deployment: ``EMBEDDED_SCHEDULER``), and stopped on exit. With it, the
process serves against that server (e.g. a bureau's server on PostgreSQL). See docs/deploying.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from prefect.deployments.runner import RunnerDeployment

from flows import run_failed
from flows.assess import assess_units
from flows.notice import draft_deployment, notice_deployment
from flows.notify import digest, sweep
from flows.run_failed import tell_run_failed
from flows.sync import BulkSync, apply_bulk, plan_bulk, sync_deployments
from models.db import get_database
from models.errors import PortInUse
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.notice.load import monthly_notice_rounds
from tasks.schedule.deployments import ENTRYPOINT
from tasks.schedule.deployments import housekeeping_schedule as wanted_housekeeping_schedule
from tasks.schedule.sync import read_managed

HOUSEKEEPING_SYNC_CRON = "30 7 * * *"


def housekeeping_schedule(flow_name: str, slug: str) -> Any:
    """A housekeeping flow's Prefect schedule on the working-day calendar (``HOUSEKEEPING_CADENCES``: the
    same the housekeeping sync gives ``prefect.yaml``'s deployments), in the configured zone."""
    from prefect.schedules import Cron, RRule

    clock = ledger_clock(get_database(get_settings()), get_settings())
    want = wanted_housekeeping_schedule(flow_name, slug, clock)
    if want.kind == "cron":
        return Cron(want.value, timezone=want.timezone, slug=slug)
    return RRule(want.value, timezone=want.timezone, slug=slug)


class RegisteredDeployment(RunnerDeployment):
    """A deployment sync already registered: the runner polls it without writing it again."""

    deployment_id: UUID

    async def aapply(self, *args: Any, **kwargs: Any) -> UUID:
        return self.deployment_id

    def apply(self, *args: Any, **kwargs: Any) -> UUID:
        return self.deployment_id


async def register_new(runner: Any, known: set[UUID]) -> int:
    """Hand the runner every managed deployment it does not poll yet; return how many were added."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        held = await read_managed(client)
    added = 0
    for deployment in held:
        if deployment.id in known:
            continue
        await runner.aadd_deployment(
            RegisteredDeployment(name=deployment.name, deployment_id=deployment.id, entrypoint=ENTRYPOINT)
        )
        known.add(deployment.id)
        added += 1
    return added


async def _rescan(runner: Any, known: set[UUID], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            added = await register_new(runner, known)
        except Exception as error:  # a failed read must not stop serving; try again next time
            print(f"serve: rescan failed: {error}", file=sys.stderr, flush=True)
            continue
        if added:
            print(f"serve: now serving {added} more deployment(s)", flush=True)


# How often the runner looks for due runs (Prefect's default: 10 s). With a flow-run limit a slot freed by a
# finished check stays empty until the next look: in the city's 09:00 burst (794 runs, limit 4) the slots
# stood empty about 10 s between waves of four, so a run took a slot for ~10 s and left it idle for as
# long (docs/benchmarks.md). A look costs the server one read (0.6 s with 800 runs due, 2,100 deployments).
RUNNER_POLL_SECONDS = 3.0


def runner_poll_seconds() -> float | None:
    """The runner's poll interval: ``RUNNER_POLL_SECONDS``, unless the operator set Prefect's own
    ``PREFECT_RUNNER_POLL_FREQUENCY`` (None: the runner reads it)."""
    return None if os.environ.get("PREFECT_RUNNER_POLL_FREQUENCY") else RUNNER_POLL_SECONDS


async def serve_async(*, rescan_seconds: float = 60.0, limit: int | None = None) -> None:
    """Run the runner until stopped (SIGTERM or Ctrl-C); schedules stay active afterwards."""
    from prefect import Flow
    from prefect.runner import Runner
    from prefect.schedules import Cron

    settings = get_settings()
    runner = Runner(
        name="zhenggai", pause_on_shutdown=False, limit=limit, query_seconds=runner_poll_seconds()
    )
    housekeeping: list[tuple[Flow[Any, Any], str, Any, str]] = [
        (
            sync_deployments,
            "housekeeping",
            Cron(HOUSEKEEPING_SYNC_CRON, timezone=settings.timezone, slug="daily-sync"),
            "每日同步：整改台账 → 各措施的检查部署",
        ),
        (
            sweep,
            "daily-sweep",
            housekeeping_schedule("sweep", "daily-sweep"),
            "每个工作日催办、督办：逾期追踪、升级督办、补发暂缓的消息",
        ),
        (
            digest,
            "weekly-digest",
            housekeeping_schedule("digest", "weekly-digest"),
            "每周向各责任单位推送其全部整改措施的进展汇总",
        ),
        (
            assess_units,
            "assess-units",
            housekeeping_schedule("assess_units", "assess-units"),
            "每周第一个工作日：封存上周（及上月）考评结果，发布排名，向领导和各单位通报",
        ),
    ]
    for flow, name, schedule, description in housekeeping:
        await runner.aadd_flow(
            flow, name=name, schedules=[schedule], tags=["zhenggai-housekeeping"], description=description
        )
    # run by the failed-run automation that sync creates (flows.run_failed)
    await runner.aadd_flow(
        tell_run_failed,
        name=run_failed.DEPLOYMENT_NAME,
        tags=["zhenggai-housekeeping"],
        description="整改跟踪任务运行失败或崩溃时，向督办室发送一条消息",
    )
    with get_database(settings).unit_of_work() as session:
        monthly_rounds = monthly_notice_rounds(session)
    # to_deployment turns into a coroutine inside a running loop: build it in a thread instead.
    notice = await asyncio.to_thread(notice_deployment, settings.timezone, monthly_rounds)
    await runner.aadd_deployment(notice)
    await runner.aadd_deployment(await asyncio.to_thread(draft_deployment))
    known: set[UUID] = set()
    count = await register_new(runner, known)
    print(
        f"serve: serving {count} measure deployment(s), the daily sync and sweep, the weekly digest, "
        "the weekly assessment "
        "and the notice (generated, and drafted for sign-off); "
        f"at most {limit if limit else 'unlimited'} flow run(s) at once",
        flush=True,
    )
    rescan = asyncio.create_task(_rescan(runner, known, rescan_seconds))
    try:
        await runner.start()
    finally:
        rescan.cancel()
    print("serve: stopped; schedules left active", flush=True)


def api_port(port: int | None = None) -> int:
    """The local server's port: ``--port``, else ``PREFECT_SERVER_API_PORT`` (Prefect's own, default 4200)."""
    if port is not None:
        return port
    from prefect.settings import PREFECT_SERVER_API_PORT

    return int(PREFECT_SERVER_API_PORT.value())


def check_port_free(host: str, port: int) -> None:
    """Refuse a taken port: a server already there would otherwise be used silently (``PortInUse``)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(
                f"port {port} on {host} is in use ({error.strerror}): another Prefect server or program "
                f"holds it. Stop it, choose another port (zhenggai serve --port 4300, or "
                "PREFECT_SERVER_API_PORT), or serve against it with PREFECT_API_URL=http://HOST:PORT/api"
            ) from None


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM acts as Ctrl-C from now on: every ``finally`` runs (the local server is stopped)."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child server gets SIGTERM when serve dies, even by SIGKILL (no orphan server)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# The local server's scheduler: Prefect's defaults write up to 100 runs, 100 days ahead, for every
# deployment (tens of thousands of runs for a city's 2,100 measures, on SQLite, while the first sync creates
# them). ``serve``'s runner needs only the next few: a week ahead, at most 10 a deployment (the scheduler
# tops them up every minute). Only for the server serve starts itself, and only where not set already.
EMBEDDED_SCHEDULER = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "10",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P7D",  # ISO 8601: Prefect refuses bare seconds
}


# Prefect backs off 2**n seconds between tries: 8 tries wait about 8.5 minutes in all before giving up
# (5: one minute; the city's measured first start ran with 12, whose last waits would be over an hour).
LOCAL_CLIENT_RETRIES = 8


def _server_env(*, scheduler: bool = True) -> dict[str, str]:
    env = {**EMBEDDED_SCHEDULER, **os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if not scheduler:
        env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"
    return env


def _start_server(port: int, *, scheduler: bool = True) -> subprocess.Popen[bytes]:
    """``prefect server start`` in its own process group (stopped as a whole), signals held meanwhile."""
    blocked = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=_server_env(scheduler=scheduler),
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    """TERM the server's process group, then KILL what is left after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # the group's other members (the server's workers)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def prefect_api(
    port: int | None = None,
    *,
    meanwhile: Callable[[], object] | None = None,
    unscheduled: Callable[[], object] | None = None,
) -> Iterator[str]:
    """The Prefect API to serve against: ``PREFECT_API_URL`` if set, else a local server started here.

    ``meanwhile`` runs before the API is used: while the local server starts (it takes seconds, and the
    machine has a second core). ``unscheduled`` (the first sync) runs first against the API; when the
    local server starts on an empty PREFECT_HOME it runs with the server's scheduler off, and the server
    is then restarted with it (on SQLite the scheduler writing runs for each new deployment while 2,100
    are created makes the creates wait on its locks). A server we did not start is never touched.

    The local server is stopped on every way out: return, error, Ctrl-C or SIGTERM (during start-up
    included; see ``stop_on_signals``), and on Linux when this process is killed outright.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        for step in (meanwhile, unscheduled):
            if step is not None:
                step()
        yield str(configured)
        return
    port = api_port(port)
    check_port_free("127.0.0.1", port)
    url = f"http://127.0.0.1:{port}/api"
    first = unscheduled is not None and local_server_is_new()
    process = _start_server(port, scheduler=not first)
    try:
        print(f"serve: starting a local Prefect server on port {port} (pid {process.pid})", flush=True)
        if meanwhile is not None:
            meanwhile()
        _wait_healthy(url, process)
        # A busy SQLite server answers 503 (SQLITE_BUSY) and the client retries it: give our own server,
        # with one writer for the creates, its events and the runner, more tries than Prefect's 5 (a
        # first sync of the city ran out of them at load 10; docs/benchmarks.md).
        retries = max(int(PREFECT_CLIENT_MAX_RETRIES.value()), LOCAL_CLIENT_RETRIES)
        with temporary_settings({PREFECT_API_URL: url, PREFECT_CLIENT_MAX_RETRIES: retries}):
            os.environ["PREFECT_API_URL"] = url  # flow-run subprocesses inherit it
            if unscheduled is not None:
                unscheduled()
            if first:
                print("serve: first sync done; restarting the local server with its scheduler", flush=True)
                _stop_server(process)
                process = _start_server(port, scheduler=True)
                _wait_healthy(url, process)
            yield url
    finally:
        _stop_server(process)


def local_server_is_new() -> bool:
    """Whether the local server's SQLite database does not exist yet (an empty PREFECT_HOME)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if url is not None else ""
    if not text.startswith("sqlite"):
        return False  # a server database elsewhere (PostgreSQL): not ours to judge
    path = text.split("///", 1)[-1]
    return path != ":memory:" and not os.path.exists(path)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local Prefect server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the local Prefect server did not answer at {url} within {timeout:.0f} s")


def serve_all(
    *,
    sync_first: bool = True,
    rescan_seconds: float = 60.0,
    port: int | None = None,
    limit: int | None = None,
) -> None:
    """``zhenggai serve``: sync, then serve until stopped (SIGTERM or Ctrl-C, at any moment)."""
    settings = get_settings()
    limit = limit if limit is not None else settings.flow_run_limit
    planned: list[BulkSync] = []

    def plan() -> None:  # the ledger's side of the first sync, while the local server starts
        if sync_first:
            planned.append(plan_bulk())

    def first_sync() -> None:
        result = apply_bulk(planned[0])
        print(f"serve: sync: {result.summary()} ({result.unchanged} unchanged)", flush=True)
        for line in result.warnings():
            print(f"serve: warning: {line}", flush=True)

    try:
        with (
            stop_on_signals(),
            prefect_api(port, meanwhile=plan, unscheduled=first_sync if sync_first else None) as url,
        ):
            print(f"serve: Prefect API at {url}", flush=True)
            print(f"serve: Prefect UI at {url.removesuffix('/api')}", flush=True)
            print(f"serve: in another shell: export PREFECT_API_URL={url}", flush=True)
            asyncio.run(serve_async(rescan_seconds=rescan_seconds, limit=limit or None))
    except KeyboardInterrupt:
        print("serve: stopped; schedules left active", flush=True)
