"""``zhenggai serve``: one process runs every measure's scheduled checks and the housekeeping flows.

- Sync first (``flows.sync.sync_bulk``): the server then holds exactly the ledger's deployments. Its
  ledger side (``plan_bulk``) runs while the local server starts.
- A Prefect ``Runner`` with ``pause_on_shutdown=False``: Prefect's ``serve`` pauses every deployment it
  served (and deletes their scheduled runs) when it stops; a restart would then leave every measure
  unscheduled, so we keep schedules active across stops (tested by starting and stopping twice).
- The measure deployments are the ones sync registered: they are handed to the runner as
  ``RegisteredDeployment`` objects whose ``apply`` only returns the known id, so starting does not
  re-register 2,100 deployments one by one, nor read them again (the sync's result names them all).
  Deployments created later (a sync after a plan change) are picked up every ``rescan_seconds`` (a
  read of the deployment list; Prefect's scheduler still decides every run time).
- Housekeeping: the ``sync_deployments`` flow, served every day at 07:30 in ``Settings.timezone``
  (slug ``daily-sync``), so ledger edits and a newly published working-day calendar reach the
  schedules before the 09:00 checks without anyone running ``zhenggai sync``; the reminder ``sweep``
  every working day at 08:30 (sends what was held overnight, chases and escalates) and again at the hour
  the daily digests fall due (``Settings.digest_hour``, slug ``digest-hour``); the weekly
  ``digest`` on Mondays at 09:00; ``assess_units`` on the first working day of each week at 09:00
  (closes last week's and last month's assessment); and ``generate_notice`` on demand (monthly for
  rounds that ask).

Without ``PREFECT_API_URL`` the embedded default is used: a local Prefect server on SQLite (under
``PREFECT_HOME``) is started as a child process with its scheduler (scheduling a week ahead, at most
10 runs a deployment: ``flows.local_server.EMBEDDED_SCHEDULER``), and stopped on exit. With it, the
process serves against that server (e.g. a bureau's server on PostgreSQL). See docs/deploying.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from prefect.deployments.runner import RunnerDeployment

from flows import run_failed, warm_start
from flows.assess import assess_units
from flows.local_server import (
    LOCAL_CLIENT_RETRIES,
    LOCAL_FIRST_SYNC_CONCURRENCY,
    LocalServer,
    SyncRecord,
    configured_api_url,
    forget_sync_record,
    read_sync_record,
    start_local_server,
    write_sync_record,
)
from flows.notice import draft_deployment, notice_deployment
from flows.notify import digest, sweep
from flows.run_failed import tell_run_failed
from flows.serve_stop import on_forced_exit, stop_asked, stop_on_signals, stops_on_loop
from flows.sync import BulkSync, apply_bulk, fingerprint, plan_bulk, sync_deployments
from models.db import get_database
from models.notifications import Policy
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.notice.load import monthly_notice_rounds
from tasks.schedule.deployments import ENTRYPOINT
from tasks.schedule.deployments import housekeeping_schedules as wanted_housekeeping_schedules
from tasks.schedule.sync import holds_exactly, read_held

HOUSEKEEPING_SYNC_CRON = "30 7 * * *"


def housekeeping_schedules(flow_name: str, name: str) -> list[Any]:
    """A housekeeping flow's Prefect schedules on the working-day calendar (``HOUSEKEEPING_CADENCES``, and the
    sweep's daily-digest hour: the same the housekeeping sync gives ``prefect.yaml``'s deployments), in the
    configured zone, each with its slug."""
    from prefect.schedules import Cron, RRule

    settings = get_settings()
    clock = ledger_clock(get_database(settings), settings)
    wants = wanted_housekeeping_schedules(flow_name, name, clock, Policy.from_settings(settings))
    return [
        Cron(w.value, timezone=w.timezone, slug=w.slug)
        if w.kind == "cron"
        else RRule(w.value, timezone=w.timezone, slug=w.slug)
        for w in wants
    ]


class RegisteredDeployment(RunnerDeployment):
    """A deployment sync already registered: the runner polls it without writing it again."""

    deployment_id: UUID

    async def aapply(self, *args: Any, **kwargs: Any) -> UUID:
        return self.deployment_id

    def apply(self, *args: Any, **kwargs: Any) -> UUID:
        return self.deployment_id


async def register_new(
    runner: Any, known: set[UUID], held: dict[str, UUID] | None = None, *, warm: bool = False
) -> int:
    """Hand the runner every managed deployment it does not poll yet (``held``: name → id as a sync just
    left them, else read from the API); return how many were added. ``warm``: with its flow object too
    (``check_measure``), so its runs start forked from the warm server (``flows.warm_start``)."""
    from prefect.client.orchestration import get_client

    if held is None:
        async with get_client() as client:
            held = {deployment.name: deployment.id for deployment in await read_held(client)}
    added = 0
    for name, deployment_id in held.items():
        if deployment_id in known:
            continue
        await runner.aadd_deployment(
            RegisteredDeployment(name=name, deployment_id=deployment_id, entrypoint=ENTRYPOINT)
        )
        if warm:
            warm_start.register(runner, deployment_id, _check_flow())
        known.add(deployment_id)
        added += 1
    return added


def _check_flow() -> Any:
    from flows.check_measure import check_measure

    return check_measure


async def _rescan(runner: Any, known: set[UUID], every: float, *, warm: bool = False) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            added = await register_new(runner, known, warm=warm)
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


async def serve_async(
    *,
    rescan_seconds: float = 60.0,
    limit: int | None = None,
    synced: dict[str, UUID] | None = None,
    afterwards: Callable[[], None] | None = None,
) -> None:
    """Run the runner until stopped (SIGTERM or Ctrl-C); schedules stay active afterwards. ``synced``:
    the measure deployments a sync just left on the server (name → id), served without reading them;
    ``afterwards`` runs once serving, in a thread of its own (the next rescan serves what it creates)."""
    from prefect.runner import Runner

    loop = asyncio.get_running_loop()
    asked: asyncio.Queue[int] = asyncio.Queue()
    with stops_on_loop(loop, asked.put_nowait) as on_stop:
        if stop_asked():  # a stop signal came before, and its KeyboardInterrupt was lost
            print("serve: stopped; schedules left active", flush=True)
            return
        stop = asyncio.create_task(asked.get())
        runner = Runner(
            name="zhenggai", pause_on_shutdown=False, limit=limit, query_seconds=runner_poll_seconds()
        )
        setup = asyncio.create_task(_register_all(runner, synced, limit))
        await asyncio.wait({setup, stop}, return_when=asyncio.FIRST_COMPLETED)
        if stop.done():
            # our own registrations: cancelled, and the runner never started
            setup.cancel()
            await asyncio.wait({setup})
            warm_start.stop_warm_starts()
            print("serve: stopped; schedules left active", flush=True)
            return
        known, warm = setup.result()
        if afterwards is not None:
            start_in_background(afterwards)
        rescan = asyncio.create_task(_rescan(runner, known, rescan_seconds, warm=warm))
        serving = asyncio.create_task(runner.start())
        try:
            # runner.start() sets Prefect's own SIGTERM handler before its first await (it stops the runner
            # from inside the handler, or raises SystemExit there while the runner starts): take it back.
            await asyncio.sleep(0)
            signal.signal(signal.SIGTERM, on_stop)
            await asyncio.wait({serving, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stop.done():
                await _stop_runner(runner, serving, stop.result())
            else:
                stop.cancel()
            await asyncio.wait({serving})
            if not serving.cancelled():
                serving.result()  # the runner's own error, if it failed
        finally:
            rescan.cancel()
            warm_start.stop_warm_starts()
    print("serve: stopped; schedules left active", flush=True)


async def _register_all(
    runner: Any, synced: dict[str, UUID] | None, limit: int | None
) -> tuple[set[UUID], bool]:
    """Hand the runner the housekeeping flows, the notice's deployments and every measure deployment; the
    deployments it polls and whether its runs start warm (``flows.warm_start``)."""
    from prefect import Flow
    from prefect.schedules import Cron

    settings = get_settings()
    housekeeping: list[tuple[Flow[Any, Any], str, list[Any], str]] = [
        (
            sync_deployments,
            "housekeeping",
            [Cron(HOUSEKEEPING_SYNC_CRON, timezone=settings.timezone, slug="daily-sync")],
            "每日同步：整改台账 → 各措施的检查部署",
        ),
        (
            sweep,
            "daily-sweep",
            housekeeping_schedules("sweep", "daily-sweep"),
            "每个工作日催办、督办：逾期追踪、升级督办、补发暂缓的消息",
        ),
        (
            digest,
            "weekly-digest",
            housekeeping_schedules("digest", "weekly-digest"),
            "每周向各责任单位推送其全部整改措施的进展汇总",
        ),
        (
            assess_units,
            "assess-units",
            housekeeping_schedules("assess_units", "assess-units"),
            "每周第一个工作日：封存上周（及上月）考评结果，发布排名，向领导和各单位通报",
        ),
    ]
    for flow, name, schedules, description in housekeeping:
        await runner.aadd_flow(
            flow, name=name, schedules=schedules, tags=["zhenggai-housekeeping"], description=description
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
    warm = warm_start.warm_starts(runner, enabled=settings.warm_starts)
    known: set[UUID] = set()
    count = await register_new(runner, known, synced, warm=warm)
    print(
        f"serve: serving {count} measure deployment(s), the daily sync and sweep, the weekly digest, "
        "the weekly assessment "
        "and the notice (generated, and drafted for sign-off); "
        f"at most {limit if limit else 'unlimited'} flow run(s) at once; "
        + (
            "each run forked from a warm server (Prefect and the check imported once)"
            if warm
            else "each run a new process"
        ),
        flush=True,
    )
    return known, warm


# How long a stop waits for a runner still starting before it cancels the start (a start takes 1-3 s).
RUNNER_START_WAIT = 15.0


async def _stop_runner(runner: Any, serving: asyncio.Task[None], signum: int) -> None:
    """Stop the runner as Prefect does: SIGTERM by ``Runner.astop`` (Prefect's own SIGTERM stop: runs in
    flight are cancelled), Ctrl-C by cancelling ``runner.start()`` (asyncio's: runs in flight finish)."""
    # A runner still starting can swallow a cancellation and go on serving: stop it once it has started.
    # One that does not start within RUNNER_START_WAIT (its start-up waits on the API) is cancelled; the
    # stop deadline (flows.serve_stop) ends what is still stuck after that.
    waited = 0.0
    while not runner.started and not serving.done() and waited < RUNNER_START_WAIT:
        await asyncio.wait({serving}, timeout=0.1)
        waited += 0.1
    if serving.done():
        return
    if not runner.started:
        print(
            f"serve: the runner had not started {RUNNER_START_WAIT:.0f} s after the stop: cancelled",
            flush=True,
        )
        serving.cancel()
        await asyncio.wait({serving}, timeout=5)
        if serving.done() or not runner.started:
            return
        # it swallowed the cancellation and started after all: stopped as any started runner
    if signum == signal.SIGINT:
        serving.cancel()
    elif not runner.stopping:
        await runner.astop()


def start_in_background(work: Callable[[], None]) -> threading.Thread:
    """``work`` in a daemon thread with this context's Prefect settings: stopping serve does not wait for
    it, and a failure is one line on stderr (the next start syncs in full: no record was written)."""
    context = contextvars.copy_context()

    def run() -> None:
        try:
            context.run(work)
        except Exception as error:
            print(f"serve: background sync failed: {error}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=run, name="zhenggai-sync", daemon=True)
    thread.start()
    return thread


@contextmanager
def prefect_api(
    port: int | None = None,
    *,
    meanwhile: Callable[[], object] | None = None,
    unscheduled: Callable[[], object] | None = None,
    started: LocalServer | None = None,
) -> Iterator[str]:
    """The Prefect API to serve against: ``PREFECT_API_URL`` if set, else a local server started here
    (or ``started`` already, by ``start_local_server``: ``zhenggai serve`` starts it before its imports).

    ``meanwhile`` runs before the API is used: while the local server starts (it takes seconds, and the
    machine has a second core). ``unscheduled`` (the first sync) runs first against the API; when the
    local server starts on an empty PREFECT_HOME it runs with the server's services off, and the server
    is then restarted with them (on SQLite the scheduler writing runs for each new deployment, and the
    event persister writing each create's event, make the 2,100 creates wait on its one writer). A server
    we did not start is never touched.

    The local server is stopped on every way out: return, error, Ctrl-C or SIGTERM (during start-up
    included; see ``stop_on_signals``), and on Linux when this process is killed outright.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    configured = configured_api_url()
    if configured and started is None:
        for step in (meanwhile, unscheduled):
            if step is not None:
                step()
        yield configured
        return
    server = started or start_local_server(port, first_sync=unscheduled is not None)
    on_forced_exit(server.kill)
    try:
        print(
            f"serve: starting a local Prefect server on port {server.port} (pid {server.process.pid})",
            flush=True,
        )
        if meanwhile is not None:
            meanwhile()
        server.wait_healthy()
        # A busy SQLite server answers 503 (SQLITE_BUSY) and the client retries it: give our own server,
        # with one writer for the creates, its events and the runner, more tries than Prefect's 5 (a
        # first sync of the city ran out of them at load 10; docs/benchmarks.md).
        retries = max(int(PREFECT_CLIENT_MAX_RETRIES.value()), LOCAL_CLIENT_RETRIES)
        with temporary_settings({PREFECT_API_URL: server.url, PREFECT_CLIENT_MAX_RETRIES: retries}):
            os.environ["PREFECT_API_URL"] = server.url  # flow-run subprocesses inherit it
            if unscheduled is not None:
                unscheduled()
            if server.new:
                print("serve: first sync done; restarting the local server with its services", flush=True)
                server.restart()
            yield server.url
    finally:
        server.stop()


def serve_all(
    *,
    sync_first: bool = True,
    rescan_seconds: float = 60.0,
    port: int | None = None,
    limit: int | None = None,
    started: LocalServer | None = None,
) -> None:
    """``zhenggai serve``: sync, then serve until stopped (SIGTERM or Ctrl-C, at any moment).

    ``started``: the local server ``start_local_server`` started already (stopped here on every way out).
    Against the local server, a restart with nothing changed since serve's last complete sync (the same
    fingerprint, and the server holds exactly the deployments that sync left: ``holds_exactly``) serves
    at once and runs the full comparison right after, in the background."""
    settings = get_settings()
    limit = limit if limit is not None else settings.flow_run_limit
    planned: list[BulkSync] = []
    synced: dict[str, UUID] = {}
    deferred: list[Callable[[], None]] = []

    local = started is not None or configured_api_url() is None
    concurrency = LOCAL_FIRST_SYNC_CONCURRENCY if local else 4

    def plan() -> None:  # the ledger's side of the first sync, while the local server starts
        if sync_first:
            planned.append(plan_bulk(concurrency=concurrency))

    def full_sync(plan: BulkSync) -> None:
        if local:
            forget_sync_record()
        result = apply_bulk(plan)
        if local:
            write_sync_record(SyncRecord(fingerprint(plan), dict(result.deployment_ids)))
        synced.update(result.deployment_ids)
        print(f"serve: sync: {result.summary()} ({result.unchanged} unchanged)", flush=True)
        for line in result.warnings():
            print(f"serve: warning: {line}", flush=True)

    def first_sync() -> None:
        plan = planned[0]
        held = unchanged_since_last_sync(plan) if local else None
        if held is None:
            full_sync(plan)
            return
        synced.update(held)
        print(
            f"serve: sync: nothing changed since the last sync ({len(held)} deployments held); "
            "comparing them in full once serving",
            flush=True,
        )
        deferred.append(lambda: full_sync(plan))

    try:
        with (
            stop_on_signals(settings.data_dir, disarm_on_exit=False),
            prefect_api(
                port, meanwhile=plan, unscheduled=first_sync if sync_first else None, started=started
            ) as url,
        ):
            print(f"serve: Prefect API at {url}", flush=True)
            print(f"serve: Prefect UI at {url.removesuffix('/api')}", flush=True)
            print(f"serve: in another shell: export PREFECT_API_URL={url}", flush=True)
            asyncio.run(
                serve_async(
                    rescan_seconds=rescan_seconds,
                    limit=limit or None,
                    synced=synced if sync_first else None,
                    afterwards=deferred[0] if deferred else None,
                )
            )
    except KeyboardInterrupt:
        print("serve: stopped; schedules left active", flush=True)


def unchanged_since_last_sync(plan: BulkSync) -> dict[str, UUID] | None:
    """The deployments serve's last complete sync left on the local server (name → id) when ``plan`` is
    the same (its fingerprint) and the server holds exactly those (two counts); None: sync in full."""
    from prefect.client.orchestration import get_client

    record = read_sync_record()
    if record is None or record.fingerprint != fingerprint(plan):
        return None

    async def check() -> bool:
        async with get_client() as client:
            return await holds_exactly(client, record.deployments.values(), round_code=plan.round_code)

    return record.deployments if asyncio.run(check()) else None
