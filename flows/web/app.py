"""The HTTP app: ``create_app(settings)`` builds it; ``zhenggai api`` serves it with uvicorn.

The JSON API is under ``/api`` (OpenAPI docs at ``/api/docs``, schema at ``/api/openapi.json``): units
report progress with evidence, coordinators review and close (销号). Every request but ``/api/health``
needs ``Authorization: Bearer <token>``. A missing, unknown or revoked token is 401; a token whose
role or unit does not allow the request is 403. Bad input is a 4xx whose ``detail`` names the field.
Refused requests are logged on ``zhenggai.api`` with the token's id and label, never the token.

Mount it beside another app (the Prefect server's): ``parent.mount("/zhenggai", create_app(settings))``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from flows.web.api import evidence, measures, reports, service, units
from flows.web.errors import install_error_handlers, refused
from models.settings import Settings, get_settings
from models.text import InvalidText, normalise_text
from tasks.reports.evidence import MAX_FILES_PER_REPORT

API = "/api"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for the given (default: configured) settings."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Zhenggai 整改 report API",
        version="1",
        description=__doc__,
        docs_url=f"{API}/docs",
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    limit = settings.evidence_max_bytes * MAX_FILES_PER_REPORT + 1024 * 1024

    @app.middleware("http")
    async def _limit_upload(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        refusal = _control_in_address(request)
        if refusal is not None:
            request.state.caller = "before authentication"
            return refused(request, 400, refusal[0], refusal[1])
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            request.state.caller = "before authentication"
            return refused(request, 413, "evidence", f"the request is larger than {limit:,} bytes")
        return await call_next(request)

    for resource in (service, reports, units, measures, evidence):
        app.include_router(resource.router, prefix=API)
    return app


def _control_in_address(request: Request) -> tuple[str, str] | None:
    """(field, message) when the path or a query parameter holds a character the ledger refuses (NUL…)."""
    try:
        normalise_text(request.scope["path"], "path", one_line=True)
        for name, value in request.query_params.multi_items():
            normalise_text(value, name, one_line=True)
    except InvalidText as error:
        return error.field, str(error).split(": ", 1)[-1]
    return None
