"""Progress reports: a unit (or a coordinator on its behalf) submits one, with evidence files."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, UploadFile
from pydantic import ValidationError

from flows.intake import submit_report
from flows.web.deps import Caller, Config, Db, Now, actor
from flows.web.errors import Refusal
from flows.web.schemas import ApiMetric, SubmittedReport
from models.enums import ReportStatus
from models.errors import UnknownMeasure, UnknownUnit
from models.text import METRICS_JSON_MAX
from tasks.reports.access import idempotency_scope, report_target
from tasks.reports.evidence import Upload, stage_evidence
from tasks.reports.record import MetricInput, ReportInput, clean_report

router = APIRouter(tags=["reports"])

MAX_IDEMPOTENCY_KEY = 100


@router.post("/reports", status_code=201, response_model=SubmittedReport)
def post_report(
    caller: Caller,
    db: Db,
    config: Config,
    now: Now,
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
) -> SubmittedReport:
    """Submit a progress report on a measure, with evidence files (multipart/form-data).

    A unit token reports on its own measures only; a coordinator may report on behalf of any unit.
    """
    key = None
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise Refusal(422, "Idempotency-Key", f"give 1 to {MAX_IDEMPOTENCY_KEY} characters")
        key = f"api:{idempotency_scope(caller)}:{idempotency_key}"
    try:
        data = ReportInput(
            measure=measure,
            unit=unit,
            text=text,
            claimed_status=claimed_status,
            period_start=period_start,
            period_end=period_end,
            author=author,
            metrics=parse_metrics(metrics),
            submitted_at=submitted_at,
            idempotency_key=key,
            supersedes=supersedes,
            source="api",
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise Refusal(422, ".".join(str(p) for p in first["loc"]), first["msg"]) from None
    data = clean_report(data)  # every text normalised and within its limit before anything is looked up
    with db.unit_of_work() as session:
        try:
            target = report_target(session, caller, data.measure, data.unit, submitted_at=submitted_at)
        except UnknownMeasure as error:
            raise Refusal(422, "measure", str(error)) from None
    data = data.model_copy(update={"unit": target})
    staged = stage_evidence(
        config.evidence_dir,
        [Upload(f.filename or "", f.file) for f in evidence or []],
        max_bytes=config.evidence_max_bytes,
        allowed_types=config.evidence_allowed_types,
    )
    try:
        summary = submit_report(db, data, actor=actor(caller), clock=now, staged=staged)
    except UnknownUnit as error:
        raise Refusal(422, "unit", str(error)) from None
    return SubmittedReport.model_validate(summary)


def parse_metrics(raw: str | None) -> list[MetricInput]:
    """The ``metrics`` form field: a JSON list of {name, value, unit}; values must be finite numbers."""
    if raw is None or not raw.strip():
        return []
    if len(raw) > METRICS_JSON_MAX:
        raise Refusal(422, "metrics", f"{len(raw):,} characters; at most {METRICS_JSON_MAX:,}")
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as error:
        raise Refusal(422, "metrics", f"not JSON: {error.msg}") from None
    except RecursionError:
        raise Refusal(422, "metrics", "nested too deep: give a flat list of {name, value, unit}") from None
    if not isinstance(items, list):
        raise Refusal(422, "metrics", "give a JSON list of {name, value, unit}")
    return [_metric(index, item) for index, item in enumerate(items)]


def _metric(index: int, item: object) -> MetricInput:
    where = f"metrics[{index}]"
    try:
        metric = ApiMetric.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or ""
        raise Refusal(422, f"{where}.{field}".rstrip("."), first["msg"]) from None
    number = _number(metric.value, f"{where}.value")
    try:
        return MetricInput(name=metric.name, value=number, unit=metric.unit)
    except ValidationError as error:
        first = error.errors()[0]
        raise Refusal(422, f"{where}.{first['loc'][0]}", first["msg"]) from None


def _number(value: object, field: str) -> Decimal:
    """A figure's value: a finite number the column holds (16 digits before the point, 4 after)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refusal(422, field, f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Refusal(422, field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise Refusal(422, field, f"{value!r} is not a finite number")
    try:  # adjusted() is the exponent of the leading digit: safe where abs() overflows (1e999999999)
        fits = number.is_zero() or (number.adjusted() < 16 and number == number.quantize(Decimal("0.0001")))
    except ArithmeticError:  # decimal.InvalidOperation, Overflow
        fits = False
    if not fits:
        raise Refusal(422, field, f"{value!r} needs at most 16 digits before the point and 4 after")
    return number
