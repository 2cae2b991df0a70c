"""``zhenggai web`` (alias ``zhenggai api``): serve the units' portal at / and the JSON API at /api."""

from __future__ import annotations

import typer

from flows.cli.app import app
from flows.cli.common import console, settings


def web(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: settings api_host, 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: settings api_port, 8765)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the units' portal at / and the report API at /api (reference: /api/docs).

    Units sign in with a link from `zhenggai token issue --unit CODE --link` (docs/portal.md).
    Example: zhenggai web --host 0.0.0.0 --port 8765
    """
    import uvicorn

    from flows.cli.common import database
    from flows.web.app import create_app

    config = settings()
    database()  # migrate (or refuse), and refuse when no ledger is loaded here, before taking requests
    host = host or config.api_host
    port = port or config.api_port
    console.print(f"portal on http://{host}:{port}/ and the report API on /api (reference: /api/docs)")
    if config.public_url:
        console.print(f"sign-in links point at {config.public_url}")
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)


app.command("web")(web)
app.command(
    "api", help="The same as `zhenggai web` (kept for scripts).\n\nExample: zhenggai api --port 8765"
)(web)
