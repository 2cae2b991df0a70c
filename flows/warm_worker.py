"""``zhenggai worker``: Prefect's process worker for a work pool, each measure check forked from a warm server.

Prefect's ``prefect worker start --pool …`` starts every flow run as ``python -m prefect.engine``: a new
interpreter that imports Prefect and our flows again, about 2.5 CPU-seconds of a check's 3 on the city's
09:00 burst, which one 2-core machine could not drain in 15 minutes (docs/benchmarks.md). This worker is
that same ``ProcessWorker`` (same pool type, limits, heartbeats, cancellation and crash handling), except
for runs of the measure deployments (entrypoint ``flows.check_measure.check_measure``, no custom command):
those it starts with Prefect's direct starter, the ``check_measure`` flow object handed over, through
``flows.warm_start``'s fork server, as ``zhenggai serve`` does. Runs of any other deployment on the pool
(the housekeeping flows of ``prefect.yaml``) take Prefect's own path, pull steps included.

It relies on Prefect internals (the executor context and process handle of ``prefect.runner``, and those
``flows.warm_start`` checks): when they are missing, or ``ZHENGGAI_WARM_STARTS=false``, it prints one line
and is Prefect's process worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio
import anyio.abc
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from flows import warm_start
from models.errors import WorkerFailed
from tasks.schedule.deployments import ENTRYPOINT

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

# What the warm path needs of Prefect beyond flows.warm_start's checks (private modules of prefect.runner).
_EXECUTOR = "prefect.runner._flow_run_executor"
_PROCESS_HANDLE = "prefect.runner._process_manager"


def _internals_missing() -> str | None:
    """Why this Prefect's runner internals cannot start a worker's run directly (None: they can)."""
    import importlib

    try:
        executor = importlib.import_module(_EXECUTOR)
        handles = importlib.import_module(_PROCESS_HANDLE)
    except ImportError as error:
        return f"Prefect's flow run executor is not importable ({error})"
    needed = {
        executor: ("FlowRunExecutorContext",),
        handles: ("ProcessHandle", "create_isolated_termination_scope"),
    }
    for module, names in needed.items():
        for name in names:
            if not hasattr(module, name):
                return f"{module.__name__}.{name} is missing"
    return None


class WarmProcessWorker(ProcessWorker):
    """Prefect's process worker whose measure checks start forked from a warm server."""

    @classmethod
    def __dispatch_key__(cls) -> str:
        # Registered apart from Prefect's "process" worker (same pool type): `prefect worker start --type
        # process` in this interpreter still finds Prefect's own class.
        return "zhenggai-warm-process"

    def __init__(self, *args: Any, warm: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warm = warm
        self.stopping = False  # stop_taking_runs: the polls take nothing more
        self._running = 0  # runs between the start of run() and its end
        self._entrypoints: dict[UUID, str | None] = {}  # a deployment's entrypoint never changes

    def stop_taking_runs(self) -> None:
        """Take no more runs from the pool; those in flight go on (``in_flight`` counts them)."""
        self.stopping = True

    @property
    def in_flight(self) -> int:
        """Runs taken and not finished: being submitted (Pending), or started and running."""
        return len(getattr(self, "_submitting_flow_run_ids", ())) + self._running

    async def get_and_submit_flow_runs(self) -> list[FlowRun]:
        """Prefect's poll of the pool, or nothing once stopping."""
        if self.stopping:
            return []
        return await super().get_and_submit_flow_runs()

    async def run(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        """Start the run and wait for it: a measure check forked from the warm server, anything else as
        Prefect does."""
        self._running += 1
        try:
            return await self._start_and_wait(flow_run, configuration, task_status)
        finally:
            self._running -= 1

    async def _start_and_wait(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None,
    ) -> ProcessWorkerResult:
        if not self.warm or _needs_prefects_start(configuration) or not await self._is_check(flow_run):
            return await super().run(flow_run, configuration, task_status)
        from prefect.runner._flow_run_executor import FlowRunExecutorContext

        from flows.check_measure import check_measure

        started = anyio.TASK_STATUS_IGNORED if task_status is None else task_status
        execution: Any = None
        async with FlowRunExecutorContext() as context:
            starter = WarmStarter(
                flow=check_measure, env=configuration.env, control_channel=context.control_channel
            )

            async def resolve_flow(_: FlowRun) -> Any:
                return check_measure

            executor = context.create_executor(
                flow_run, starter, resolve_flow=resolve_flow, propose_submitting=False
            )

            async def execute(*, task_status: anyio.abc.TaskStatus[Any] = anyio.TASK_STATUS_IGNORED) -> None:
                nonlocal execution
                execution = await executor.submit(task_status=task_status)

            async with anyio.create_task_group() as group:
                handle = await group.start(execute)
                if handle.pid is None:
                    raise RuntimeError("Flow run process has no PID")
                started.started(handle.pid)
                self.get_flow_run_logger(flow_run).info(
                    "check started forked from the worker's warm server (process %s)", handle.pid
                )
        if execution is None or execution.status_code is None:
            raise RuntimeError("Failed to start flow run process.")
        return ProcessWorkerResult(status_code=execution.status_code, identifier=str(execution.handle.pid))

    async def _is_check(self, flow_run: FlowRun) -> bool:
        """Whether the run is of a measure deployment (``check_measure``, entrypoint by module path); a
        deployment that cannot be read now is not, and its run takes Prefect's path (which reads it too)."""
        deployment_id = flow_run.deployment_id
        if deployment_id is None:
            return False
        if deployment_id not in self._entrypoints:
            try:
                deployment = await self.client.read_deployment(deployment_id)
            except Exception as error:  # gone, or the API failing: Prefect's path reports it as it does
                self._logger.debug("deployment %s not read (%s): Prefect's start", deployment_id, error)
                return False
            self._entrypoints[deployment_id] = deployment.entrypoint
        return self._entrypoints[deployment_id] == ENTRYPOINT


def _needs_prefects_start(configuration: ProcessJobConfiguration) -> bool:
    """What only Prefect's start of a run honours: a command of the deployment's own, a working directory
    (a warm check runs in the worker's), output not streamed (a warm check's goes to the worker's)."""
    command = getattr(configuration, "_command_configured", True)  # private: unknown means Prefect's path
    return bool(command) or configuration.working_dir is not None or not configuration.stream_output


class WarmStarter:
    """Prefect's ``DirectSubprocessStarter`` with the job's environment (the pool's ``env`` job variable
    included): starts ``flow`` for a flow run through ``prefect.runner._starter_direct.run_flow_in_subprocess``,
    which ``flows.warm_start`` forks from its server."""

    def __init__(self, *, flow: Any, env: dict[str, str | None], control_channel: Any) -> None:
        self._flow = flow
        self._env = env
        self._control_channel = control_channel

    async def start(
        self, flow_run: FlowRun, task_status: anyio.abc.TaskStatus[Any] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        from prefect.runner import _starter_direct
        from prefect.runner._process_manager import ProcessHandle, create_isolated_termination_scope

        env = dict(self._env)
        registered = False
        try:
            port, token = self._control_channel.register(flow_run.id)
            env["PREFECT__CONTROL_PORT"] = str(port)
            env["PREFECT__CONTROL_TOKEN"] = token
            registered = True
        except RuntimeError:
            pass  # no loopback listener: Prefect falls back to kill-only cancellation, as its own starter
        handed_off = False
        try:
            # the module attribute (what flows.warm_start patches), looked up at each start
            start = getattr(_starter_direct, "run_flow_in_subprocess")  # noqa: B009
            # The job's environment decides the run's Prefect settings, as in a new interpreter: not the
            # worker's settings context, which Prefect would otherwise carry over
            process = start(self._flow, flow_run=flow_run, env=env, context={"settings_context": {}})
            # its own session (flows.warm_start, isolated): stopped as a group, as Prefect's engine command
            scope = create_isolated_termination_scope(process.pid)
            task_status.started(ProcessHandle(process, termination_scope=scope))  # before the blocking join
            handed_off = True
            await anyio.to_thread.run_sync(process.join)
        except BaseException:
            if registered and not handed_off:
                self._control_channel.unregister(flow_run.id)
            raise


async def pool_problem(pool: str) -> str | None:
    """Why ``pool`` cannot be this worker's (None: it can): missing on the API, or not a process pool."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL

    async with get_client() as client:
        try:
            held = await client.read_work_pool(pool)
        except (PrefectHTTPStatusError, httpx.HTTPError) as error:
            return f"work pool '{pool}' not read from {PREFECT_API_URL.value()}: {error}".splitlines()[0]
        except ObjectNotFound:
            return (
                f"no work pool '{pool}' on {PREFECT_API_URL.value()}: create it with `prefect work-pool create "
                f"{pool} --type process`, then `zhenggai sync --work-pool {pool}` puts the measures in it"
            )
    if held.type != ProcessWorker.type:
        return f"work pool '{pool}' is of type '{held.type}': this worker runs a 'process' pool"
    return None


def pin_ledger() -> dict[str, str]:
    """Name the worker's ledger and data directory to its runs by absolute paths, so that every run uses
    them wherever it starts (a warm check in the worker's directory, Prefect's in a temporary one, where a
    relative path or the nearest .zhenggai/ would be another); returns the variables set."""
    from models.settings import get_settings

    settings = get_settings()
    pinned: dict[str, str] = {}
    data_dir = str(settings.data_dir.resolve())
    if os.environ.get("ZHENGGAI_DATA_DIR") != data_dir:
        pinned["ZHENGGAI_DATA_DIR"] = data_dir
    sqlite = settings.sqlite_path
    if settings.database_url and sqlite is not None and not sqlite.is_absolute():
        pinned["ZHENGGAI_DATABASE_URL"] = f"sqlite:///{sqlite.resolve()}"
    os.environ.update(pinned)
    get_settings.cache_clear()
    return pinned


def worker_query_seconds() -> float | None:
    """How often the worker looks for due runs: serve's runner's interval (``flows.serve.RUNNER_POLL_SECONDS``,
    3 s: a slot freed by a finished check is filled at the next look), unless the operator set Prefect's
    ``PREFECT_WORKER_QUERY_SECONDS`` (None: the worker reads it; Prefect's default is 10 s)."""
    from flows.serve import RUNNER_POLL_SECONDS

    return None if os.environ.get("PREFECT_WORKER_QUERY_SECONDS") else RUNNER_POLL_SECONDS


def run_worker(
    pool: str, *, name: str | None = None, limit: int | None = None, run_once: bool = False, warm: bool = True
) -> None:
    """Run the worker until stopped (Ctrl-C or SIGTERM), or for one look at the pool (``run_once``)."""
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS, PREFECT_WORKER_PREFETCH_SECONDS

    why = _internals_missing() if warm else None
    if why is not None:
        print(f"worker: warning: checks start as new processes (Prefect's default): {why}", file=sys.stderr)
    # runs forked in a session of their own: a Ctrl-C at the terminal reaches the worker, not its checks in
    # flight (Prefect's worker starts its runs in new sessions too)
    warm = warm and why is None and warm_start.warm_starts(None, who="worker", own_session=True)
    if warm and not warm_start.wait_until_warm():
        # the first checks then wait for the imports themselves: slower, still right
        print("worker: warning: the fork server was not ready in 120 s", file=sys.stderr, flush=True)
    look = worker_query_seconds()
    every = f"every {look:g} s" if look is not None else "every PREFECT_WORKER_QUERY_SECONDS"
    print(
        f"worker: polling work pool '{pool}' {every}; "
        + ("each check forked from a warm server" if warm else "each run a new process"),
        flush=True,
    )

    async def _run() -> None:
        from prefect.settings import PREFECT_WORKER_QUERY_SECONDS, temporary_settings

        with temporary_settings(updates={PREFECT_WORKER_QUERY_SECONDS: look} if look is not None else {}):
            worker = WarmProcessWorker(
                work_pool_name=pool,
                name=name,
                limit=limit,
                prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
                heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
                create_pool_if_not_found=False,
                warm=warm,
            )
            stop_on_signals(worker, asyncio.current_task())
            await worker.start(run_once=run_once, printer=print)

    try:
        asyncio.run(_run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("worker: stopped", flush=True)
    except Exception as error:  # the worker's loops gave up (the API gone for good): one line, exit 1
        raise WorkerFailed(f"worker: stopped: {type(error).__name__}: {error}".splitlines()[0]) from error
    finally:
        warm_start.stop_warm_starts()


def stop_on_signals(worker: WarmProcessWorker, main: asyncio.Task[Any] | None) -> None:
    """The first SIGINT or SIGTERM stops the worker taking runs, waits for those it took (submitted or
    running) and then ends it (``main`` cancelled); a second one ends the process at once, the checks in
    flight going on in their own sessions. Not Prefect's worker CLI's handling: it forwards the first
    signal as a SIGINT to itself, which Prefect 3.9.1's worker swallowed while runs were in flight (seen
    with ``prefect worker start``: it kept polling), and cancelling the worker at once left the runs it
    was submitting Pending for good."""
    loop = asyncio.get_running_loop()
    signals = 0
    drains: set[asyncio.Task[None]] = set()

    async def drain() -> None:
        while worker.in_flight:
            await asyncio.sleep(0.2)
        if main is not None:
            main.cancel()

    def stop(signum: signal.Signals) -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            print(f"worker: {signum.name} again: exiting now (checks in flight go on)", flush=True)
            os._exit(1)
        print(
            f"worker: {signum.name}: taking no more runs; {worker.in_flight} in flight to finish first "
            "(again: exit now)",
            flush=True,
        )
        worker.stop_taking_runs()
        task = loop.create_task(drain())
        drains.add(task)  # held: the loop keeps only a weak reference
        task.add_done_callback(drains.discard)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
