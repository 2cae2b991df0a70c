"""Pictures of the coordinators' and leaders' desk at a desktop's 1366 × 900, for reviewers and the README.

    python -m tests.support.desk_screenshots [--out docs/screenshots]

Builds the desk's test ledger (tests/support/desk.py) in a temporary SQLite file, serves the app on a free
loopback port and opens it in Debian's chromium as a coordinator: the overview, the overview filtered to the
overdue measures, the review desk, the messages page, the ranking page, the recurring checks and a new weekly
check's preview; then as a leader, the overview
(``desk-*.png``). A second ledger closes in two steps (分管领导确认, then 销号) and has unit contacts reached at a
loopback JSON receiver: the review desk after a confirmation (``desk-review-steps.png``) and the contacts page
after a test message (``desk-contacts.png``). On the notice's ledger (tests/support/desk_notice.py): the notice page, a draft with an
edited paragraph, and the comparison of two versions (``desk-notice*.png``). The deadlines are relative to today,
so the dates in the pictures are the day they were taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.browser import (
    DESKTOP,
    capture,
    chromium,
    scratch_served_ledger,
    screenshots_main,
)
from tests.support.portal import link_path


def make_screenshots(out: Path) -> list[Path]:
    """Take the desk's pictures into ``out``."""
    from tests.support.desk import build_desk_ledger

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with scratch_served_ledger("desk", build_desk_ledger) as (base, ledger), chromium() as browser:
        for who in ("coordinator", "leader"):
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()

            def shot(name: str, page: Any = page) -> None:
                written.append(capture(page, out / f"desk-{name}.png", full_page=True))

            page.goto(base + link_path(ledger.links[who]))
            if who == "leader":
                shot("leader")
                context.close()
                continue
            shot("overview")
            page.goto(f"{base}/desk?state=overdue#measures")
            shot("overdue")
            page.goto(f"{base}/desk/review")
            shot("review")
            page.goto(f"{base}/desk/messages")
            shot("messages")
            page.goto(f"{base}/desk/ranking")
            shot("ranking")
            _checks(base, page, shot)
            context.close()
        written += notice_screenshots(browser, out)
    written += _two_step_and_contacts(out)
    return written


def _two_step_and_contacts(out: Path) -> list[Path]:
    """The review desk of a two-step round after a confirmation, and the contacts page after a test message."""
    from models.db import Database
    from models.settings import Settings
    from tests.support.desk import DeskLedger, add_unit_contacts, build_desk_ledger
    from tests.support.loopback import JsonReceiver

    written: list[Path] = []
    with JsonReceiver() as receiver:
        receiver.dead.add("/gone")

        def build(database: Database, settings: Settings) -> DeskLedger:
            ledger = build_desk_ledger(database, settings, review_steps=["分管领导确认", "销号"])
            add_unit_contacts(database, ledger, f"json://127.0.0.1:{receiver.port}")
            return ledger

        with scratch_served_ledger("desk-steps", build) as (base, ledger), chromium() as browser:
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()
            page.goto(base + link_path(ledger.links["confirmer"]))
            page.goto(f"{base}/desk/review")
            claim = page.locator(f"#claim-{ledger.claimed}")
            claim.locator("form.confirm textarea[name=note]").fill("已审阅台账，同意销号")
            claim.locator("form.confirm button").click()
            page.wait_for_selector("#done")
            written.append(capture(page, out / "desk-review-steps.png", full_page=True))
            page.goto(f"{base}/desk/contacts")
            page.locator("#contact-jd-liaison form.test-send button").click()
            page.wait_for_selector("#outcome")
            page.locator("#contact-jd-gone form.test-send button").click()
            page.wait_for_selector("#outcome")
            written.append(capture(page, out / "desk-contacts.png", full_page=True))
            context.close()
    return written


def notice_screenshots(browser: Any, out: Path) -> list[Path]:
    """The notice's pages as a coordinator sees them, after an edit of the draft's first 整改成效."""
    from tests.support.desk_notice import build_notice_desk_ledger

    written: list[Path] = []
    with scratch_served_ledger("desk-notice", build_notice_desk_ledger) as (base, ledger):
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        page.goto(base + link_path(ledger.desk.links["coordinator"]))
        page.goto(f"{base}/desk/notice")
        written.append(capture(page, out / "desk-notice.png", full_page=True))
        page.goto(f"{base}/desk/notice/drafts/{ledger.draft_id}")
        paragraph = page.locator("#p-problem-1-outcome")
        paragraph.locator("details.edit summary").click()
        paragraph.locator("textarea[name=text]").fill(
            "一是开展占道经营专项整治，取缔流动摊点23处。二是清理背街小巷乱堆乱放。"
        )
        paragraph.locator("form.edit-form button").click()
        page.wait_for_selector("#done")
        written.append(capture(page, out / "desk-notice-draft.png", full_page=True))
        first, second = ledger.versions
        page.goto(f"{base}/desk/notice/diff?round={ledger.round_code}&a={first}&b={second}")
        written.append(capture(page, out / "desk-notice-diff.png", full_page=True))
        context.close()
    return written


def _checks(base: str, page: Any, shot: Any) -> None:
    """定期检查与完成时限 and a weekly check's preview skipping a holiday (imported after the other pictures,
    which stay as they were)."""
    import os

    from models.db import Database
    from tests.support.desk_checks import holiday_monday

    database = Database(os.environ["ZHENGGAI_DATABASE_URL"])
    try:
        from models.settings import Settings

        holiday_monday(database, Settings().clock().today)
    finally:
        database.dispose()
    page.goto(f"{base}/desk/checks")
    shot("checks")
    query = "problem=1&text=每周召开市容管理周例会，通报整改进度&lead_unit=jiedao-a&cadence=每周一 09:00&preview=1"
    page.goto(f"{base}/desk/checks/new?{query}")
    shot("check-new")


def main() -> None:
    screenshots_main(__doc__, make_screenshots)


if __name__ == "__main__":
    main()
