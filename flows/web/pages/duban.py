"""督办单 pages: a sheet's page at ``/duban/<year>-<serial>`` (its text, its Word and PDF files, the unit's 签收
and reply: a written text or a report that answers it) and the desk's list of every sheet with its answers.

The unit that owns the measure and coordinators and leaders read a sheet (the access rules of
``tasks.reports.duban``, which are the measure's); only the unit signs and replies, by plain form posts with
the session's CSRF token. No GET changes anything.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from flows.web.deps import Config, Db, Now
from flows.web.pages.session import AnyoneSignedIn, DeskSignedIn, SignedIn, Visitor, page_context, posted_form
from models.duban import REPLY_MAX, sheet_text
from models.errors import Forbidden, InvalidDubanReply, UnknownDubanSheet, UnknownMeasure
from models.rules import format_chinese_date
from models.settings import Settings
from tasks.reports.access import may_use_desk
from tasks.reports.duban import acknowledge_sheet, all_sheets, reply_to_sheet, sheet_file, sheet_page

router = APIRouter(include_in_schema=False)
NOT_FOUND = (Forbidden, UnknownDubanSheet, UnknownMeasure)
DONE = {"ack": "已签收督办单。", "reply": "回复已提交。"}
_REF = re.compile(r"^\d{4}-\d{1,9}$")


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found(request: Request, config: Settings, visitor: Visitor) -> HTMLResponse:
    context = page_context(
        request,
        config,
        visitor,
        heading="没有找到这份督办单",
        message="督办单编号有误，或它不是发给本单位的。",
    )
    return _render(request, "error.html", context, 404)


def _sheet_response(
    request: Request,
    config: Settings,
    db: Db,
    visitor: Visitor,
    ref: str,
    *,
    status: int = 200,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    if not _REF.match(ref):
        return _not_found(request, config, visitor)
    try:
        with db.unit_of_work() as session:
            page = sheet_page(session, visitor.principal, ref)
    except NOT_FOUND:
        return _not_found(request, config, visitor)
    facts = page.standing.facts
    context = page_context(
        request,
        config,
        visitor,
        page=page,
        s=page.standing,
        paragraphs=sheet_text(facts),
        issued=format_chinese_date(facts.issued_on),
        unit_view=not may_use_desk(visitor.principal),
        done=done,
        errors=errors or {},
        form=form or {"text": "", "report": ""},
        reply_max=REPLY_MAX,
        form_key=uuid.uuid4().hex,
    )
    return _render(request, "duban.html", context, status)


@router.get("/duban/{ref}", response_class=HTMLResponse)
def sheet(
    request: Request, ref: str, config: Config, db: Db, visitor: AnyoneSignedIn, done: str = ""
) -> HTMLResponse:
    """A 督办单: its text, its files, its 签收 and replies (the unit signs and replies here)."""
    return _sheet_response(request, config, db, visitor, ref, done=DONE.get(done, ""))


@router.get("/duban/{ref}/{fmt}", response_model=None)
def sheet_download(
    request: Request, ref: str, fmt: str, config: Config, db: Db, visitor: AnyoneSignedIn
) -> Response:
    """The sheet's stored Word (``docx``) or PDF (``pdf``) file."""
    if not _REF.match(ref):
        return _not_found(request, config, visitor)
    try:
        with db.unit_of_work() as session:
            path, media_type, name = sheet_file(session, visitor.principal, ref, fmt)
    except (*NOT_FOUND, LookupError):
        return _not_found(request, config, visitor)
    file = config.data_dir / path
    if not file.is_file():
        return _not_found(request, config, visitor)
    return FileResponse(file, media_type=media_type, filename=name)


@router.post("/duban/{ref}/ack", response_model=None)
async def post_sheet_ack(
    request: Request, ref: str, config: Config, db: Db, now: Now, visitor: SignedIn
) -> Response:
    """签收 the sheet (signing twice records once)."""
    await posted_form(request, db, visitor)
    try:
        with db.unit_of_work() as session:
            acknowledge_sheet(
                session, visitor.principal, ref, actor=f"portal {visitor.principal.display}", now=now.now
            )
            session.commit()
    except NOT_FOUND:
        return _not_found(request, config, visitor)
    return RedirectResponse(f"/duban/{ref}?done=ack", status_code=303)


@router.post("/duban/{ref}/reply", response_model=None)
async def post_sheet_reply(
    request: Request, ref: str, config: Config, db: Db, now: Now, visitor: SignedIn
) -> Response:
    """The unit's reply: a written text, or a report that answers the sheet."""
    form = await posted_form(request, db, visitor)
    text, raw_report = str(form.get("text") or ""), str(form.get("report") or "").strip()
    form_key = str(form.get("form_key") or "")[:64] or None
    try:
        with db.unit_of_work() as session:
            reply_to_sheet(
                session,
                visitor.principal,
                ref,
                text=text,
                report_id=int(raw_report) if raw_report.isdigit() else None,
                actor=f"portal {visitor.principal.display}",
                now=now.now,
                idempotency_key=f"duban:{visitor.principal.unit_code}:{form_key}" if form_key else None,
            )
            session.commit()
    except NOT_FOUND:
        return _not_found(request, config, visitor)
    except InvalidDubanReply as error:
        shown = {"text": text, "report": raw_report}
        return _sheet_response(
            request, config, db, visitor, ref, status=422, errors={error.field: error.message}, form=shown
        )
    return RedirectResponse(f"/duban/{ref}?done=reply#answers", status_code=303)


@router.get("/desk/duban", response_class=HTMLResponse)
def desk_sheets(request: Request, config: Config, db: Db, visitor: DeskSignedIn) -> HTMLResponse:
    """督办单: every sheet, newest first, with its unit's 签收 and replies."""
    with db.unit_of_work() as session:
        sheets = all_sheets(session)
    return _render(request, "desk/duban.html", page_context(request, config, visitor, sheets=sheets))
