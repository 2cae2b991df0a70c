"""The desk's downloads in-process: the weekly trend from the ledger's history, each chart as SVG and PNG at
its URL, and every desk table as Excel by a GET link; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from flows.web.app import create_app
from models.db import Database
from models.enums import ReportStatus
from models.settings import Settings
from tests.integration.test_desk import sign_in
from tests.support.desk import DeskLedger, add_failed_delivery, build_desk_ledger
from tests.support.portal import link_path, portal_settings

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def desk(settings: Settings, database: Database) -> Iterator[tuple[TestClient, DeskLedger, Database]]:
    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config)
    with TestClient(create_app(config)) as client:
        yield client, ledger, database


def image(content: bytes) -> Any:
    from PIL import Image

    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture


def test_the_trends_current_week_is_the_overviews_counts(desk: Any) -> None:
    from tasks.reports.desk import round_overview
    from tasks.reports.desk_trend import round_trend

    client, _ledger, database = desk
    clock = client.app.state.settings.clock()
    with database.unit_of_work() as session:
        overview = round_overview(session, clock, "portal-round")
        points = round_trend(session, clock, "portal-round")
    assert points and points[-1].monday <= clock.today
    current = points[-1]
    counts = overview.counts
    assert (current.done, current.overdue, current.missing) == (
        counts["done"],
        counts["overdue"],
        counts["missing"],
    )


def test_the_overview_shows_the_trend_and_links_each_charts_png(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "leader")
    page = client.get("/desk").text
    assert page.count("<svg class=") == 3 and "<title>每周趋势：已完成、逾期、未按期报送</title>" in page
    for name in ("completion", "lights", "trend"):
        assert f'href="/desk/r/portal-round/charts/{name}.png"' in page


@pytest.mark.parametrize("name", ["completion", "lights", "trend"])
def test_each_chart_is_an_svg_with_chinese_text_and_a_png_of_its_size(desk: Any, name: str) -> None:
    from tasks.charts.desk_png import TREND_HEIGHT, WIDTH, bars_height

    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    svg = client.get(f"/desk/charts/{name}.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    texts = [t.text or "" for t in ET.fromstring(svg.content).iter(f"{SVG}text")]
    assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)
    assert "<script" not in svg.text
    png = client.get(f"/desk/r/portal-round/charts/{name}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    rows = {"completion": 2, "lights": 2}  # the ledger's two problems, its two street offices
    height = TREND_HEIGHT if name == "trend" else bars_height(rows[name])
    assert image(png.content).size == (WIDTH, height)


def test_an_unknown_chart_or_round_is_404_and_a_unit_is_kept_out(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    assert client.get("/desk/charts/pie.svg").status_code == 404
    assert client.get("/desk/charts/trend.gif").status_code == 404
    assert client.get("/desk/r/no-such-round/charts/trend.svg").status_code == 404
    unit = TestClient(client.app)
    unit.get(link_path(ledger.portal.links["unit"]))
    assert unit.get("/desk/charts/trend.png", follow_redirects=False).status_code == 303


def report_done(database: Database, ledger: DeskLedger, clock: Any) -> None:
    from flows.intake import submit_report
    from tasks.reports.record import ReportInput

    submit_report(
        database,
        ReportInput(
            measure=ledger.extension_measure,
            unit=ledger.portal.unit,
            text="已全部完成",
            claimed_status=ReportStatus.DONE,
        ),
        actor="test",
        clock=clock,
        emit=False,
    )


def test_a_report_shows_in_the_overview_and_every_chart_at_once(desk: Any) -> None:
    client, ledger, database = desk
    sign_in(client, ledger, "coordinator")

    def done_now() -> tuple[int, int, bytes]:
        page = client.get("/desk").text
        count = int(page.split('id="count-done"')[1].split('class="n">')[1].split("<")[0])
        svg = ET.fromstring(client.get("/desk/charts/trend.svg").content)
        titles = [t.text or "" for t in svg.iter(f"{SVG}title") if (t.text or "").startswith("已完成")]
        return (
            count,
            int(titles[-1].split()[-1].removesuffix("项")),
            client.get("/desk/charts/completion.png").content,
        )

    before = done_now()
    assert done_now() == before  # asked again (remembered): the same
    report_done(database, ledger, client.app.state.settings.clock())
    after = done_now()
    assert after[:2] == (before[0] + 1, before[1] + 1) and after[2] != before[2]


def test_the_memo_keeps_an_overview_until_the_ledger_changes(desk: Any) -> None:
    from tasks.reports.desk_memo import overview_of, trend_of

    client, ledger, database = desk
    clock = client.app.state.settings.clock()
    with database.unit_of_work() as session:
        first = overview_of(session, clock, "portal-round")
        trend = trend_of(session, clock, first)
        assert overview_of(session, clock, "portal-round") is first
        assert overview_of(session, clock, None) is first  # /desk names no round: the same entry
        assert all(a is b for a, b in zip(trend_of(session, clock, first), trend[:-1], strict=False))
        # A filtered overview (a click on a number) keeps the round's remembered measures.
        overdue = overview_of(session, clock, "portal-round", state="overdue", unit=None)
        assert [v.code for v in overdue.measures] == [ledger.portal.overdue]
        assert all(any(v is w for w in first.views) for v in overdue.measures)
        assert (
            overview_of(session, clock.at(clock.now.replace(second=0) + timedelta(minutes=1)), "portal-round")
            is not first
        )
    report_done(database, ledger, clock)
    with database.unit_of_work() as session:
        again = overview_of(session, clock, "portal-round")
        assert again is not first and again.counts["done"] == first.counts["done"] + 1
        # A report today: the past weeks are kept, the current one is the new overview's counts.
        after = trend_of(session, clock, again)
        assert all(a is b for a, b in zip(after[:-1], trend[:-1], strict=True))
        assert after[-1].done == trend[-1].done + 1
    csrf = sign_in(client, ledger, "coordinator")  # a review (a status change) is a write too
    client.post(f"/desk/measures/{ledger.claimed}/accept", data={"csrf": csrf, "note": "现场核查"})
    with database.unit_of_work() as session:
        closed = overview_of(session, clock, "portal-round")
        assert closed is not again and closed.counts["closed"] == again.counts["closed"] + 1


def test_the_review_desk_exports_its_three_tables(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "leader")
    assert 'href="/desk/review.xlsx"' in client.get("/desk/review").text
    answer = client.get("/desk/review.xlsx")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(answer.content))
    assert workbook.sheetnames == ["待销号", "延期申请", "已销号"]
    claims = list(workbook["待销号"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in claims) == sorted([ledger.claimed, ledger.weak])
    photo = next(row for row in claims if row[0] == ledger.claimed)
    assert photo[6] == "整改后现场.jpg" and photo[7] == ledger.photo_sha
    requests = list(workbook["延期申请"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[5]) for r in requests] == [
        (ledger.extension_id, ledger.extension_measure, ledger.requested.isoformat())
    ]
    closed = [row[0] for row in workbook["已销号"].iter_rows(min_row=2, values_only=True)]
    assert closed == [ledger.portal.closed]


def test_the_messages_of_a_day_export_masked(desk: Any) -> None:
    client, ledger, database = desk
    add_failed_delivery(database, "desk-export|1")
    sign_in(client, ledger, "coordinator")
    day = client.app.state.settings.clock().today.isoformat()
    assert f'href="/desk/messages.xlsx?day={day}"' in client.get("/desk/messages").text
    answer = client.get("/desk/messages.xlsx", params={"day": day})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content))[f"消息{day}"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[6], r[9]) for r in rows] == [
        ("failed", "mailto://z***@example.gov.cn", "connection refused")
    ]
    assert "SECRETSIGNATURE" not in rows[0][8] and "/signin/7.1999999999.***" in rows[0][8]
    assert client.get("/desk/messages.xlsx", params={"day": "yesterday"}).status_code == 422


def test_the_ranking_exports_as_zhenggai_assess_writes_it(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk/ranking", params={"period": "2026-W01"}).text
    assert 'href="/desk/ranking.xlsx?round=portal-round&amp;period=2026-W01"' in page
    answer = client.get("/desk/ranking.xlsx", params={"round": "portal-round", "period": "2026-W01"})
    assert answer.status_code == 200
    workbook = load_workbook(io.BytesIO(answer.content))
    names = [row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert "新华路街道办事处" in names
    assert client.get("/desk/ranking.xlsx", params={"period": "bad"}).status_code == 422


def test_the_overview_lists_the_first_measures_and_says_where_the_rest_are(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, ledger, _db = desk
    monkeypatch.setattr("flows.web.pages.desk.LISTED", 2)
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk").text
    assert page.count("data-code=") == 2 and 'id="listed"' in page and "含全部7项" in page
    overdue = client.get("/desk/r/portal-round", params={"state": "overdue"}).text
    assert overdue.count("data-code=") == 1 and 'id="listed"' not in overdue


def test_a_chart_of_a_round_with_a_chinese_code_downloads_with_its_name(desk: Any) -> None:
    from urllib.parse import quote

    from tests.factories import make_round

    client, ledger, database = desk
    with database.unit_of_work() as session:
        make_round(session, code="二〇二五年第二轮")
        session.commit()
    sign_in(client, ledger, "coordinator")
    answer = client.get("/desk/r/二〇二五年第二轮/charts/trend.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    disposition = answer.headers["content-disposition"]
    assert (
        disposition.startswith('inline; filename="trend-')
        and quote("trend-二〇二五年第二轮.png") in disposition
    )


def test_a_report_dated_in_a_past_week_changes_that_weeks_point(desk: Any) -> None:
    from flows.intake import submit_report
    from tasks.reports.desk_memo import overview_of, trend_of
    from tasks.reports.record import ReportInput

    client, ledger, database = desk
    clock = client.app.state.settings.clock()
    with database.unit_of_work() as session:
        trend = trend_of(session, clock, overview_of(session, clock, "portal-round"))
    assert len(trend) > 2
    week = trend[-3]
    past = clock.at(week.judged_at - timedelta(hours=30))  # that week's Saturday, as a bulk load dates it
    submit_report(
        database,
        ReportInput(
            measure=ledger.portal.overdue,
            unit=ledger.portal.unit,
            text="补录：已完成",
            claimed_status=ReportStatus.DONE,
        ),
        actor="test",
        clock=past,
        emit=False,
    )
    with database.unit_of_work() as session:
        after = trend_of(session, clock, overview_of(session, clock, "portal-round"))
    assert after[-3].done == week.done + 1 and after[-3].overdue == week.overdue - 1


def test_the_checks_contacts_and_duban_pages_export_their_tables(desk: Any) -> None:
    from tests.support.desk import add_unit_contacts

    client, ledger, database = desk
    add_unit_contacts(database, ledger, "json://user:pw@127.0.0.1:9")
    sign_in(client, ledger, "leader")  # reading: leaders too
    for page, link in [
        ("/desk/checks", "/desk/checks.xlsx?round="),
        ("/desk/contacts", "/desk/contacts.xlsx"),
        ("/desk/duban", "/desk/duban.xlsx"),
    ]:
        assert f'href="{link}' in client.get(page).text, page

    checks = load_workbook(io.BytesIO(client.get("/desk/checks.xlsx").content))["定期检查与完成时限"]
    rows = list(checks.iter_rows(min_row=2, values_only=True))
    assert rows and all(row[0] and row[3] for row in rows)  # every live measure, with its owner unit
    assert any(row[8] == "已销号" for row in rows)  # statuses in words

    contacts = load_workbook(io.BytesIO(client.get("/desk/contacts.xlsx").content))["联系人"]
    listed = {row[3]: row for row in contacts.iter_rows(min_row=2, values_only=True)}
    liaison = listed["jd-liaison"]
    assert "pw" not in str(liaison[4]) and liaison[5] == "不限" and liaison[6] == "逐条发送"

    duban = load_workbook(io.BytesIO(client.get("/desk/duban.xlsx").content))["督办单"]
    assert next(duban.iter_rows(max_row=1, values_only=True))[:3] == ("编号", "等级", "措施")
    assert client.get("/desk/checks.xlsx?round=nope").status_code == 404
