"""``zhenggai sync``: the ledger's measures as scheduled Prefect deployments."""

from __future__ import annotations

import typer

from flows.cli.app import app
from flows.cli.common import console, database, err_console, need_prefect, settings


@app.command("sync")
def sync(
    round_code: str | None = typer.Option(
        None, "--round", help="Only this round (removes only its deployments)."
    ),
    work_pool: str | None = typer.Option(
        None,
        "--work-pool",
        help="Put the deployments in this work pool (run by workers); default: ZHENGGAI_WORK_POOL, and "
        "when that is unset each deployment stays in the pool it is in.",
    ),
    workers: bool = typer.Option(
        False,
        "--workers",
        help="Put the deployments in the configured work pool (ZHENGGAI_WORK_POOL; `zhenggai` when unset).",
    ),
    leave_pool: bool = typer.Option(
        False,
        "--leave-pool",
        help="Move every deployment out of its work pool, to be run by `zhenggai serve` "
        "(only with ZHENGGAI_WORK_POOL unset).",
    ),
    concurrency: int = typer.Option(4, min=1, max=32, help="Concurrent API requests."),
) -> None:
    """Create, update, pause and remove one check_measure deployment per measure.

    Talks to PREFECT_API_URL (unset: the local Prefect database under PREFECT_HOME); see docs/deploying.md.
    A deployment paused by hand for an open measure, and a measure whose dates cannot be computed, are
    reported and left alone.

    Example: zhenggai sync --round xinhua-2023-xc2
    """
    database()
    config = settings()
    if workers and work_pool is None:
        work_pool = config.work_pool or "zhenggai"
    if leave_pool and (work_pool or config.work_pool):
        err_console.print("sync: --leave-pool contradicts the work pool (--work-pool or ZHENGGAI_WORK_POOL)")
        raise typer.Exit(2)
    if (work_pool or config.work_pool) and config.ledger_implicit:
        # A worker's flow run starts in a temporary directory: the .zhenggai/ found from here is not its.
        err_console.print(
            f"sync: warning: the ledger ({config.data_dir.resolve()}) is found from this directory, which "
            "the workers do not share: set ZHENGGAI_DATA_DIR (or ZHENGGAI_DATABASE_URL) here and in the "
            "workers' environment, or their checks fail with MeasureNotInLedger"
        )
    need_prefect("sync", local_server=False)
    from flows.sync import sync_bulk

    result = sync_bulk(
        database(),
        config,
        work_pool=work_pool,
        leave_pool=leave_pool,
        round_code=round_code,
        concurrency=concurrency,
    )
    console.print(f"sync: {result.summary()} ({result.unchanged} unchanged)")
    if result.alert:
        console.print(f"  failed-run alert: {', '.join(result.alert)}")
    for line in result.warnings():
        err_console.print(f"  warning: {line}")
    for label, names in (
        ("created", result.created),
        ("updated", result.updated),
        ("paused", result.paused),
        ("removed", result.removed),
    ):
        if names:
            console.print(f"  {label}: {', '.join(names)}")
