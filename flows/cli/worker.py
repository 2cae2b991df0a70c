"""``zhenggai worker``: run a work pool's scheduled checks on this machine (the server-and-workers path)."""

from __future__ import annotations

import typer

from flows.cli.app import app


@app.command("worker")
def worker(
    pool: str | None = typer.Option(
        None, "--pool", help="The work pool to poll (default: ZHENGGAI_WORK_POOL)."
    ),
    name: str | None = typer.Option(None, "--name", help="The worker's name in the Prefect UI."),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=1,
        help="Flow runs at once on this worker (default: only the pool's limit, ZHENGGAI_FLOW_RUN_LIMIT).",
    ),
    run_once: bool = typer.Option(
        False, "--run-once", help="Start the runs due now, wait for them, and exit."
    ),
) -> None:
    """Prefect's process worker for a work pool, each measure check forked from a warm process.

    Runs the pool's flow runs (all its queues) as `prefect worker start --pool NAME` does, but starts
    the measure checks from a process that imported Prefect and the check once (ZHENGGAI_WARM_STARTS=false:
    as Prefect does). Needs PREFECT_API_URL and the ledger's settings (ZHENGGAI_DATABASE_URL or
    ZHENGGAI_DATA_DIR). Ctrl-C or SIGTERM: no more runs taken, those taken finish, then it exits; a second
    one exits at once. See docs/deploying.md.

    Example: ZHENGGAI_WORK_POOL=zhenggai zhenggai worker
    """
    import asyncio

    from flows.cli.common import database, err_console, need_prefect, settings
    from models.errors import PrefectUnavailable, UnusableWorkPool

    config = settings()
    pool = pool or config.work_pool
    if not pool:
        err_console.print("worker: no work pool: give --pool NAME or set ZHENGGAI_WORK_POOL")
        raise typer.Exit(2)
    database()  # no ledger, or a database that does not answer: one line, before polling anything
    import prefect.settings  # noqa: F401  (PREFECT_API_URL as Prefect reads it: the environment or a profile)

    from tasks.reports.intake import configured_prefect_api_url

    if configured_prefect_api_url() is None:
        raise PrefectUnavailable(
            "worker: PREFECT_API_URL is not set: a worker polls the Prefect server the deployments are on "
            "(for one machine without a server, `zhenggai serve` runs the checks)"
        )
    need_prefect("worker", local_server=False)
    from flows.warm_worker import pin_ledger, pool_problem, run_worker

    problem = asyncio.run(pool_problem(pool))
    if problem is not None:
        raise UnusableWorkPool(f"worker: {problem}")
    for variable, value in pin_ledger().items():
        err_console.print(f"worker: its runs are given {variable}={value} (an absolute path, resolved here)")
    run_worker(pool, name=name, limit=limit, run_once=run_once, warm=config.warm_starts)
