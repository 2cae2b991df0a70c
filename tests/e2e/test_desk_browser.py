"""The coordinators' and leaders' desk in a real Chromium at a desktop's 1366 × 900 (Debian's chromium through
Playwright): a coordinator closes (销号) one measure, returns another and approves an extension; in a round
with a step before 销号, one coordinator account confirms (分管领导确认) and another closes; a leader sees the
overview and every write is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import MeasureStatus
from models.settings import Settings
from models.tables import ExtensionRequest, Measure
from tests.support.browser import DESKTOP, needs_chromium, served_ledger
from tests.support.desk import DeskLedger, build_desk_ledger
from tests.support.portal import link_path

pytestmark = needs_chromium


@pytest.fixture
def desk(settings: Settings, sqlite_database: Database) -> Iterator[tuple[str, DeskLedger, Database]]:
    """The desk with no Prefect API configured, whichever tests this worker ran before (the session's
    harness, once started, is every thread's API): a 销号 then says its deployment was not synced."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        served_ledger(settings, sqlite_database, build_desk_ledger) as (base, ledger),
    ):
        yield base, ledger, sqlite_database


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def status_of(database: Database, code: str) -> MeasureStatus:
    with database.unit_of_work() as session:
        return session.scalar(select(Measure.status).where(Measure.code == code))  # type: ignore[return-value]


def test_a_coordinator_closes_one_returns_another_and_approves_an_extension(desk: Any, page: Any) -> None:
    base, ledger, database = desk
    page.goto(base + link_path(ledger.links["coordinator"]))
    assert page.url == f"{base}/desk"
    assert page.locator("h1").inner_text().startswith("整改总览")
    assert page.locator("#rate").inner_text() == "42.9%"
    page.locator("#count-overdue").click()
    assert page.locator("table.measures tbody tr").count() == 1
    assert "红" in page.locator("table.measures tbody tr").inner_text()

    page.locator("nav.desk-nav a", has_text="审核销号").click()
    claim = page.locator(f"#claim-{ledger.claimed}")
    image = claim.locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert ledger.photo_sha in claim.inner_text()
    claim.locator("textarea[name=note]").fill("现场核查，责任书齐全")
    claim.locator("form.accept button").click()
    page.wait_for_selector("#done")
    assert "已销号" in page.locator("#done").inner_text()
    assert "deployment not synced" in page.locator("#sync").inner_text()
    assert status_of(database, ledger.claimed) == MeasureStatus.CLOSED

    weak = page.locator(f"#claim-{ledger.weak}")
    weak.locator("textarea[name=reason]").fill("缺少现场照片")
    weak.locator("form.return button").click()
    page.wait_for_selector("#done")
    assert "已退回" in page.locator("#done").inner_text()
    assert status_of(database, ledger.weak) == MeasureStatus.IN_PROGRESS

    page.locator(f"#extension-{ledger.extension_id} form.approve button").click()
    page.wait_for_selector("#done")
    assert "已批准延期" in page.locator("#done").inner_text()
    with database.unit_of_work() as session:
        extension = session.get(ExtensionRequest, ledger.extension_id)
        assert extension is not None and extension.status == "approved"
        deadline = session.scalar(select(Measure.deadline).where(Measure.code == ledger.extension_measure))
        assert deadline == ledger.requested


@pytest.fixture
def two_step_desk(
    settings: Settings, sqlite_database: Database
) -> Iterator[tuple[str, DeskLedger, Database]]:
    def build(database: Database, config: Settings) -> DeskLedger:
        return build_desk_ledger(database, config, review_steps=["分管领导确认", "销号"])

    with served_ledger(settings, sqlite_database, build) as (base, ledger):
        yield base, ledger, sqlite_database


def test_one_account_confirms_and_another_closes_in_two_steps(two_step_desk: Any, browser: Any) -> None:
    base, ledger, database = two_step_desk
    contexts = [browser.new_context(viewport=DESKTOP, locale="zh-CN") for _ in range(2)]
    try:
        confirmer, closer = (context.new_page() for context in contexts)
        confirmer.goto(base + link_path(ledger.links["confirmer"]))
        confirmer.goto(f"{base}/desk/review")
        claim = confirmer.locator(f"#claim-{ledger.claimed}")
        assert claim.locator(".stage").inner_text() == "待分管领导确认"
        assert claim.locator("form.accept").count() == 0
        claim.locator("form.confirm textarea[name=note]").fill("已审阅台账，同意销号")
        claim.locator("form.confirm button").click()
        confirmer.wait_for_selector("#done")
        claim = confirmer.locator(f"#claim-{ledger.claimed}")
        assert claim.locator(".stage").inner_text() == "已分管领导确认，待销号"
        assert "分管领导秘书" in claim.locator("ul.steps").inner_text()
        # The same person is offered no 销号 (and a post of it is refused: tests/integration/test_review_steps.py).
        assert claim.locator("form.accept").count() == 0
        assert "须由另一位督查人员办理" in claim.locator(".four-eyes").inner_text()
        assert claim.locator("form.return").count() == 1
        assert status_of(database, ledger.claimed) == MeasureStatus.DONE

        closer.goto(base + link_path(ledger.links["coordinator"]))
        closer.goto(f"{base}/desk/review")
        claim = closer.locator(f"#claim-{ledger.claimed}")
        claim.locator("form.accept textarea[name=note]").fill("现场核查，责任书齐全")
        claim.locator("form.accept button").click()
        closer.wait_for_selector("#done")
        assert "已销号" in closer.locator("#done").inner_text()
        assert status_of(database, ledger.claimed) == MeasureStatus.CLOSED
    finally:
        for context in contexts:
            context.close()


def test_a_leader_sees_the_overview_and_every_write_is_refused(desk: Any, page: Any) -> None:
    base, ledger, database = desk
    page.goto(base + link_path(ledger.links["leader"]))
    assert page.url == f"{base}/desk"
    assert "领导账号" in page.locator(".readonly").inner_text()
    assert page.locator("table.units tbody tr").count() >= 2
    page.goto(f"{base}/desk/review")
    assert page.locator("form[action^='/desk/measures/'], form[action^='/desk/extensions/']").count() == 0
    csrf = page.evaluate(
        'async () => (await (await fetch(\'/logout\')).text()).match(/name="csrf" value="([^"]+)"/)[1]'
    )
    for path, field in [
        (f"/desk/measures/{ledger.claimed}/accept", "note"),
        (f"/desk/measures/{ledger.claimed}/confirm", "note"),
        (f"/desk/measures/{ledger.weak}/return", "reason"),
        (f"/desk/measures/{ledger.portal.closed}/reopen", "reason"),
        (f"/desk/extensions/{ledger.extension_id}/approve", "note"),
        (f"/desk/extensions/{ledger.extension_id}/refuse", "note"),
    ]:
        status = page.evaluate(
            """async ([path, field, csrf]) => {
                const body = new URLSearchParams({csrf: csrf, [field]: '领导的操作'});
                return (await fetch(path, {method: 'POST', body})).status;
            }""",
            [path, field, csrf],
        )
        assert status == 403, path
    assert status_of(database, ledger.claimed) == MeasureStatus.DONE
    assert status_of(database, ledger.portal.closed) == MeasureStatus.CLOSED
    with database.unit_of_work() as session:
        extension = session.get(ExtensionRequest, ledger.extension_id)
        assert extension is not None and extension.status == "pending"


def test_the_desk_is_usable_on_a_phone(desk: Any, browser: Any) -> None:
    base, ledger, _database = desk
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    phone = context.new_page()
    try:
        phone.goto(base + link_path(ledger.links["coordinator"]))
        for path in ("/desk", "/desk/review", "/desk/messages", "/desk/ranking", "/desk/contacts"):
            phone.goto(base + path)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()


def test_the_overview_shows_the_trend_and_a_png_and_an_excel_export_download(
    desk: Any, page: Any, tmp_path: Any
) -> None:
    from openpyxl import load_workbook
    from PIL import Image

    base, ledger, _database = desk
    page.goto(base + link_path(ledger.links["coordinator"]))
    trend = page.locator("#chart-trend svg")
    assert trend.is_visible()
    assert "每周趋势" in trend.locator("title").first.text_content()
    assert {"已完成", "逾期", "未按期报送"} <= set(trend.locator("text").all_text_contents())

    with page.expect_download() as png:
        page.locator("#chart-trend a.png").click()
    saved = tmp_path / png.value.suggested_filename
    png.value.save_as(saved)
    assert saved.name == "trend-portal-round.png"
    with Image.open(saved) as picture:
        assert picture.format == "PNG" and picture.size[0] > 0

    page.locator("nav.desk-nav a", has_text="审核销号").click()
    with page.expect_download() as xlsx:
        page.locator("#xlsx").click()
    saved = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    assert load_workbook(saved).sheetnames == ["待销号", "延期申请", "已销号"]
