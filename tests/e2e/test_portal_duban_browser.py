"""A unit's 督办单 in a real Chromium at a phone's 390 × 844: from the message's link to the sheet's page, the
sheet read and its Word file offered, 签收, a reply refused empty and then sent, all fitting the phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.settings import Settings
from models.tables import DubanResponse
from tests.support.browser import PHONE, chromium, needs_chromium, served_ledger
from tests.support.duban import DubanPortal, build_duban_portal

pytestmark = needs_chromium


@pytest.fixture
def duban(settings: Settings, sqlite_database: Database) -> Iterator[tuple[str, DubanPortal, Database]]:
    with served_ledger(settings, sqlite_database, build_duban_portal) as (base, ledger):
        yield base, ledger, sqlite_database


@pytest.fixture
def phone() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        yield context.new_page()
        context.close()


def fits(phone: Any) -> None:
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for control in phone.locator("main button, main textarea, main select, .files a").all():
        assert control.bounding_box()["height"] >= 44


def test_a_unit_opens_its_sheet_signs_and_replies_on_a_phone(duban: Any, phone: Any) -> None:
    base, ledger, database = duban
    ref = ledger.refs[0]
    # The message's link signs in and lands on the sheet's page.
    phone.goto(f"{ledger.portal.links['unit']}?next=/duban/{ref}")
    assert phone.url == f"{base}/duban/{ref}"
    assert phone.locator(".sheet-title").inner_text() == "整改事项蓝色督办单"
    assert "尚未签收" in phone.locator("#answers").inner_text()
    assert phone.locator(".files a").first.get_attribute("href") == f"/duban/{ref}/docx"
    fits(phone)
    phone.locator("#answers form[action$='/ack'] button").click()
    phone.wait_for_selector("#done")
    assert "已签收" in phone.locator("#answers").inner_text()
    phone.locator(".reply-form button").click()
    phone.wait_for_selector("#text-error")
    assert phone.locator("#text-error").inner_text() == "请填写书面回复，或选择一份已报送的进展报告"
    phone.fill("#text", "已清理背街小巷堆放点23处，长效保洁机制本月底前建立。")
    phone.locator(".reply-form button").click()
    phone.wait_for_selector("#done")
    assert "长效保洁机制本月底前建立" in phone.locator("#answers").inner_text()
    fits(phone)
    with database.unit_of_work() as session:
        assert [r.kind for r in session.scalars(select(DubanResponse).order_by(DubanResponse.id))] == [
            "ack",
            "reply",
        ]
    # The measure's page lists the sheet as answered.
    phone.goto(f"{base}/m/{ledger.portal.overdue}")
    assert "已回复" in phone.locator("#duban").inner_text()
