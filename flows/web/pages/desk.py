"""The coordinators' and leaders' desk: server-rendered Chinese pages under ``/desk`` (docs/desk.md).

The overview of a round (counts, completion rate, units, filters), the review desk (销号, 退回, reopen,
延期 decisions), the ranking and the day's messages. Same sign-in and session as the units' portal; a
coordinator or leader link lands here. Leaders read everything; every write checks
``tasks.reports.access.check_desk_action`` and a leader is refused (403) before anything changes.
Reviews go through ``tasks.reports.review.review_measure`` and then ``flows.review.sync_after_review``,
exactly as ``zhenggai review`` does. Every form posts with the session's CSRF token; no GET changes anything.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows.review import sync_after_review
from flows.web.deps import Config, Db, Now
from flows.web.pages.desk_responses import desk_context, error_page, refusal_page, render
from flows.web.pages.files import evidence_file_response
from flows.web.pages.session import DeskSignedIn, Visitor, posted_form
from models.assessment import PeriodKind, last_closed, parse_period
from models.errors import (
    InvalidExtensionRequest,
    InvalidReview,
    InvalidTransition,
    ReviewStepMissing,
    SameReviewer,
    UnknownMeasure,
    ZhenggaiError,
)
from models.links import mask_links
from models.review_steps import reviewer_identity
from models.rules import Light
from models.settings import Settings
from tasks.reports.access import may_take
from tasks.reports.assignments import decide_extension
from tasks.reports.desk import (
    COUNTS,
    STATES,
    closed_measures,
    extension_queue,
    review_queue,
)
from tasks.reports.review import ACTION_LABEL, ReviewAction, review_measure

router = APIRouter(include_in_schema=False)
DELIVERY_LABEL = {
    "pending": "待发送",
    "held": "待工作时间发送",
    "queued": "排队（频率限制）",
    "digested": "并入每日汇总",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "in_doubt": "不确定是否送达",
}
logger = logging.getLogger("zhenggai.desk")

# The measures the overview lists at most (a city round has thousands: the filters and Excel have the rest).
LISTED = 200

DONE = {
    "confirm": "已确认，待下一步审核",
    "accept": "已销号",
    "return": "已退回",
    "reopen": "已重新打开",
    "approve": "已批准延期",
    "refuse": "已不予延期",
}


def _given(filters: dict[str, str]) -> dict[str, str | None]:
    """The overview's filters as ``round_overview`` takes them (an empty parameter: no filter)."""
    return {
        key: (filters.get(key) or "").strip()[:100] or None
        for key in ("unit", "light", "state", "leader", "q")
    }


# -- the overview -------------------------------------------------------------------------------------


def _overview(
    request: Request,
    config: Settings,
    db: Db,
    now: Now,
    visitor: Visitor,
    round_code: str | None,
    filters: dict[str, str],
) -> HTMLResponse:
    from tasks.reports.desk_memo import overview_of, trend_of

    try:
        with db.unit_of_work() as session:
            overview = overview_of(session, now, round_code, **_given(filters))
            trend = trend_of(session, now, overview_of(session, now, overview.round_code))
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    base = f"/desk/r/{overview.round_code}"

    def link(**filters: str) -> str:
        query = urlencode({k: v for k, v in filters.items() if v})
        return f"{base}?{query}#measures" if query else base

    from markupsafe import Markup

    from tasks.charts.desk import draw
    from tasks.notify.log import list_deliveries

    with db.unit_of_work() as session:
        today_messages = [
            d.status.value for d, _m, _u in list_deliveries(session, now, day=now.today, limit=2000)
        ]
    messages_today = {
        "all": len(today_messages),
        "sent": today_messages.count("sent"),
        "trouble": sum(1 for s in today_messages if s in ("failed", "in_doubt")),
    }
    charts = [  # (name, inline SVG, its PNG for documents); every text escaped in tasks.charts.svg
        (
            name,
            Markup(draw(name, "svg", overview=overview, trend=trend).decode()),
            f"{base}/charts/{name}.png",
        )
        for name in ("completion", "lights", "trend")
    ]
    context = desk_context(
        request,
        config,
        visitor,
        o=overview,
        charts=charts,
        messages_today=messages_today,
        counts=COUNTS,
        states={key: label for key, label in STATES.items() if key != "measures"},
        link=link,
        xlsx=f"{base}/overview.xlsx" + (f"?{urlencode(overview.filters)}" if overview.filters else ""),
        lights=list(Light),
        base=base,
        listed=LISTED,
    )
    return render(request, "desk/overview.html", context)


def _filters(
    unit: str = "", light: str = "", state: str = "", leader: str = "", q: str = ""
) -> dict[str, str]:
    """The overview's filters, from the query string."""
    return {"unit": unit, "light": light, "state": state, "leader": leader, "q": q}


def _xlsx_filters(unit: str = "", light: str = "", state: str = "") -> dict[str, str]:
    """The Excel export's filters, from the query string."""
    return {"unit": unit, "light": light, "state": state}


Filters = Annotated[dict[str, str], Depends(_filters)]
XlsxFilters = Annotated[dict[str, str], Depends(_xlsx_filters)]


@router.get("/desk", response_class=HTMLResponse)
def desk_home(
    request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn, filters: Filters
) -> HTMLResponse:
    """The overview of the ledger's round (or of the first round when there are several)."""
    return _overview(request, config, db, now, visitor, None, filters)


@router.get("/desk/r/{round_code}", response_class=HTMLResponse)
def desk_round(
    request: Request,
    round_code: str,
    config: Config,
    db: Db,
    now: Now,
    visitor: DeskSignedIn,
    filters: Filters,
) -> HTMLResponse:
    """The overview of one round, with the filters ``unit``, ``light`` and ``state`` as query parameters."""
    return _overview(request, config, db, now, visitor, round_code, filters)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _overview_xlsx(
    request: Request, db: Db, now: Now, visitor: Visitor, round_code: str | None, filters: dict[str, str]
) -> Response:
    from tasks.exchange.desk_excel import overview_workbook
    from tasks.reports.desk_memo import overview_of

    try:
        with db.unit_of_work() as session:
            overview = overview_of(session, now, round_code, **_given(filters))
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    name = f"overview-{overview.round_code}-{overview.today.isoformat()}.xlsx"
    return Response(
        overview_workbook(overview, now),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/desk/overview.xlsx", response_model=None)
def desk_xlsx(request: Request, db: Db, now: Now, visitor: DeskSignedIn, filters: XlsxFilters) -> Response:
    """The overview (the ledger's round) as Excel, with the same filters."""
    return _overview_xlsx(request, db, now, visitor, None, filters)


@router.get("/desk/r/{round_code}/overview.xlsx", response_model=None)
def round_xlsx(
    request: Request, round_code: str, db: Db, now: Now, visitor: DeskSignedIn, filters: XlsxFilters
) -> Response:
    """One round's overview as Excel, with the same filters."""
    return _overview_xlsx(request, db, now, visitor, round_code, filters)


# -- the review desk ----------------------------------------------------------------------------------


@router.get("/desk/review", response_class=HTMLResponse)
def review_page(
    request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn, done: str = "", sync: str = ""
) -> HTMLResponse:
    """The done claims with their evidence, the closed measures (to reopen) and the extension requests."""
    with db.unit_of_work() as session:
        claims = review_queue(session, now)
        closed = closed_measures(session, now)
        extensions = extension_queue(session)
    context = desk_context(
        request,
        config,
        visitor,
        claims=claims,
        closed=closed,
        extensions=extensions,
        done=DONE.get(done, ""),
        reviewer=reviewer_identity(f"desk {visitor.principal.display}"),  # who takes a step (four-eyes)
        # Only what sync_after_review says is shown (the query string is not a place for any text).
        sync=sync[:300] if sync.startswith(("deployment not synced", "deployments of round")) else "",
        errors={},
    )
    return render(request, "desk/review.html", context)


def _review_error(error: ZhenggaiError) -> str:
    if isinstance(error, InvalidReview):
        return "请填写意见：确认和销号须写明核查情况，退回和重新打开须写明理由。"
    if isinstance(error, SameReviewer):
        return f"同一人不能办理同一项完成申报的两个审核步骤，请由另一位督查人员办理（{error}）。"
    if isinstance(error, ReviewStepMissing):
        return f"这一轮整改分步销号，这一步现在不能办理（{error}）。请刷新后再看。"
    if isinstance(error, InvalidTransition):
        return f"这项措施的状态已经变化，不能这样办理（{error}）。请刷新后再看。"
    if isinstance(error, UnknownMeasure):
        return "没有这项措施。"
    return str(error)


@router.post("/desk/measures/{code}/{action}", response_model=None)
async def post_review(
    request: Request, code: str, action: str, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """A round's step before 销号 (``confirm``, with a note), 销号 (``accept``, with a note), 退回 (``return``,
    with a reason) or reopen (``reopen``, with a reason)."""
    form = await posted_form(request, db, visitor)
    if action not in {a.value for a in ReviewAction}:
        return error_page(request, visitor, 404, "没有这个操作", "只能确认、销号、退回或重新打开。")
    if refusal := refusal_page(request, visitor, action):
        return refusal
    review_action = ReviewAction(action)
    text = str(form.get("note") or form.get("reason") or "")
    try:
        with db.unit_of_work() as session:
            review_measure(
                session,
                code,
                review_action,
                reason=text,
                actor=f"desk {visitor.principal.display}"[:100],
                now=now.now,
            )
            session.commit()
    except (InvalidReview, InvalidTransition, UnknownMeasure, ReviewStepMissing, SameReviewer) as error:
        status = 403 if isinstance(error, SameReviewer) else 422
        return error_page(
            request, visitor, status, f"未能{ACTION_LABEL[review_action]}", _review_error(error)
        )
    sync = ""
    if review_action in (ReviewAction.ACCEPT, ReviewAction.REOPEN):
        # In a worker thread: the sync runs its own event loop, which this async route's loop would refuse.
        sync = await run_in_threadpool(sync_after_review, db, config, code)
    query = urlencode({"done": action, "sync": sync} if sync else {"done": action})
    return RedirectResponse(f"/desk/review?{query}", status_code=303)


@router.post("/desk/extensions/{request_id}/{decision}", response_model=None)
async def post_extension_decision(
    request: Request, request_id: int, decision: str, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """Approve (the measure's deadline moves; the original is kept on the request) or refuse, with a note."""
    form = await posted_form(request, db, visitor)
    if decision not in ("approve", "refuse"):
        return error_page(request, visitor, 404, "没有这个操作", "只能批准或不予延期。")
    if refusal := refusal_page(request, visitor, "decide_extension"):
        return refusal
    note = str(form.get("note") or "")
    if decision == "refuse" and not note.strip():
        return error_page(request, visitor, 422, "未能办理", "不予延期须写明理由。")
    try:
        with db.unit_of_work() as session:
            decide_extension(
                session,
                request_id,
                approve=decision == "approve",
                actor=f"desk {visitor.principal.display}",
                note=note,
                now=now.now,
            )
            session.commit()
    except InvalidExtensionRequest:
        return error_page(
            request, visitor, 422, "未能办理", "这份延期申请已经办理过，或不存在。请刷新后再看。"
        )
    return RedirectResponse(f"/desk/review?done={decision}#extensions", status_code=303)


@router.get("/desk/files/{sha256}", response_model=None)
def desk_file(request: Request, sha256: str, config: Config, db: Db, visitor: DeskSignedIn) -> Response:
    """An evidence file (coordinators and leaders read every one)."""
    return evidence_file_response(
        request,
        config,
        db,
        visitor,
        sha256,
        error=error_page,
        unknown="没有这个文件。",
        missing="文件已登记，但存储中缺失。",
    )


# -- the ranking and the messages ---------------------------------------------------------------------


@router.get("/desk/ranking", response_class=HTMLResponse)
def ranking(
    request: Request,
    config: Config,
    db: Db,
    now: Now,
    visitor: DeskSignedIn,
    round: str = "",
    period: str = "",
) -> HTMLResponse:
    """The assessment ranking of a period (default: the last closed week) with each unit's trend."""
    from tasks.assessment.views import ranking_page
    from tasks.ledger.queries import only_round

    page, problem = None, ""
    try:
        chosen = parse_period(period) if period else last_closed(now.today, PeriodKind.WEEK)
        with db.unit_of_work() as session:
            page = ranking_page(session, only_round(session, round or None), chosen, now, trend_periods=6)
    except ZhenggaiError as error:
        problem = str(error)
    context = desk_context(request, config, visitor, page=page, problem=problem, period=period)
    return render(request, "desk/ranking.html", context, 200 if page else 422 if period else 200)


def message_rows(session: Any, now: Now, day: date) -> list[tuple[dict[str, Any], str | None, str | None]]:
    """The delivery log of a local day as the desk shows it (recipients and links masked), with each
    message's measure and unit codes."""
    from tasks.notify.log import list_deliveries

    return [
        (
            {
                "id": d.id,
                "status": d.status.value,
                "at": d.sent_at or d.last_attempt_at or d.due_at,
                "kind": d.kind,
                "recipient": d.recipient_masked,
                "channel": d.channel,
                "title": mask_links(d.title or ""),
                "error": mask_links(d.error or ""),
            },
            measure,
            unit,
        )
        for d, measure, unit in list_deliveries(session, now, day=day, limit=500)
    ]


@router.get("/desk/messages", response_class=HTMLResponse)
def messages(
    request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn, day: str = "", done: str = ""
) -> HTMLResponse:
    """The delivery log of a day (default today): recipients and sign-in links masked; failed and in doubt first."""
    try:
        chosen = date.fromisoformat(day) if day else now.today
    except ValueError:
        chosen = now.today
    with db.unit_of_work() as session:
        rows = message_rows(session, now, chosen)
    trouble = [r for r in rows if r[0]["status"] in ("failed", "in_doubt")]
    context = desk_context(
        request,
        config,
        visitor,
        rows=rows,
        trouble=trouble,
        day=chosen,
        status_label=DELIVERY_LABEL,
        may_resend=may_take(visitor.principal, "resend"),
        done="已重新排入发送队列，将按发送规则（工作时间、重试）发出。" if done == "resend" else "",
    )
    return render(request, "desk/messages.html", context)


@router.post("/desk/messages/{delivery_id}/resend", response_model=None)
async def post_resend(
    request: Request, delivery_id: int, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """Put a failed (or in-doubt, named here) message back to be sent by the delivery rules
    (``tasks.notify.log.resend``, as ``zhenggai notifications --resend --id N``)."""
    from tasks.notify.log import resend

    await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, "resend"):
        return refusal
    with db.unit_of_work() as session:
        chosen = resend(session, now, ids=[delivery_id])
        session.commit()
    if not chosen:
        return error_page(request, visitor, 422, "未能重发", "这条消息不是发送失败或不确定的消息，或不存在。")
    return RedirectResponse(f"/desk/messages?done=resend#all-d{delivery_id}", status_code=303)
