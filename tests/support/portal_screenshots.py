"""Pictures of the units' portal on a phone (390 × 844) for reviewers and the README, in docs/screenshots/.

    python -m tests.support.portal_screenshots [--out docs/screenshots]

Builds the portal's test ledger (tests/support/portal.py) in a temporary SQLite file, serves the app on a
free loopback port and opens it in Debian's chromium: the sign-in page, 我的任务, a measure's page with a
report and its photo, and the report form refusing an empty text (``portal-*.png``). The deadlines are
relative to today, so the dates in the pictures are the day they were taken.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.support.browser import PHONE_PAGE, capture, chromium, scratch_served_ledger

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


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
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--out", type=Path, default=SCREENSHOTS, help="where to write (default docs/screenshots)"
    )
    arguments = parser.parse_args()
    for path in make_screenshots(arguments.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
