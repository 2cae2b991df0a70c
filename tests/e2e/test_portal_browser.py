"""The units' portal in a real Chromium at a phone's 390 × 844: Debian's chromium driven by Playwright.

Sign in by link, see only the unit's measures, report with a photo and see it in the timeline, a double
submit recorded once, correct it, 签收, 延期申请, the form errors, an expired and a revoked link.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models.db import Database
from models.settings import Settings
from models.tables import Acknowledgement, ExtensionRequest, Report
from tasks.reports.signin import LINK, sign, signing_key
from tasks.reports.tokens import revoke_token
from tests.support.browser import PHONE, needs_chromium, served_ledger
from tests.support.portal import SECRET_TEXT, PortalLedger, build_portal_ledger, photo_bytes

pytestmark = needs_chromium


@pytest.fixture
def portal(settings: Settings, sqlite_database: Database) -> Iterator[tuple[str, PortalLedger, Database]]:
    with served_ledger(settings, sqlite_database, build_portal_ledger) as (base, ledger):
        yield base, ledger, sqlite_database


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def count(database: Database, table: Any) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def sign_in(phone: Any, ledger: PortalLedger) -> None:
    phone.goto(ledger.links["unit"])
    assert phone.url.endswith("/")
    assert phone.locator("h1").inner_text() == "我的任务"


def test_sign_in_by_link_shows_only_the_units_measures_fitting_a_phone(portal: Any, phone: Any) -> None:
    _base, ledger, _db = portal
    sign_in(phone, ledger)
    codes = phone.locator(".task .code").all_inner_texts()
    # The shared measure is 长期坚持: it owes the round's monthly report (its ongoing cadence), which comes
    # before a deadline that is merely near.
    assert codes == [ledger.overdue, ledger.shared, ledger.due_soon, ledger.closed]
    assert SECRET_TEXT not in phone.content() and ledger.secret not in codes
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for link in phone.locator(".task a, header a").all():
        assert link.bounding_box()["height"] >= 44
    phone.locator(f"a[href='/m/{ledger.due_soon}']").click()
    assert phone.locator("h1").inner_text().strip().startswith(ledger.due_soon)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for control in phone.locator("button, input[type=file], textarea").all():
        assert control.bounding_box()["height"] >= 44


def test_a_report_with_a_photo_appears_in_the_timeline_and_can_be_corrected(portal: Any, phone: Any) -> None:
    _base, ledger, database = portal
    sign_in(phone, ledger)
    phone.goto(phone.url + f"m/{ledger.due_soon}")
    phone.fill("#text", "本周清理占道摊点12处，现场照片见附件")
    phone.locator("input[name=metric_name]").first.fill("清理摊点")
    phone.locator("input[name=metric_value]").first.fill("12")
    phone.locator("input[name=metric_unit]").first.fill("处")
    phone.set_input_files(
        "#evidence", files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    phone.locator("#report button[type=submit]").click()
    phone.wait_for_selector("#done")
    assert "报告已提交" in phone.locator("#done").inner_text()
    first = phone.locator(".event-report").first
    assert "本周清理占道摊点12处" in first.inner_text() and "清理摊点 12处" in first.inner_text()
    image = first.locator("img[alt='现场照片.jpg']")
    image.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 64
    assert count(database, Report) == 1

    first.locator("a.correct").click()
    assert "更正第" in phone.locator("#report h2").inner_text()
    assert phone.input_value("#text") == "本周清理占道摊点12处，现场照片见附件"
    phone.fill("#text", "更正：本周清理占道摊点15处")
    phone.locator("#report button[type=submit]").click()
    phone.wait_for_selector("#done")
    assert "更正：本周清理占道摊点15处" in phone.locator(".event-report").first.inner_text()
    assert "已被第" in phone.locator(".event-report").nth(1).inner_text()
    assert count(database, Report) == 2


def test_a_double_submit_is_recorded_once(portal: Any, phone: Any) -> None:
    _base, ledger, database = portal
    sign_in(phone, ledger)
    phone.goto(phone.url + f"m/{ledger.due_soon}")
    phone.fill("#text", "双击提交的报告")
    statuses = phone.evaluate(
        """async () => {
            const form = document.querySelector('form.report-form');
            const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.status);
        }"""
    )
    assert statuses == [200, 200]  # both end on the measure page (after the redirect)
    assert count(database, Report) == 1


def test_the_form_errors_are_shown_next_to_their_fields(portal: Any, phone: Any) -> None:
    _base, ledger, database = portal
    sign_in(phone, ledger)
    phone.goto(phone.url + f"m/{ledger.due_soon}")
    phone.locator("#report button[type=submit]").click()
    phone.wait_for_selector("#text-error")
    assert phone.locator("#text-error").inner_text() == "请填写进展情况"
    phone.fill("#text", "附上一个不允许的文件")
    phone.set_input_files(
        "#evidence", files=[{"name": "程序.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"}]
    )
    phone.locator("#report button[type=submit]").click()
    phone.wait_for_selector("#evidence-error")
    assert "类型不能上传" in phone.locator("#evidence-error").inner_text()
    assert phone.input_value("#text") == "附上一个不允许的文件"  # what was typed is kept
    assert count(database, Report) == 0


def test_acknowledge_and_ask_for_an_extension(portal: Any, phone: Any) -> None:
    _base, ledger, database = portal
    sign_in(phone, ledger)
    phone.goto(phone.url + f"m/{ledger.overdue}")
    phone.locator("#ack button").click()
    phone.wait_for_selector("#done")
    assert "已签收" in phone.locator("#done").inner_text()
    assert phone.locator("#ack").count() == 0
    assert count(database, Acknowledgement) == 1

    phone.locator("#extension button").click()  # no date, no reason
    phone.wait_for_selector("#deadline-error")
    assert "请选择申请延至的日期" in phone.locator("#deadline-error").inner_text()
    later = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    phone.fill("#requested", later)
    phone.fill("#reason", "雨季施工受阻，需延期一个月")
    phone.locator("#extension button").click()
    phone.wait_for_selector("#done")
    assert "等待牵头部门审批" in phone.locator("#extension").inner_text()
    assert "延期申请（待审批）" in phone.locator("#timeline").inner_text()
    assert count(database, ExtensionRequest) == 1


def test_an_expired_and_a_revoked_link_are_refused(portal: Any, phone: Any) -> None:
    base, ledger, database = portal
    with database.unit_of_work() as session:
        key = signing_key(session, now=datetime.now(UTC))
        session.commit()
    stale = sign(key, LINK, ledger.token_ids["unit"], datetime.now(UTC) - timedelta(seconds=1))
    phone.goto(f"{base}/signin/{stale}")
    assert "链接已过期" in phone.locator("#signin-error, .error").first.inner_text()
    sign_in(phone, ledger)
    with database.unit_of_work() as session:
        revoke_token(session, str(ledger.token_ids["unit"]), now=datetime.now(UTC))
        session.commit()
    phone.goto(f"{base}/")
    assert phone.url.endswith("/signin")  # the session ended with its token
    phone.goto(ledger.links["unit"])
    assert "已被收回" in phone.locator(".error").first.inner_text()
