"""The notice in the desk (docs/desk.md, "通报"): the preview of a round's notice as of a date, its recorded
versions with downloads and a comparison of two, and the editorial path in the browser: the drafts, a
draft's paragraphs with their sources, the coordinator's edits and holds, the leader's sign-off and the
publication.

Every action goes through what the CLI uses (``tasks.notice.drafts``, and the recipes of
``flows.notice_editorial``: a decision resumes the waiting ``draft_notice`` run the same way), with the
actor ``desk <token label>``; every write checks ``tasks.reports.access.check_desk_action`` first
(``notice_edit`` and ``notice_publish`` for coordinators, ``notice_sign_off`` the one leader action).
A refused step is the draft's page again with the reason on it and a 4xx; nothing is changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from flows.notice_editorial import available_formats, publish_draft, take_sign_off
from flows.web.deps import Config, Db, Now
from flows.web.pages.desk_responses import error_page, refusal_page, render
from flows.web.pages.session import DeskSignedIn, Visitor, page_context, posted_form
from models.clock import Clock
from models.enums import DraftDecision, DraftStatus
from models.errors import (
    DraftLocked,
    DuplicateNoticeNumber,
    InvalidDraftEdit,
    NoticeFileGone,
    UnknownDraft,
    UnknownNoticeVersion,
    UnknownRound,
    ZhenggaiError,
)
from models.notice_diff import notice_diff
from models.settings import Settings
from tasks.reports.access import may_take

router = APIRouter(include_in_schema=False)

STATUS_LABEL = {
    DraftStatus.DRAFTING: "待签发",
    DraftStatus.RETURNED: "已退回",
    DraftStatus.APPROVED: "已批准",
    DraftStatus.PUBLISHED: "已发布",
}
FORMAT_LABEL = {"docx": "Word", "pdf": "PDF", "md": "Markdown", "html": "网页", "txt": "纯文本"}
DONE = {
    "draft": "已生成草稿",
    "edit": "已保存修改，草稿待重新签发",
    "unchanged": "文字没有变化，未保存",
    "hold": "已标记该进展不予公开，下一份草稿将不再引用",
    "approve": "已批准（审核签发）",
    "return": "已退回",
    "publish": "已发布",
}
REFUSED = "领导账号只能查看通报和签发（批准或退回草稿），不能起草、修改或发布。"


def _actor(visitor: Visitor) -> str:
    return f"desk {visitor.principal.display}"[:100]


def _context(request: Request, config: Settings, visitor: Visitor, **values: Any) -> dict[str, Any]:
    principal = visitor.principal
    return page_context(
        request,
        config,
        visitor,
        may_edit=may_take(principal, "notice_edit"),
        may_sign=may_take(principal, "notice_sign_off"),
        may_publish=may_take(principal, "notice_publish"),
        status_label=STATUS_LABEL,
        format_label=FORMAT_LABEL,
        **values,
    )


def _day(value: str, today: date) -> date:
    """A ``YYYY-MM-DD`` parameter (empty: today); a bad one raises ``ValueError``."""
    return date.fromisoformat(value.strip()) if value.strip() else today


# -- preview, versions, drafts: one page --------------------------------------------------------------


@router.get("/desk/notice", response_class=HTMLResponse)
def notice_page(
    request: Request,
    config: Config,
    db: Db,
    now: Now,
    visitor: DeskSignedIn,
    round: str = "",
    as_of: str = "",
) -> HTMLResponse:
    """The round's notice as of a date (the HTML form, in a frame), the measures it marks 【待报送】, the
    recorded versions with their downloads, and the drafts."""
    from tasks.ledger.queries import only_round
    from tasks.notice.drafts import list_drafts
    from tasks.notice.load import load_notice_document
    from tasks.notice.versions import list_versions

    try:
        day = _day(as_of, now.today)
    except ValueError:
        return error_page(
            request, visitor, 422, "日期有误", f"“{as_of[:40]}”不是日期，请按 2023-12-31 的格式填写。"
        )
    try:
        with db.unit_of_work() as session:
            code = only_round(session, round.strip()[:64] or None)
            document = load_notice_document(session, code, now.on(day))
            versions = list_versions(session, code)
            drafts = list_drafts(session, code)
    except UnknownRound as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    context = _context(
        request,
        config,
        visitor,
        round_code=code,
        day=day,
        document=document,
        preview=f"/desk/notice/preview.html?{urlencode({'round': code, 'as_of': day.isoformat()})}",
        versions=versions,
        drafts=drafts,
        today=now.today,
    )
    return render(request, "desk/notice.html", context)


@router.get("/desk/notice/preview.html", response_class=HTMLResponse)
def notice_preview(
    request: Request, db: Db, now: Now, visitor: DeskSignedIn, round: str = "", as_of: str = ""
) -> HTMLResponse:
    """The notice as of the date in its HTML form (the page the frame shows; nothing is recorded)."""
    from tasks.ledger.queries import only_round
    from tasks.notice.load import load_notice_document
    from tasks.notice.render import render_notice

    try:
        day = _day(as_of, now.today)
        with db.unit_of_work() as session:
            document = load_notice_document(
                session, only_round(session, round.strip()[:64] or None), now.on(day)
            )
    except ValueError:
        return error_page(request, visitor, 422, "日期有误", "请按 2023-12-31 的格式填写日期。")
    except UnknownRound as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    return HTMLResponse(str(render_notice(document, "html")), headers={"Cache-Control": "no-store"})


@router.get("/desk/notice/r/{round_code}/v{version}.{fmt}", response_model=None)
def version_download(
    request: Request, round_code: str, version: int, fmt: str, db: Db, visitor: DeskSignedIn
) -> Response:
    """A recorded version's file (DOCX, PDF, Markdown…), while it still holds the recorded bytes."""
    from tasks.notice.versions import MEDIA_TYPES, version_file

    if fmt not in MEDIA_TYPES:
        return error_page(
            request, visitor, 404, "没有这个格式", "通报的格式只有 docx、pdf、md、html 和 txt。"
        )
    try:
        with db.unit_of_work() as session:
            data = version_file(session, round_code, version, fmt)
    except (UnknownRound, UnknownNoticeVersion) as error:
        return error_page(request, visitor, 404, "没有这个版本", str(error))
    except NoticeFileGone as error:
        return error_page(
            request, visitor, 410, "文件已不在", f"该版本的文件已被删除或被后来的版本覆盖（{error}）。"
        )
    name = f"{round_code}_v{version}.{fmt}"
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/desk/notice/diff", response_class=HTMLResponse)
def version_diff(
    request: Request,
    config: Config,
    db: Db,
    visitor: DeskSignedIn,
    round: str = "",
    a: int = 0,
    b: int = 0,
) -> HTMLResponse:
    """Two versions compared sentence by sentence, the differing characters marked."""
    from tasks.ledger.queries import only_round
    from tasks.notice.versions import version_text

    try:
        with db.unit_of_work() as session:
            code = only_round(session, round.strip()[:64] or None)
            before, after = version_text(session, code, a), version_text(session, code, b)
    except (UnknownRound, UnknownNoticeVersion) as error:
        return error_page(request, visitor, 404, "无法比较", f"请选择两个已记录的版本（{error}）。")
    except NoticeFileGone as error:
        return error_page(request, visitor, 410, "无法比较", f"该版本的文件已不在（{error}）。")
    rows = notice_diff(before, after)
    context = _context(request, config, visitor, round_code=code, a=a, b=b, rows=rows)
    return render(request, "desk/notice_diff.html", context)


# -- drafts ----------------------------------------------------------------------------------------------


def _draft_page(
    request: Request,
    config: Settings,
    db: Db,
    now: Clock,
    visitor: Visitor,
    draft_id: int,
    *,
    done: str = "",
    problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    from tasks.notice.draft_view import draft_view
    from tasks.notice.versions import list_versions

    try:
        with db.unit_of_work() as session:
            view = draft_view(session, draft_id, now)
            versions = [
                v for v in list_versions(session, view.round_code) if view.number and v.number == view.number
            ]
    except UnknownDraft:
        return error_page(request, visitor, 404, "没有这份草稿", f"没有草稿 {draft_id}。")
    context = _context(
        request,
        config,
        visitor,
        d=view,
        done=DONE.get(done, ""),
        problem=problem,
        published=versions[0] if versions else None,
        formats=available_formats(),
    )
    return render(request, "desk/notice_draft.html", context, status)


@router.get("/desk/notice/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, draft_id: int, config: Config, db: Db, now: Now, visitor: DeskSignedIn, done: str = ""
) -> HTMLResponse:
    """A draft: its paragraphs with their sources, flags and forms, and its history."""
    return _draft_page(request, config, db, now, visitor, draft_id, done=done)


def _done(draft_id: int, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/desk/notice/drafts/{draft_id}?done={done}{anchor}", status_code=303)


def _why(
    error: ZhenggaiError, action: str, draft_id: int, status: DraftStatus | None, missing: list[str]
) -> str:
    """A refused step in the coordinators' words (the rule's own message follows in brackets)."""
    detail = f"（{error}）"
    if isinstance(error, DuplicateNoticeNumber):
        return f"文号有误或已被使用{detail}"
    if isinstance(error, InvalidDraftEdit):
        return f"未能保存{detail}"
    if status == DraftStatus.PUBLISHED:
        return f"草稿 {draft_id} 已发布，不能再修改或签发；如需更正，请新建草稿，发布时注明所更正的文号。"
    if action == "publish":
        state = STATUS_LABEL[status] if status is not None else ""
        return f"草稿 {draft_id} 尚未批准（{state}），批准后才能发布。"
    if status == DraftStatus.APPROVED:
        return f"草稿 {draft_id} 已批准；修改后才需重新签发。"
    if status == DraftStatus.RETURNED:
        return f"草稿 {draft_id} 已退回；修改后才能再次签发。"
    if action == "approve" and missing:
        return (
            f"草稿 {draft_id} 仍有【待报送】标记：{'、'.join(missing)}。"
            "确需带【待报送】签发，请勾选“允许带【待报送】签发”。"
        )
    return f"未能办理{detail}"


def _refused_step(
    request: Request,
    config: Settings,
    db: Db,
    now: Clock,
    visitor: Visitor,
    draft_id: int,
    action: str,
    error: ZhenggaiError,
) -> HTMLResponse:
    """The draft's page with the reason the step was refused: 404 for no draft, 409 for the draft's
    state, 422 for what was given."""
    from tasks.notice.drafts import get_draft, missing_labels

    try:
        with db.unit_of_work() as session:
            found = get_draft(session, draft_id)
            status, missing = found.status, missing_labels(found)
    except UnknownDraft:
        return error_page(request, visitor, 404, "没有这份草稿", f"没有草稿 {draft_id}。")
    if isinstance(error, UnknownDraft):  # the draft is there: what is unknown is the number it corrects
        error = DuplicateNoticeNumber(f"{error}")
    code = 409 if isinstance(error, DraftLocked) else 422
    problem = _why(error, action, draft_id, status, missing)
    return _draft_page(request, config, db, now, visitor, draft_id, problem=problem, status=code)


@router.post("/desk/notice/drafts", response_model=None)
async def post_new_draft(
    request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """A new draft of the round as of a date (default today), carrying the previous draft's edits."""
    from tasks.notice.drafts import create_draft

    form = await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, "notice_edit", REFUSED):
        return refusal
    try:
        day = _day(str(form.get("as_of") or ""), now.today)
    except ValueError:
        return error_page(request, visitor, 422, "日期有误", "请按 2023-12-31 的格式填写截止日期。")
    try:
        with db.unit_of_work() as session:
            made = create_draft(
                session, str(form.get("round") or "")[:64], now.on(day), actor=_actor(visitor)
            )
            session.commit()
            draft_id = made.id
    except UnknownRound as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    return _done(draft_id, "draft")


@router.post("/desk/notice/drafts/{draft_id}/edit", response_model=None)
async def post_edit(
    request: Request, draft_id: int, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """Replace a paragraph's text (``key``, ``text``), recorded with the actor; the draft awaits a decision."""
    from tasks.exchange.notice_source import RefusedCharacter, normalise_text
    from tasks.notice.drafts import apply_edits, get_draft

    form = await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, "notice_edit", REFUSED):
        return refusal
    key = str(form.get("key") or "")[:40]
    try:
        text = normalise_text(str(form.get("text") or ""))
    except RefusedCharacter as error:
        problem = f"文字中有不允许的字符：{error}"
        return _draft_page(request, config, db, now, visitor, draft_id, problem=problem, status=422)
    try:
        with db.unit_of_work() as session:
            changed = apply_edits(
                session,
                get_draft(session, draft_id),
                {key: text},
                actor=_actor(visitor),
                now=now.now,
                source="web",
            )
            session.commit()
    except ZhenggaiError as error:
        return _refused_step(request, config, db, now, visitor, draft_id, "edit", error)
    return _done(draft_id, "edit" if changed else "unchanged", f"#p-{key}")


@router.post("/desk/notice/reports/{report_id}/hold", response_model=None)
async def post_hold(
    request: Request, report_id: int, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """Mark a report "not for publication" (不予公开) with the reason, as ``zhenggai notice hold`` does."""
    from tasks.notice.drafts import hold_report

    form = await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, "notice_edit", REFUSED):
        return refusal
    given = str(form.get("draft") or "")
    draft_id = int(given) if given.isascii() and given.isdigit() and len(given) < 10 else 0
    reason = str(form.get("reason") or "")[:2000]
    try:
        with db.unit_of_work() as session:
            hold_report(session, report_id, reason, actor=_actor(visitor), now=now.now)
            session.commit()
    except InvalidDraftEdit as error:
        refused = InvalidDraftEdit("不予公开须写明理由") if not reason.strip() else error
        if draft_id:
            return _refused_step(request, config, db, now, visitor, draft_id, "hold", refused)
        return error_page(request, visitor, 422, "未能标记", str(refused))
    if not draft_id:
        return RedirectResponse("/desk/notice", status_code=303)
    return _done(draft_id, "hold")


@router.post("/desk/notice/drafts/{draft_id}/{decision}", response_model=None)
async def post_decision(
    request: Request, draft_id: int, decision: str, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """``approve`` (审核签发) or ``return`` with a note; ``publish`` an approved draft (number optional)."""
    form = await posted_form(request, db, visitor)
    if decision == "publish":
        return await _publish(request, draft_id, form, config, db, now, visitor)
    if decision not in ("approve", "return"):
        return error_page(request, visitor, 404, "没有这个操作", "草稿只能批准、退回或发布。")
    if refusal := refusal_page(request, visitor, "notice_sign_off", REFUSED):
        return refusal
    note = str(form.get("note") or "").strip()[:2000]
    if decision == "return" and not note:
        problem = "退回须写明意见（要修改什么）。"
        return _draft_page(request, config, db, now, visitor, draft_id, problem=problem, status=422)
    try:
        # The resume talks to Prefect synchronously: off the event loop.
        await run_in_threadpool(
            take_sign_off,
            db,
            now,
            draft_id,
            DraftDecision(decision),
            actor=_actor(visitor),
            note=note,
            allow_missing=bool(form.get("allow_missing")),
            source="web",
        )
    except ZhenggaiError as error:
        return _refused_step(request, config, db, now, visitor, draft_id, decision, error)
    return _done(draft_id, decision)


async def _publish(
    request: Request, draft_id: int, form: Any, config: Settings, db: Db, now: Clock, visitor: Visitor
) -> Response:
    from tasks.notice.render import FORMATS

    if refusal := refusal_page(request, visitor, "notice_publish", REFUSED):
        return refusal
    offered = available_formats()
    chosen = [fmt for fmt in FORMATS if fmt in form.getlist("formats") and fmt in offered] or offered
    number = str(form.get("number") or "").strip()[:100] or None
    replaces = str(form.get("replaces") or "").strip()[:100] or None
    try:
        await run_in_threadpool(
            publish_draft,
            db,
            config,
            draft_id,
            number=number,
            replaces=replaces,
            actor=_actor(visitor),
            formats=chosen,
            clock=now,
        )
    except ZhenggaiError as error:
        return _refused_step(request, config, db, now, visitor, draft_id, "publish", error)
    return _done(draft_id, "publish")
