"""The HTTP app: ``create_app(settings)`` builds it; ``zhenggai web`` (alias ``zhenggai api``) serves it.

The units' portal is at ``/`` (Chinese pages, a session cookie from a sign-in link: docs/portal.md); the
coordinators' and leaders' desk at ``/desk`` (same sign-in and session: docs/desk.md).

The JSON API is under ``/api`` (a reference page at ``/api/docs``, schema at ``/api/openapi.json``): units
report progress with evidence, coordinators review and close (销号). Every request but ``/api/health``
needs ``Authorization: Bearer <token>``. A missing, unknown or revoked token is 401; a token whose
role or unit does not allow the request is 403. Bad input is a 4xx whose ``detail`` names the field.
Refused requests are logged on ``zhenggai.api`` with the token's id and label, never the token.

Mount it beside another app (the Prefect server's): ``parent.mount("/zhenggai", create_app(settings))``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from flows.web.api import evidence, measures, reports, service, units
from flows.web.errors import install_error_handlers
from flows.web.guard import RequestGuard
from flows.web.pages import desk, desk_checks, desk_contacts, desk_downloads, desk_notice, duban
from flows.web.pages import portal as pages
from flows.web.pages.session import WEB, make_templates
from models.settings import Settings, get_settings
from tasks.reports.evidence import MAX_FILES_PER_REPORT

API = "/api"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for the given (default: configured) settings."""
    settings = settings or get_settings()
    if settings.prefect_api_url:
        # Request threads announce reports to Prefect; importing it here, once, before they start keeps two
        # threads from importing it at the same moment (one of them then sees a half-initialised module).
        import prefect.events  # noqa: F401
    app = FastAPI(
        title="Zhenggai 整改 report API",
        version="1",
        description=__doc__,
        docs_url=None,  # Swagger UI loads from a CDN: /api/docs is a page of our own instead
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = make_templates(settings)
    install_error_handlers(app)
    pages.install_page_handlers(app)
    limit = settings.api_max_request_bytes or (
        settings.evidence_max_bytes * MAX_FILES_PER_REPORT + 1024 * 1024
    )
    app.add_middleware(RequestGuard, settings=settings, limit=limit)

    for resource in (service, reports, units, measures, evidence):
        app.include_router(resource.router, prefix=API)

    @app.get(f"{API}/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        """The API's operations, rendered here from the OpenAPI schema (no asset from another host)."""
        return app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "api_docs.html", {"title": app.title, "operations": _operations(app.openapi())}
        )

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(desk.router)
    app.include_router(desk_contacts.router)
    app.include_router(desk_notice.router)
    app.include_router(desk_checks.router)
    app.include_router(duban.router)
    app.include_router(desk_downloads.router)
    return app


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = [
                f"{p.get('in')} {p.get('name')}" + (" (required)" if p.get("required") else "")
                for p in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {})
            parameters += [f"body {kind}" for kind in body]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                }
            )
    return operations
