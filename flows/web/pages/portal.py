"""The units' portal: server-rendered Chinese pages at ``/`` (docs/portal.md lists every URL).

Sign in (a link, or a pasted token), 我的任务, a measure's page with the report form, 签收 and 延期申请,
a report's correction, evidence downloads, logout. Every action is a plain form post with a CSRF token,
answered by a redirect (post/redirect/get) or by the page again with the errors next to their fields;
no GET changes anything. The access rules are ``tasks.reports.access``'s, as for the API.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from flows.intake import submit_report
from flows.web.deps import Config, Db, Now
from flows.web.pages.files import evidence_file_response
from flows.web.pages.session import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    AnyoneSignedIn,
    CsrfRefused,
    DeskOnly,
    PortalOnly,
    SignedIn,
    SignInRequired,
    Visitor,
    check_form,
    cookie_options,
    page_context,
    posted_form,
    signin_secret,
)
from models.enums import ReportStatus
from models.errors import (
    DuplicateReport,
    EvidenceTooLarge,
    EvidenceTypeRefused,
    Forbidden,
    InvalidExtensionRequest,
    InvalidReport,
    UnknownMeasure,
)
from models.settings import Settings
from models.tables import utcnow
from tasks.reports.access import check_measure_access, may_use_desk, measure_reports
from tasks.reports.assignments import acknowledge, request_extension
from tasks.reports.evidence import (
    EXTENSION_TYPES,
    MAX_FILES_PER_REPORT,
    Upload,
    stage_evidence,
)
from tasks.reports.portal import measure_page, unit_home
from tasks.reports.record import MetricInput, ReportInput
from tasks.reports.signin import BadSignature, session_for_link, session_for_token, session_principal
from tasks.reports.tokens import Principal, refusal_reason, verify_token

router = APIRouter(include_in_schema=False)

METRIC_ROWS = 3
DONE_MESSAGES = {
    "report": "报告已提交。",
    "ack": "已签收。",
    "extension": "延期申请已提交，等待牵头部门审批。",
}


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(
    request: Request, visitor: Visitor | None, status: int, heading: str, message: str
) -> HTMLResponse:
    config: Settings = request.app.state.settings
    return _render(
        request,
        "error.html",
        page_context(request, config, visitor, heading=heading, message=message),
        status,
    )


def _not_ours(request: Request, visitor: Visitor, code: str) -> HTMLResponse:
    """The 404 page for a measure that is not the unit's own (or does not exist)."""
    return _error(request, visitor, 404, "没有找到这项任务", f"“{code}”不是本单位的整改措施。")


@contextmanager
def _own_measure(db: Db, visitor: Visitor, code: str) -> Iterator[tuple[Session, int]]:
    """A unit of work on one of the visitor's unit's measures, with the unit's id, committed at the end;
    ``Forbidden`` or ``UnknownMeasure`` when ``code`` is not the unit's."""
    with db.unit_of_work() as session:
        check_measure_access(session, visitor.principal, code)
        assert visitor.principal.unit_id is not None
        yield session, visitor.principal.unit_id
        session.commit()


def install_page_handlers(app: FastAPI) -> None:
    """Redirect to sign-in without a session; a refused form is a page, not JSON."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> Response:
        # A 督办单's page (the address messages to leaders and the office carry) is kept through the sign-in.
        path = request.url.path
        kept = f"?next={path}" if request.method == "GET" and _SHEET_PAGE.match(path) else ""
        response = RedirectResponse(f"/signin{kept}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(DeskOnly)
    async def _desk_only(request: Request, error: DeskOnly) -> Response:
        return RedirectResponse("/desk", status_code=303)

    @app.exception_handler(PortalOnly)
    async def _portal_only(request: Request, error: PortalOnly) -> Response:
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, error: CsrfRefused) -> Response:
        return _error(request, None, 403, "页面已过期", "页面已过期或来自其他网站，请返回刷新后重新提交。")


# -- sign-in ---------------------------------------------------------------------------------------


def _signin_page(
    request: Request,
    config: Settings,
    *,
    status: int = 200,
    error: str = "",
    field_error: str = "",
    message: str = "",
    next_path: str = "",
) -> HTMLResponse:
    secret, new = signin_secret(request)
    response = _render(
        request,
        "signin.html",
        page_context(request, config, None, error=error, field_error=field_error, message=message)
        | {"csrf": secret, "next": next_path if _SHEET_PAGE.match(next_path) else ""},
        status,
    )
    if new:
        response.set_cookie(SIGNIN_COOKIE, secret, max_age=3600, **cookie_options(config))
    return response


_NEXT = re.compile(r"^/(m/[A-Za-z0-9._\-]{1,64}|duban/\d{4}-\d{1,9}|desk(/[A-Za-z0-9._\-/]{0,100})?)$")
_SHEET_PAGE = re.compile(r"^/duban/\d{4}-\d{1,9}$")  # read by the unit it addresses and by the desk


def _landing(principal: Principal | None, next_path: str) -> str:
    """Where a sign-in goes: ``next_path`` when the principal's pages include it (the desk's, or a unit's, and
    a 督办单's page for both), else the desk or 我的任务."""
    desk = principal is not None and may_use_desk(principal)
    if not _NEXT.match(next_path):
        return "/desk" if desk else "/"
    if desk and not (next_path.startswith("/desk") or _SHEET_PAGE.match(next_path)):
        return "/desk"
    if not desk and next_path.startswith("/desk"):
        return "/"
    return next_path


def _signed_in_response(
    config: Settings, value: str, expires_in: float, next_path: str = "/"
) -> RedirectResponse:
    """Signed in: the session cookie, and on to ``next_path`` (a measure's page) or 我的任务."""
    response = RedirectResponse(next_path if _NEXT.match(next_path) else "/", status_code=303)
    response.set_cookie(SESSION_COOKIE, value, max_age=max(1, int(expires_in)), **cookie_options(config))
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, config: Config, out: int = 0, next: str = "") -> HTMLResponse:
    """The sign-in page: open the link from the message, or paste the unit's token (then on to ``next``)."""
    return _signin_page(request, config, message="已退出登录。" if out else "", next_path=next)


@router.post("/signin", response_model=None)
async def signin_with_token(request: Request, config: Config, db: Db) -> Response:
    """Sign in with a pasted unit token."""
    form = await request.form()
    given, expected = str(form.get("csrf") or ""), request.cookies.get(SIGNIN_COOKIE) or ""
    if (
        request.headers.get("sec-fetch-site") == "cross-site"
        or not expected
        or not secrets.compare_digest(given, expected)
    ):
        raise CsrfRefused
    secret = str(form.get("token") or "").strip()
    next_path = str(form.get("next") or "")
    if not secret:
        return _signin_page(request, config, status=422, field_error="请粘贴单位令牌", next_path=next_path)
    now = utcnow()
    with db.unit_of_work() as session:
        principal = verify_token(session, secret, now=now)
        reason = "" if principal else refusal_reason(session, secret, now=now)
        if principal is None:
            session.commit()
            return _signin_page(
                request, config, status=401, field_error=_token_problem(reason), next_path=next_path
            )
        value, expires_at = session_for_token(session, config, principal.token_id, now=now)
        session.commit()
    return _signed_in_response(
        config, value, (expires_at - now).total_seconds(), _landing(principal, next_path)
    )


def _token_problem(reason: str) -> str:
    if "revoked" in reason:
        return "令牌已被收回，请向牵头部门索取新的登录链接"
    if "expired" in reason:
        return "令牌已过期，请向牵头部门索取新的登录链接"
    return "令牌无效，请核对后重新粘贴"


@router.get("/signin/{value}", response_model=None)
def signin_with_link(value: str, request: Request, config: Config, db: Db, next: str = "/") -> Response:
    """A sign-in link: signs in and goes to 我的任务, or to the measure page a message named (``?next=/m/CODE``);
    usable again until it expires or its token is revoked."""
    now = utcnow()
    try:
        with db.unit_of_work() as session:
            cookie, expires_at = session_for_link(session, config, value, now=now)
            principal = session_principal(session, cookie, now=now)
            session.commit()
    except BadSignature as problem:
        return _signin_page(request, config, status=401, error=str(problem))
    return _signed_in_response(config, cookie, (expires_at - now).total_seconds(), _landing(principal, next))


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, config: Config, visitor: AnyoneSignedIn) -> HTMLResponse:
    """Asks to confirm (a GET changes nothing)."""
    return _render(request, "logout.html", page_context(request, config, visitor))


@router.post("/logout", response_model=None)
async def logout(request: Request, db: Db, visitor: AnyoneSignedIn) -> Response:
    """Ends the session in this browser."""
    await posted_form(request, db, visitor)
    response = RedirectResponse("/signin?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- 我的任务 and the measure page --------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, config: Config, db: Db, now: Now, visitor: SignedIn) -> HTMLResponse:
    """我的任务: the unit's measures, most urgent first."""
    with db.unit_of_work() as session:
        items = unit_home(session, visitor.principal, now)
    unsigned = sum(1 for i in items if not i.acknowledged and i.view.status.value != "closed")
    context = page_context(request, config, visitor, items=items, today=now.today, unsigned=unsigned)
    return _render(request, "home.html", context)


def _accept(config: Settings) -> str:
    allowed = set(config.evidence_allowed_types)
    extensions = sorted(ext for ext, kind in EXTENSION_TYPES.items() if kind in allowed)
    return ",".join(["image/*", *extensions])


def _blank_form() -> dict[str, Any]:
    return {
        "text": "",
        "claimed_status": "in_progress",
        "metrics": [{"name": "", "value": "", "unit": ""}] * METRIC_ROWS,
    }


def _measure_response(
    request: Request,
    config: Settings,
    db: Db,
    now: Now,
    visitor: Visitor,
    code: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    ext: dict[str, str] | None = None,
    correcting: dict[str, Any] | None = None,
    done: str = "",
    form_key: str | None = None,
) -> HTMLResponse:
    try:
        with db.unit_of_work() as session:
            page = measure_page(session, visitor.principal, code, now)
    except (Forbidden, UnknownMeasure):
        return _not_ours(request, visitor, code)
    view = page.item.view
    left = view.workdays_left
    if view.deadline is None or left is None:
        left_text = ""
    elif left < 0:
        left_text = f"已逾期{-left}个工作日"
    elif view.deadline == now.today:
        left_text = "今日到期"
    else:
        left_text = f"还剩{left}个工作日"
    context = page_context(
        request,
        config,
        visitor,
        page=page,
        v=view,
        left_text=left_text,
        errors=errors or {},
        form=form or _blank_form(),
        ext=ext or {"requested": "", "reason": ""},
        correcting=correcting,
        done=done,
        form_key=form_key or uuid.uuid4().hex,
        max_mb=config.evidence_max_bytes // (1024 * 1024),
        max_files=MAX_FILES_PER_REPORT,
        accept=_accept(config),
    )
    return _render(request, "measure.html", context, status)


@router.get("/m/{code}", response_class=HTMLResponse)
def measure(
    request: Request, code: str, config: Config, db: Db, now: Now, visitor: SignedIn, done: str = ""
) -> HTMLResponse:
    """A measure's page: its facts, the report form, 签收, 延期申请 and the timeline."""
    return _measure_response(request, config, db, now, visitor, code, done=DONE_MESSAGES.get(done, ""))


@router.get("/m/{code}/correct/{report_id}", response_class=HTMLResponse)
def correct(
    request: Request, code: str, report_id: int, config: Config, db: Db, now: Now, visitor: SignedIn
) -> HTMLResponse:
    """The report form filled with one of the unit's own reports, to correct it."""
    try:
        with db.unit_of_work() as session:
            check_measure_access(session, visitor.principal, code)
            reports = {r["id"]: r for r in measure_reports(session, code)}
    except (Forbidden, UnknownMeasure):
        return _not_ours(request, visitor, code)
    report = reports.get(report_id)
    if report is None or report["unit"] != visitor.principal.unit_code or report["superseded_by"] is not None:
        return _error(request, visitor, 404, "不能更正这份报告", "只能更正本单位尚未更正过的报告。")
    metrics = [dict(m) for m in report["metrics"]]
    metrics += [{"name": "", "value": "", "unit": ""}] * max(0, METRIC_ROWS - len(metrics))
    form = {"text": report["text"], "claimed_status": report["claimed_status"], "metrics": metrics}
    return _measure_response(request, config, db, now, visitor, code, form=form, correcting=report)


# -- the report form --------------------------------------------------------------------------------

_QUOTED = re.compile(r"'([^']*)'")


def chinese_error(error: InvalidReport, config: Settings) -> tuple[str, str]:
    """A refused report's field and its message in Chinese, for the form."""
    message = str(error)
    quoted = _QUOTED.search(message)
    name = quoted.group(1) if quoted else ""
    if isinstance(error, EvidenceTooLarge):
        return (
            "evidence",
            f"文件“{name}”超过{config.evidence_max_bytes // (1024 * 1024)}MB的上限，请压缩后再传",
        )
    if isinstance(error, EvidenceTypeRefused):
        if "does not hold" in message or "not UTF-8" in message or "not text" in message:
            return "evidence", f"文件“{name}”的内容与扩展名不符，请重新选择"
        return "evidence", f"文件“{name}”的类型不能上传：请上传照片、PDF、Word/Excel/WPS或OFD文件"
    if error.field == "text":
        return "text", "请填写进展情况"
    if error.field == "evidence":
        if "empty" in message:
            return "evidence", f"文件“{name}”是空的，请重新选择"
        return "evidence", f"文件“{name}”的名称不能使用，请改名后再传"
    if error.field == "period":
        return "period", "报送期间尚未开始，不能报送"
    if error.field == "supersedes":
        return "form", "这份报告已经更正过，或不是本单位的报告"
    return "form", "报告未能提交，请检查后重试"


def _metrics(form: Any) -> tuple[list[dict[str, str]], list[MetricInput], str]:
    names, values, units = (form.getlist(k) for k in ("metric_name", "metric_value", "metric_unit"))
    rows, metrics, error = [], [], ""
    for index in range(max(len(names), len(values), len(units))):
        name = str(names[index] if index < len(names) else "").strip()
        value = str(values[index] if index < len(values) else "").strip()
        unit = str(units[index] if index < len(units) else "").strip()
        rows.append({"name": name, "value": value, "unit": unit})
        if not name and not value:
            continue
        if not name:
            error = error or f"第{index + 1}行数据缺少名称"
            continue
        try:
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
            metrics.append(MetricInput(name=name, value=number, unit=unit))
        except (InvalidOperation, ValidationError):
            error = error or f"“{name}”的数量须是数字"
    rows += [{"name": "", "value": "", "unit": ""}] * max(0, METRIC_ROWS - len(rows))
    return rows, metrics, error


@router.post("/m/{code}/report", response_model=None)
async def post_report(
    request: Request, code: str, config: Config, db: Db, now: Now, visitor: SignedIn
) -> Response:
    """One multipart post: the text, whether done, figures and evidence files; recorded once per form."""
    try:
        form = await request.form(max_files=MAX_FILES_PER_REPORT + 1, max_fields=200)
    except StarletteHTTPException:
        # Starlette stops reading past the file limit with a bare 400: answer with the form and the
        # field at fault instead (nothing was recorded; the CSRF check needs the form it could not read).
        too_many = {"evidence": f"一次最多上传{MAX_FILES_PER_REPORT}个文件"}
        return _measure_response(request, config, db, now, visitor, code, status=413, errors=too_many)
    check_form(request, db, visitor, str(form.get("csrf") or ""))
    text = str(form.get("text") or "")
    status = str(form.get("claimed_status") or "in_progress")
    form_key = str(form.get("form_key") or "")[:64] or None
    supersedes_raw = str(form.get("supersedes") or "")
    rows, metrics, metric_error = _metrics(form)
    shown = {"text": text, "claimed_status": status, "metrics": rows}
    files = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and (f.filename or f.size)]
    correcting = None
    if supersedes_raw.isdigit():
        with db.unit_of_work() as session:
            correcting = next(
                (r for r in measure_reports(session, code) if r["id"] == int(supersedes_raw)), None
            )

    def again(errors: dict[str, str], status_code: int = 422) -> HTMLResponse:
        return _measure_response(
            request,
            config,
            db,
            now,
            visitor,
            code,
            status=status_code,
            errors=errors,
            form=shown,
            correcting=correcting,
            form_key=form_key,
        )

    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = "请填写进展情况"
    if metric_error:
        errors["metrics"] = metric_error
    if len(files) > MAX_FILES_PER_REPORT:
        errors["evidence"] = f"一次最多上传{MAX_FILES_PER_REPORT}个文件"
    if errors:
        return again(errors)
    try:
        data = ReportInput(
            measure=code,
            unit=visitor.principal.unit_code,
            text=text,
            claimed_status=ReportStatus.DONE if status == "done" else ReportStatus.IN_PROGRESS,
            metrics=metrics,
            idempotency_key=f"portal:{visitor.principal.unit_code}:{form_key}" if form_key else None,
            supersedes=int(supersedes_raw) if supersedes_raw.isdigit() else None,
            source="portal",
        )
    except ValidationError:
        return again({"form": "报告未能提交，请检查后重试"})
    try:
        with db.unit_of_work() as session:
            check_measure_access(session, visitor.principal, code)
        staged = stage_evidence(
            config.evidence_dir,
            [Upload(f.filename or "", f.file) for f in files],
            max_bytes=config.evidence_max_bytes,
            allowed_types=config.evidence_allowed_types,
        )
        submit_report(db, data, actor=f"portal {visitor.principal.display}"[:100], clock=now, staged=staged)
    except (Forbidden, UnknownMeasure):
        return _not_ours(request, visitor, code)
    except DuplicateReport:
        pass  # a double tap: the first post recorded it
    except InvalidReport as error:
        field, message = chinese_error(error, config)
        return again({field: message})
    return RedirectResponse(f"/m/{code}?done=report#timeline", status_code=303)


# -- 签收 and 延期申请 --------------------------------------------------------------------------------


@router.post("/m/{code}/ack", response_model=None)
async def post_ack(request: Request, code: str, db: Db, now: Now, visitor: SignedIn) -> Response:
    """签收 the current assignment (signing twice records once)."""
    await posted_form(request, db, visitor)
    try:
        with _own_measure(db, visitor, code) as (session, unit_id):
            acknowledge(
                session,
                code,
                unit_id=unit_id,
                token_id=visitor.principal.token_id,
                actor=f"portal {visitor.principal.display}",
                now=now.now,
            )
    except (Forbidden, UnknownMeasure):
        return _not_ours(request, visitor, code)
    return RedirectResponse(f"/m/{code}?done=ack", status_code=303)


@router.post("/m/{code}/extension", response_model=None)
async def post_extension(
    request: Request, code: str, config: Config, db: Db, now: Now, visitor: SignedIn
) -> Response:
    """延期申请: a later date and a reason; pending until a coordinator decides."""
    form = await posted_form(request, db, visitor)
    raw, reason = str(form.get("requested") or "").strip(), str(form.get("reason") or "")
    form_key = str(form.get("form_key") or "")[:64] or None
    shown = {"requested": raw, "reason": reason}

    def again(errors: dict[str, str], key: str | None = None) -> HTMLResponse:
        return _measure_response(
            request, config, db, now, visitor, code, status=422, errors=errors, ext=shown, form_key=key
        )

    requested: date | None = None
    if raw:
        try:
            requested = date.fromisoformat(raw)
        except ValueError:
            return again({"deadline": "请选择有效的日期"})
    try:
        with _own_measure(db, visitor, code) as (session, unit_id):
            request_extension(
                session,
                code,
                unit_id=unit_id,
                requested=requested,
                reason=reason,
                token_id=visitor.principal.token_id,
                actor=f"portal {visitor.principal.display}",
                now=now.now,
                idempotency_key=f"portal:{visitor.principal.unit_code}:{form_key}" if form_key else None,
            )
    except (Forbidden, UnknownMeasure):
        return _not_ours(request, visitor, code)
    except InvalidExtensionRequest as error:
        return again({error.field: error.message}, key=form_key)
    return RedirectResponse(f"/m/{code}?done=extension#extension", status_code=303)


# -- evidence --------------------------------------------------------------------------------------


@router.get("/files/{sha256}", response_model=None)
def evidence_file(request: Request, sha256: str, config: Config, db: Db, visitor: SignedIn) -> Response:
    """An evidence file of one of the unit's measures."""
    return evidence_file_response(
        request,
        config,
        db,
        visitor,
        sha256,
        error=_error,
        unknown="没有这个文件，或它不属于本单位的任务。",
        missing="文件已登记，但存储中缺失，请联系牵头部门。",
    )


# -- the unit's own score ---------------------------------------------------------------------------


@router.get("/score", response_class=HTMLResponse)
def score(
    request: Request, config: Config, db: Db, now: Now, visitor: SignedIn, period: str = ""
) -> HTMLResponse:
    """本单位考核得分: the unit's score of a period (default the last closed week), line by line."""
    from models.assessment import PeriodKind, last_closed, parse_period
    from models.assessment_formula import RULE_LABEL
    from models.errors import ZhenggaiError
    from tasks.assessment.views import unit_score_view
    from tasks.ledger.queries import only_round

    view, problem = None, ""
    try:
        chosen = parse_period(period) if period else last_closed(now.today, PeriodKind.WEEK)
        with db.unit_of_work() as session:
            assert visitor.principal.unit_code is not None
            view = unit_score_view(
                session, only_round(session, None), visitor.principal.unit_code, chosen, now
            )
    except ZhenggaiError:
        problem = (
            "这一期还没有本单位的考核得分。" if not period else "请按 2026-W48 或 2026-11 的格式填写期间。"
        )
    context = page_context(
        request, config, visitor, view=view, problem=problem, period=period, rule_label=RULE_LABEL
    )
    return _render(request, "score.html", context)
