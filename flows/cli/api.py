"""``zhenggai api``: serve the report API (FastAPI) with uvicorn."""

from __future__ import annotations

import typer

from flows.cli.app import app
from flows.cli.common import console, settings


@app.command("api")
def api(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: settings api_host)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: settings api_port, 8765)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the report API: units report with evidence, coordinators review and close (销号).

    OpenAPI docs are at /api/docs. Example: zhenggai api --host 0.0.0.0 --port 8765
    """
    import uvicorn

    from flows.cli.common import database
    from flows.web.app import create_app

    config = settings()
    database()  # migrate (or refuse), and refuse when no ledger is loaded here, before taking requests
    host = host or config.api_host
    port = port or config.api_port
    console.print(f"report API on http://{host}:{port}/api (docs: /api/docs)")
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)
