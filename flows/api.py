"""The report API (FastAPI): units report progress with evidence, coordinators review and close (销号).

``create_app(settings)`` builds the app; ``zhenggai api`` serves it with uvicorn, or mount it beside
the Prefect server (``prefect_app.mount("/zhenggai", create_app(settings))``). OpenAPI docs are at
``/api/docs`` (schema at ``/api/openapi.json``).

Every request but ``/api/health`` needs ``Authorization: Bearer <token>``. A missing, unknown or
revoked token is 401; a token whose role or unit does not allow the request is 403. Bad input is a
4xx whose ``detail`` names the field. Refused requests are logged on ``zhenggai.api`` with the
token's id and label, never the token.
"""

import json
import logging
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.intake import submit_report
from models.db import Database, get_database
from models.enums import ReportStatus, TokenRole
from models.errors import (
    CalendarNotPublished,
    InvalidReport,
    InvalidTransition,
    UnknownMeasure,
    UnknownUnit,
    ZhenggaiError,
)
from models.settings import Settings, get_settings
from models.tables import utcnow
from tasks.reports.access import (
    Forbidden,
    check_measure_access,
    check_unit_access,
    evidence_for,
    measure_reports,
    unit_measures,
)
from tasks.reports.evidence import (
    MAX_FILES_PER_REPORT,
    EvidenceTooLarge,
    EvidenceTypeRefused,
    Upload,
    evidence_path,
    stage_evidence,
)
from tasks.reports.record import DuplicateReport, MetricInput, ReportInput
from tasks.reports.review import InvalidReview, ReviewAction, event_summary, measure_history, review_measure
from tasks.reports.tokens import Principal, describe_refused, verify_token

logger = logging.getLogger("zhenggai.api")

MAX_IDEMPOTENCY_KEY = 100


class Refusal(Exception):
    """A request refused with a status code and the field at fault."""

    def __init__(self, status: int, field: str, message: str, **extra: Any) -> None:
        self.status = status
        self.field = field
        self.message = message
        self.extra = extra
        super().__init__(f"{status} {field}: {message}")


class ApiMetric(BaseModel):
    """A figure as the API accepts it: at most 16 digits before the point and 4 after (the column's size)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    value: Annotated[Any, Field(description="A number: 40000, 3.5")]
    unit: str = ""


class AcceptBody(BaseModel):
    """销号: the closing note."""

    note: str = Field(description="Why the measure is closed (what was checked).")


class ReasonBody(BaseModel):
    """退回 or reopening: the reason."""

    reason: str = Field(description="Why the measure goes back to work.")


def _who(request: Request) -> str:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal.display
    return getattr(request.state, "caller", "no token")


def _refused(request: Request, status: int, field: str, message: str, **extra: Any) -> JSONResponse:
    logger.warning(
        "refused %s %s: %s %s: %s (%s)",
        request.method,
        request.url.path,
        status,
        field,
        message,
        _who(request),
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        status_code=status, content={"detail": {"field": field, "message": message, **extra}}, headers=headers
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The report API for the given (default: configured) settings."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Zhenggai 整改 report API",
        version="1",
        description=__doc__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    bearer = HTTPBearer(auto_error=False, description="A token from `zhenggai token issue`.")
    upload_limit = settings.evidence_max_bytes * MAX_FILES_PER_REPORT + 1024 * 1024

    def database() -> Database:
        return get_database(settings)

    def now() -> datetime:
        return utcnow()

    def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        db: Annotated[Database, Depends(database)],
    ) -> Principal:
        if credentials is None:
            request.state.caller = "no token"
            raise Refusal(401, "authorization", "send Authorization: Bearer <token>")
        with db.unit_of_work() as session:
            found = verify_token(session, credentials.credentials, now=now())
            session.commit()
            if found is None:
                request.state.caller = describe_refused(session, credentials.credentials)
        if found is None:
            raise Refusal(401, "authorization", "the token is unknown or revoked")
        request.state.principal = found
        return found

    Caller = Annotated[Principal, Depends(principal)]
    Db = Annotated[Database, Depends(database)]

    # -- errors ---------------------------------------------------------------------------------

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, error: Refusal) -> JSONResponse:
        return _refused(request, error.status, error.field, error.message, **error.extra)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> JSONResponse:
        return _refused(request, 403, error.field, error.message)

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
            _who(request),
        )
        detail = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in errors]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(ZhenggaiError)
    async def _domain(request: Request, error: ZhenggaiError) -> JSONResponse:
        if isinstance(error, EvidenceTooLarge):
            return _refused(request, 413, error.field, str(error).split(": ", 1)[-1])
        if isinstance(error, EvidenceTypeRefused):
            return _refused(request, 415, error.field, str(error).split(": ", 1)[-1])
        if isinstance(error, InvalidReport | InvalidReview):
            return _refused(request, 422, error.field, str(error).split(": ", 1)[-1])
        if isinstance(error, DuplicateReport):
            return _refused(
                request, 409, "Idempotency-Key", "this key was already used", report_id=error.report_id
            )
        if isinstance(error, InvalidTransition):
            return _refused(request, 409, "status", str(error))
        if isinstance(error, UnknownMeasure):
            return _refused(request, 404, "measure", str(error))
        if isinstance(error, UnknownUnit):
            return _refused(request, 404, "unit", str(error))
        if isinstance(error, CalendarNotPublished):
            return _refused(request, 503, "calendar", str(error))
        return _refused(request, 400, "", str(error))

    @app.middleware("http")
    async def _limit_upload(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > upload_limit:
            request.state.caller = "before authentication"
            return _refused(request, 413, "evidence", f"the request is larger than {upload_limit:,} bytes")
        return await call_next(request)

    # -- endpoints --------------------------------------------------------------------------------

    @app.get("/api/health", tags=["service"])
    def health() -> dict[str, str]:
        """Whether the API is up (no token needed)."""
        return {"status": "ok"}

    @app.get("/api/me", tags=["service"])
    def me(caller: Caller) -> dict[str, Any]:
        """What the presented token is: id, label, role and unit."""
        return {
            "token_id": caller.token_id,
            "label": caller.label,
            "role": caller.role.value,
            "unit": caller.unit_code,
        }

    @app.post("/api/reports", status_code=201, tags=["reports"])
    def post_report(
        caller: Caller,
        db: Db,
        measure: Annotated[str, Form(description="The measure's code, e.g. XH-08-1.")],
        text: Annotated[str, Form(description="What was done: the text the notice will quote.")] = "",
        claimed_status: Annotated[ReportStatus, Form(description="in_progress, or done (awaits 销号).")] = (
            ReportStatus.IN_PROGRESS
        ),
        period_start: Annotated[date | None, Form(description="First day covered (YYYY-MM-DD).")] = None,
        period_end: Annotated[date | None, Form(description="Last day covered; not in the future.")] = None,
        author: Annotated[str, Form(description="Who writes the report.")] = "",
        metrics: Annotated[
            str | None,
            Form(description='JSON list of figures: [{"name": "宣传信发放", "value": 40000, "unit": "份"}]'),
        ] = None,
        unit: Annotated[
            str | None, Form(description="Reporting unit (a co-unit); a unit token reports as its own unit.")
        ] = None,
        submitted_at: Annotated[
            datetime | None, Form(description="Coordinators only: when a paper report was received.")
        ] = None,
        supersedes: Annotated[int | None, Form(description="Id of the report this one corrects.")] = None,
        evidence: Annotated[
            list[UploadFile] | None, File(description="Evidence files (PDF, images, Office, text).")
        ] = None,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", description="Retrying with the same key stores once.")
        ] = None,
    ) -> dict[str, Any]:
        """Submit a progress report on a measure, with evidence files (multipart/form-data).

        A unit token reports on its own measures only; a coordinator may report on behalf of any unit.
        """
        if caller.role == TokenRole.LEADER:
            raise Refusal(403, "role", "a leader token may only read")
        if caller.role == TokenRole.UNIT:
            if unit is not None and unit != caller.unit_code:
                raise Refusal(403, "unit", f"a token of unit '{caller.unit_code}' reports as that unit only")
            if submitted_at is not None:
                raise Refusal(403, "submitted_at", "only a coordinator may set when a report was received")
            unit = caller.unit_code
        key = None
        if idempotency_key is not None:
            idempotency_key = idempotency_key.strip()
            if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
                raise Refusal(422, "Idempotency-Key", f"give 1 to {MAX_IDEMPOTENCY_KEY} characters")
            scope = caller.unit_code if caller.role == TokenRole.UNIT else caller.role.value
            key = f"api:{scope}:{idempotency_key}"
        with db.unit_of_work() as session:
            try:
                check_measure_access(session, caller, measure)
            except UnknownMeasure as error:
                raise Refusal(422, "measure", str(error)) from None
        parsed_metrics = _parse_metrics(metrics)
        try:
            data = ReportInput(
                measure=measure,
                unit=unit,
                text=text,
                claimed_status=claimed_status,
                period_start=period_start,
                period_end=period_end,
                author=author,
                metrics=parsed_metrics,
                submitted_at=submitted_at,
                idempotency_key=key,
                supersedes=supersedes,
                source="api",
            )
        except ValidationError as error:
            first = error.errors()[0]
            raise Refusal(422, ".".join(str(p) for p in first["loc"]), first["msg"]) from None
        uploads = [Upload(f.filename or "", f.file) for f in evidence or []]
        staged = stage_evidence(
            settings.evidence_dir,
            uploads,
            max_bytes=settings.evidence_max_bytes,
            allowed_types=settings.evidence_allowed_types,
        )
        try:
            return submit_report(db, data, actor=_actor(caller), clock=settings.clock(now()), staged=staged)
        except UnknownUnit as error:
            raise Refusal(422, "unit", str(error)) from None

    @app.get("/api/units/{unit}/measures", tags=["measures"])
    def get_unit_measures(unit: str, caller: Caller, db: Db) -> list[dict[str, Any]]:
        """What a unit owns (as lead or co-unit), with deadline, state, light and the last report."""
        clock = settings.clock(now())
        with db.unit_of_work() as session:
            check_unit_access(session, caller, unit)
            return unit_measures(session, unit, clock.on(clock.today))

    @app.get("/api/measures/{code}/reports", tags=["measures"])
    def get_measure_reports(code: str, caller: Caller, db: Db) -> list[dict[str, Any]]:
        """Every report on a measure, oldest first (corrections name what they supersede)."""
        with db.unit_of_work() as session:
            check_measure_access(session, caller, code)
            return measure_reports(session, code)

    @app.get("/api/measures/{code}/history", tags=["measures"])
    def get_measure_history(code: str, caller: Caller, db: Db) -> list[dict[str, Any]]:
        """The measure's status history: reports, status changes, reviews."""
        with db.unit_of_work() as session:
            check_measure_access(session, caller, code)
            return [event_summary(e) for e in measure_history(session, code)]

    def _review(
        code: str, action: ReviewAction, reason: str, caller: Principal, db: Database
    ) -> dict[str, Any]:
        if caller.role != TokenRole.COORDINATOR:
            raise Refusal(403, "role", f"only a coordinator may {action.value} a measure")
        with db.unit_of_work() as session:
            outcome = review_measure(session, code, action, reason=reason, actor=_actor(caller), now=now())
            session.commit()
        result = outcome.as_dict()
        if action in (ReviewAction.ACCEPT, ReviewAction.REOPEN):
            from flows.review import sync_after_review

            result["deployment"] = sync_after_review(db, settings, code)
        return result

    @app.post("/api/measures/{code}/accept", tags=["review"])
    def accept(code: str, body: AcceptBody, caller: Caller, db: Db) -> dict[str, Any]:
        """销号: accept the unit's done claim and close the measure, with a note (coordinators)."""
        return _review(code, ReviewAction.ACCEPT, body.note, caller, db)

    @app.post("/api/measures/{code}/return", tags=["review"])
    def send_back(code: str, body: ReasonBody, caller: Caller, db: Db) -> dict[str, Any]:
        """退回: refuse the done claim; the measure is in progress again (coordinators)."""
        return _review(code, ReviewAction.RETURN, body.reason, caller, db)

    @app.post("/api/measures/{code}/reopen", tags=["review"])
    def reopen(code: str, body: ReasonBody, caller: Caller, db: Db) -> dict[str, Any]:
        """Reopen a closed measure, with a reason (coordinators)."""
        return _review(code, ReviewAction.REOPEN, body.reason, caller, db)

    @app.get("/api/evidence/{sha256}", tags=["reports"], response_class=FileResponse)
    def get_evidence(sha256: str, caller: Caller, db: Db) -> FileResponse:
        """Download an evidence file by its hash (a unit: only files of its own measures' reports)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise Refusal(422, "sha256", "give the 64 lowercase hex digits of a SHA-256")
        with db.unit_of_work() as session:
            try:
                info = evidence_for(session, caller, sha256)
            except LookupError as error:
                raise Refusal(404, "sha256", str(error)) from None
        path = evidence_path(settings.evidence_dir, info.sha256)
        if not path.is_file():
            raise Refusal(404, "sha256", "the file is recorded but missing from the evidence store")
        return FileResponse(path, media_type=info.content_type, filename=info.filename)

    return app


def _actor(caller: Principal) -> str:
    return f"api {caller.display}"[:100]


def _parse_metrics(raw: str | None) -> list[MetricInput]:
    """The ``metrics`` form field: a JSON list of {name, value, unit}; values must be finite numbers."""
    from decimal import Decimal, InvalidOperation

    if raw is None or not raw.strip():
        return []
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as error:
        raise Refusal(422, "metrics", f"not JSON: {error.msg}") from None
    if not isinstance(items, list):
        raise Refusal(422, "metrics", "give a JSON list of {name, value, unit}")
    result = []
    for index, item in enumerate(items):
        where = f"metrics[{index}]"
        try:
            metric = ApiMetric.model_validate(item)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or ""
            raise Refusal(422, f"{where}.{field}".rstrip("."), first["msg"]) from None
        value = metric.value
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Refusal(422, f"{where}.value", f"{value!r} is not a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Refusal(422, f"{where}.value", f"{value!r} is not a number") from None
        if not number.is_finite():
            raise Refusal(422, f"{where}.value", f"{value!r} is not a finite number")
        if abs(number) >= Decimal(10) ** 16 or number != number.quantize(Decimal("0.0001")):
            raise Refusal(
                422, f"{where}.value", f"{value!r} needs at most 16 digits before the point and 4 after"
            )
        try:
            result.append(MetricInput(name=metric.name, value=number, unit=metric.unit))
        except ValidationError as error:
            first = error.errors()[0]
            raise Refusal(422, f"{where}.{first['loc'][0]}", first["msg"]) from None
    return result
