"""The notice in the desk in a real Chromium at a desktop's 1366 × 900 (Debian's chromium through
Playwright): a coordinator edits a paragraph of the draft, a leader approves it, the coordinator publishes
it and downloads the DOCX."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.db import Database
from models.settings import Settings
from tests.support.browser import DESKTOP, chromium, needs_chromium, served_ledger
from tests.support.desk_notice import NoticeDeskLedger, build_notice_desk_ledger
from tests.support.portal import link_path

pytestmark = needs_chromium

NEW_TEXT = "一是开展占道经营专项整治，取缔流动摊点23处。二是清理背街小巷乱堆乱放，建立长效保洁机制。"


@pytest.fixture
def served(settings: Settings, sqlite_database: Database) -> Iterator[tuple[str, NoticeDeskLedger]]:
    with served_ledger(settings, sqlite_database, build_notice_desk_ledger) as (base, ledger):
        yield base, ledger


def test_a_coordinator_edits_a_leader_approves_and_the_coordinator_publishes_and_downloads(
    served: Any,
) -> None:
    import docx

    base, ledger = served
    with chromium() as browser:
        coordinator = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
        page = coordinator.new_page()
        page.goto(base + link_path(ledger.desk.links["coordinator"]))
        page.locator("nav.desk-nav a", has_text="通报").click()
        assert page.locator("h1").inner_text().startswith("通报")
        assert page.locator("#missing").inner_text().startswith("4项措施")
        page.locator(f"tr[data-draft='{ledger.draft_id}'] a").click()

        paragraph = page.locator("#p-problem-1-outcome")
        paragraph.locator("details.edit summary").click()
        paragraph.locator("textarea[name=text]").fill(NEW_TEXT)
        paragraph.locator("form.edit-form button").click()
        page.wait_for_selector("#done")
        assert "已保存修改" in page.locator("#done").inner_text()
        assert page.locator("#p-problem-1-outcome .text").inner_text() == NEW_TEXT
        assert "已修改" in page.locator("#p-problem-1-outcome h3").inner_text()
        draft_url = page.url.split("?")[0]

        leader = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        lpage = leader.new_page()
        lpage.goto(base + link_path(ledger.desk.links["leader"]))
        lpage.goto(draft_url)
        assert lpage.locator("details.edit").count() == 0  # a leader edits nothing
        lpage.locator("#approve-note").fill("同意")
        lpage.locator("form.approve button").click()
        lpage.wait_for_selector("#problem")  # 【待报送】 markers: refused with the reason, 409
        assert "允许带【待报送】签发" in lpage.locator("#problem").inner_text()
        lpage.locator("form.approve input[name=allow_missing]").check()
        lpage.locator("form.approve button").click()
        lpage.wait_for_selector("#done")
        assert lpage.locator("#status").inner_text() == "已批准"
        leader.close()

        page.goto(draft_url)
        publish = page.locator("#publish")
        pdf = publish.locator("input[value=pdf]")
        if pdf.count():
            pdf.uncheck()  # LibreOffice takes seconds; the PDF itself is the CLI tests' business
        publish.locator("button").click()
        page.wait_for_selector("#published")
        assert page.locator("#status").inner_text() == "已发布"
        number = page.locator("#published h2").inner_text()
        assert number.startswith("已发布：〔") and number.endswith("〕1号")
        with page.expect_download() as info:
            page.locator("#published a", has_text="Word").click()
        saved = info.value.path()
        document = docx.Document(str(saved))
        assert NEW_TEXT in "".join(p.text for p in document.paragraphs)
        coordinator.close()
