"""Refusals as the API answers them: named errors become 4xx JSON ``{"detail": {"field", "message"}}``.

Every refusal is logged on ``zhenggai.api`` with the token's id and label (never the token).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from models.errors import (
    CalendarNotPublished,
    DuplicateReport,
    EvidenceTooLarge,
    EvidenceTypeRefused,
    Forbidden,
    InvalidReport,
    InvalidReview,
    InvalidTransition,
    ReviewStepMissing,
    SameReviewer,
    UnknownMeasure,
    UnknownUnit,
    ZhenggaiError,
)

logger = logging.getLogger("zhenggai.api")


class Refusal(Exception):
    """A request refused with a status code and the field at fault."""

    def __init__(self, status: int, field: str, message: str, **extra: Any) -> None:
        self.status = status
        self.field = field
        self.message = message
        self.extra = extra
        super().__init__(f"{status} {field}: {message}")


def who(request: Request) -> str:
    """How the log names the caller: the verified token, or what was wrong with it."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return str(principal.display)
    return str(getattr(request.state, "caller", "no token"))


def refused(request: Request, status: int, field: str, message: str, **extra: Any) -> JSONResponse:
    """The JSON answer of a refusal (logged)."""
    logger.warning(
        "refused %s %s: %s %s: %s (%s)",
        request.method,
        request.url.path,
        status,
        field,
        message,
        who(request),
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        status_code=status, content={"detail": {"field": field, "message": message, **extra}}, headers=headers
    )


def _after_field(error: ZhenggaiError) -> str:
    return str(error).split(": ", 1)[-1]


def answer_for(request: Request, error: ZhenggaiError) -> JSONResponse:
    """The 4xx (503 for an unpublished calendar) a named domain error gets."""
    if isinstance(error, Forbidden):
        return refused(request, 403, error.field, error.message)
    if isinstance(error, EvidenceTooLarge):
        return refused(request, 413, error.field, _after_field(error))
    if isinstance(error, EvidenceTypeRefused):
        return refused(request, 415, error.field, _after_field(error))
    if isinstance(error, InvalidReport | InvalidReview):
        return refused(request, 422, error.field, _after_field(error))
    if isinstance(error, DuplicateReport):
        return refused(
            request, 409, "Idempotency-Key", "this key was already used", report_id=error.report_id
        )
    statuses: list[tuple[type[ZhenggaiError], int, str]] = [
        (InvalidTransition, 409, "status"),
        (ReviewStepMissing, 409, "review_steps"),
        (SameReviewer, 403, "actor"),
        (UnknownMeasure, 404, "measure"),
        (UnknownUnit, 404, "unit"),
        (CalendarNotPublished, 503, "calendar"),
    ]
    for kind, status, field in statuses:
        if isinstance(error, kind):
            return refused(request, status, field, str(error))
    return refused(request, 400, "", str(error))


def install_error_handlers(app: FastAPI) -> None:
    """Answer refusals, named domain errors and invalid requests as 4xx JSON naming the field."""

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, error: Refusal) -> JSONResponse:
        return refused(request, error.status, error.field, error.message, **error.extra)

    @app.exception_handler(ZhenggaiError)
    async def _domain(request: Request, error: ZhenggaiError) -> JSONResponse:
        return answer_for(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = ".".join(
            str(part) for part in first["loc"] if part not in ("body", "query", "path", "header")
        )
        logger.warning(
            "refused %s %s: 422 %s: %s (%s)",
            request.method,
            request.url.path,
            field,
            first["msg"],
            who(request),
        )
        detail = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in errors]
        return JSONResponse(status_code=422, content={"detail": detail})
