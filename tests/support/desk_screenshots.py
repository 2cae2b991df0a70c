"""Pictures of the coordinators' and leaders' desk at a desktop's 1366 × 900, for reviewers and the README.

    python -m tests.support.desk_screenshots [--out docs/screenshots]

Builds the desk's test ledger (tests/support/desk.py) in a temporary SQLite file, serves the app on a free
loopback port and opens it in Debian's chromium as a coordinator: the overview, the overview filtered to the
overdue measures, the review desk, the messages page and the ranking page; then as a leader, the overview
(``desk-*.png``). The deadlines are relative to today, so the dates in the pictures are the day they were taken.
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
            context.close()
    return written


def main() -> None:
    screenshots_main(__doc__, make_screenshots)


if __name__ == "__main__":
    main()
