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
    port: int | None = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        help="Port of the local Prefect server (default: PREFECT_SERVER_API_PORT, 4200); a busy port is an error.",
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=0,
        help="Flow runs at once (default: ZHENGGAI_FLOW_RUN_LIMIT, 4; 0: no limit).",
    ),
) -> None:
    """Serve all measure deployments and the housekeeping flows; stopping leaves schedules active.

    Without PREFECT_API_URL a local Prefect server (SQLite under PREFECT_HOME) is started alongside on
    --port and stopped on exit (Ctrl-C or SIGTERM, at any moment; a second one, or 60 s without
    stopping, ends it at once: exit 1). Once ready it prints the UI address and the export
    PREFECT_API_URL=… line a second shell needs. See docs/deploying.md.

    Example: zhenggai serve
    """
    from flows.cli.common import database, need_prefect

    database()  # no ledger, or a database that does not answer: one line, before any Prefect server starts
    need_prefect("serve", local_server=False)  # without PREFECT_API_URL serve starts its own and says so
    from flows.local_server import configured_api_url, start_local_server

    # The local server starts before the flows are imported: its start-up runs on the other core meanwhile.
    started = None if configured_api_url() else start_local_server(port, first_sync=sync_first)
    try:
        from flows.serve import serve_all
    except BaseException:
        if started is not None:
            started.stop()
        raise
    serve_all(sync_first=sync_first, rescan_seconds=rescan_seconds, port=port, limit=limit, started=started)
