"""The desk's downloads (docs/desk.md): its charts as SVG or PNG and its tables as Excel, by GET links.

Charts: ``/desk/charts/<name>.svg|png`` (the ledger's round) and ``/desk/r/<round>/charts/<name>.svg|png``,
``name`` one of ``completion``, ``lights``, ``trend`` (``tasks.charts.desk``). Excel: the review desk
(``/desk/review.xlsx``), the delivery log of a day (``/desk/messages.xlsx?day=``), the ranking of a
period (``/desk/ranking.xlsx?period=``), the recurring checks (``/desk/checks.xlsx?round=``), the contacts
(``/desk/contacts.xlsx``) and the 督办单 (``/desk/duban.xlsx``); the overview's is in ``flows/web/pages/desk.py``. Coordinators
and leaders alike; nothing here changes anything.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from flows.web.deps import Db, Now
from flows.web.pages.desk import XLSX, message_rows
from flows.web.pages.desk_responses import error_page
from flows.web.pages.session import DeskSignedIn, Visitor
from models.assessment import PeriodKind, last_closed, parse_period
from models.errors import ZhenggaiError

router = APIRouter(include_in_schema=False)


def _download(content: bytes, media_type: str, filename: str, *, attachment: bool = True) -> Response:
    disposition = "attachment" if attachment else "inline"
    # A round code may hold any letter: the name in UTF-8 (RFC 6266), and an ASCII one for old clients.
    plain = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    named = f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": named, "Cache-Control": "no-store"}
    )


def _chart(
    request: Request, db: Db, now: Now, visitor: Visitor, round_code: str | None, filename: str
) -> Response:
    from tasks.charts.desk import round_chart

    name, _, format = filename.rpartition(".")
    try:
        with db.unit_of_work() as session:
            chart = round_chart(session, now, round_code, name, format)
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有这张图表", str(error))
    return _download(chart.content, chart.media_type, chart.filename, attachment=False)


@router.get("/desk/charts/{filename}", response_model=None)
def desk_chart(request: Request, filename: str, db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """A chart of the ledger's round: ``completion``, ``lights`` or ``trend``, as ``.svg`` or ``.png``."""
    return _chart(request, db, now, visitor, None, filename)


@router.get("/desk/r/{round_code}/charts/{filename}", response_model=None)
def round_chart_file(
    request: Request, round_code: str, filename: str, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """A chart of one round, as ``.svg`` or ``.png``."""
    return _chart(request, db, now, visitor, round_code, filename)


@router.get("/desk/review.xlsx", response_model=None)
def review_xlsx(db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """The review desk as Excel: the done claims, the pending extension requests, the closed measures."""
    from tasks.exchange.desk_excel import review_workbook
    from tasks.reports.desk import closed_measures, extension_queue, review_queue

    with db.unit_of_work() as session:
        content = review_workbook(
            review_queue(session, now), extension_queue(session), closed_measures(session, now), now
        )
    return _download(content, XLSX, f"review-{now.today.isoformat()}.xlsx")


@router.get("/desk/messages.xlsx", response_model=None)
def messages_xlsx(request: Request, db: Db, now: Now, visitor: DeskSignedIn, day: str = "") -> Response:
    """The delivery log of a day (default today) as Excel, masked as on the page."""
    from tasks.exchange.desk_excel import messages_workbook

    try:
        chosen = date.fromisoformat(day) if day else now.today
    except ValueError:
        return error_page(request, visitor, 422, "日期有误", f"“{day[:40]}”不是日期，请写成2026-11-30。")
    with db.unit_of_work() as session:
        rows = [
            {**row, "measure": measure, "unit": unit}
            for row, measure, unit in message_rows(session, now, chosen)
        ]
    return _download(messages_workbook(rows, chosen, now), XLSX, f"messages-{chosen.isoformat()}.xlsx")


@router.get("/desk/ranking.xlsx", response_model=None)
def ranking_xlsx(
    request: Request, db: Db, now: Now, visitor: DeskSignedIn, round: str = "", period: str = ""
) -> Response:
    """The ranking of a period (default the last closed week) as Excel: the workbook ``zhenggai assess`` writes."""
    from tasks.assessment.export import ranking_workbook
    from tasks.assessment.views import ranking_page
    from tasks.ledger.queries import only_round

    try:
        chosen = parse_period(period) if period else last_closed(now.today, PeriodKind.WEEK)
        with db.unit_of_work() as session:
            page = ranking_page(session, only_round(session, round or None), chosen, now, trend_periods=1)
    except ZhenggaiError as error:
        return error_page(request, visitor, 422, "未能导出排名", str(error))
    content = ranking_workbook([page.ranking], now.timezone, stored=[page.stored is not None])
    return _download(content, XLSX, f"ranking-{page.ranking.round_code}-{chosen.label}.xlsx")


@router.get("/desk/checks.xlsx", response_model=None)
def checks_xlsx(request: Request, db: Db, now: Now, visitor: DeskSignedIn, round: str = "") -> Response:
    """The recurring checks and deadlines of a round (default: the ledger's first), as the page lists them."""
    from tasks.exchange.desk_excel import checks_workbook
    from tasks.ledger.desk_measures import check_rows, first_round

    try:
        with db.unit_of_work() as session:
            round_code = round or first_round(session)
            rows = check_rows(session, round_code)
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    return _download(checks_workbook(rows), XLSX, f"checks-{round_code}.xlsx")


@router.get("/desk/contacts.xlsx", response_model=None)
def contacts_xlsx(request: Request, db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """The contacts, one row per receiving address (masked), with its rate limit and delivery."""
    from tasks.exchange.desk_excel import contacts_workbook
    from tasks.notify.contacts import contact_book

    settings = request.app.state.settings
    with db.unit_of_work() as session:
        units, loose = contact_book(session, settings.rate_limits)
    return _download(contacts_workbook(units, loose), XLSX, f"contacts-{now.today.isoformat()}.xlsx")


@router.get("/desk/duban.xlsx", response_model=None)
def duban_xlsx(db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """Every 督办单 with its 签收 and replies."""
    from tasks.exchange.desk_excel import duban_workbook
    from tasks.reports.duban import all_sheets

    with db.unit_of_work() as session:
        sheets = all_sheets(session)
    return _download(duban_workbook(sheets, now), XLSX, f"duban-{now.today.isoformat()}.xlsx")
