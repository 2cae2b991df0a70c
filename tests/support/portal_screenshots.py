"""Pictures of the units' portal on a phone (390 × 844) for reviewers and the README, in docs/screenshots/.

    python -m tests.support.portal_screenshots [--out docs/screenshots]

Builds the portal's test ledger (tests/support/portal.py) in a temporary SQLite file, serves the app on a
free loopback port and opens it in Debian's chromium: the sign-in page, 我的任务, a measure's page with a
report and its photo, the report form refusing an empty text, and a 督办单 signed and replied to
(``portal-*.png``). The deadlines are
relative to today, so the dates in the pictures are the day they were taken.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.browser import (
    PHONE_PAGE,
    capture,
    chromium,
    scratch_served_ledger,
    screenshots_main,
)


def make_screenshots(out: Path) -> list[Path]:
    """Take the portal's pictures into ``out``."""
    from tests.support.portal import build_portal_ledger, photo_bytes

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with scratch_served_ledger("portal", build_portal_ledger) as (base, ledger), chromium() as browser:
        page = browser.new_page(**PHONE_PAGE)

        def shot(name: str, full: bool = False) -> None:
            written.append(capture(page, out / f"portal-{name}.png", full_page=full))

        page.goto(f"{base}/signin")
        shot("signin")
        page.goto(ledger.links["unit"])
        shot("home")
        page.goto(f"{base}/m/{ledger.due_soon}")
        page.locator("#report button[type=submit]").click()
        page.wait_for_selector("#text-error")
        page.locator("#text-error").scroll_into_view_if_needed()
        shot("form-error")
        page.fill("#text", "本周清理占道摊点12处，建立巡查台账，现场照片见附件。")
        page.locator("input[name=metric_name]").first.fill("清理摊点")
        page.locator("input[name=metric_value]").first.fill("12")
        page.locator("input[name=metric_unit]").first.fill("处")
        page.set_input_files(
            "#evidence",
            files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}],
        )
        page.locator("#report button[type=submit]").click()
        page.wait_for_selector("#done")
        page.locator("#ack button").click()
        page.wait_for_selector("#done")
        page.evaluate("window.scrollTo(0, 0)")
        shot("measure")
        page.locator("#timeline").scroll_into_view_if_needed()
        shot("timeline")
    written += _duban_screenshots(out)
    return written


def _duban_screenshots(out: Path) -> list[Path]:
    """A unit's 督办单 page after it signed and replied (``portal-duban.png``)."""
    from tests.support.duban import build_duban_portal

    with scratch_served_ledger("duban", build_duban_portal) as (_base, ledger), chromium() as browser:
        page = browser.new_page(**PHONE_PAGE)
        page.goto(f"{ledger.portal.links['unit']}?next=/duban/{ledger.refs[0]}")
        page.locator("#answers form[action$='/ack'] button").click()
        page.wait_for_selector("#done")
        page.fill("#text", "已清理背街小巷堆放点23处，长效保洁机制本月底前建立。")
        page.locator(".reply-form button").click()
        page.wait_for_selector("#done")
        page.evaluate("window.scrollTo(0, 0)")
        return [capture(page, out / "portal-duban.png", full_page=True)]


def main() -> None:
    screenshots_main(__doc__, make_screenshots)


if __name__ == "__main__":
    main()
