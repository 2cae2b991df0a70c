"""``zhenggai serve``: one process that runs every measure's scheduled checks."""

from __future__ import annotations

import typer

from flows.cli.app import app


@app.command("serve")
def serve(
    sync_first: bool = typer.Option(True, "--sync/--no-sync", help="Sync the ledger before serving."),
    rescan_seconds: float = typer.Option(
        60.0, "--rescan-seconds", min=1.0, help="How often to pick up deployments created by a later sync."
    ),
) -> None:
    """Serve all measure deployments and the housekeeping flows; stopping leaves schedules active.

    Without PREFECT_API_URL a local Prefect server (SQLite under PREFECT_HOME) is started alongside and
    stopped on exit. See docs/deploying.md.

    Example: zhenggai serve
    """
    from flows.cli.common import database, need_prefect

    database()  # a database that does not answer is one line, before any Prefect server starts
    need_prefect("serve", local_server=False)  # without PREFECT_API_URL serve starts its own and says so
    from flows.serve import serve_all

    serve_all(sync_first=sync_first, rescan_seconds=rescan_seconds)
