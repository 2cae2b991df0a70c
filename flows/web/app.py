"""The HTTP app: ``create_app(settings)`` builds it; ``zhenggai api`` serves it with uvicorn.

The JSON API is under ``/api`` (OpenAPI docs at ``/api/docs``, schema at ``/api/openapi.json``): units
report progress with evidence, coordinators review and close (销号). Every request but ``/api/health``
needs ``Authorization: Bearer <token>``. A missing, unknown or revoked token is 401; a token whose
role or unit does not allow the request is 403. Bad input is a 4xx whose ``detail`` names the field.
Refused requests are logged on ``zhenggai.api`` with the token's id and label, never the token.

Mount it beside another app (the Prefect server's): ``parent.mount("/zhenggai", create_app(settings))``.
"""

from __future__ import annotations

from fastapi import FastAPI

from flows.web.api import evidence, measures, reports, service, units
from flows.web.errors import install_error_handlers
from flows.web.guard import RequestGuard
from models.settings import Settings, get_settings
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
    limit = settings.api_max_request_bytes or (
        settings.evidence_max_bytes * MAX_FILES_PER_REPORT + 1024 * 1024
    )
    app.add_middleware(RequestGuard, settings=settings, limit=limit)

    for resource in (service, reports, units, measures, evidence):
        app.include_router(resource.router, prefix=API)
    return app
