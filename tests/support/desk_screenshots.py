"""Pictures of the coordinators' and leaders' desk at a desktop's 1366 × 900, for reviewers and the README.

    python -m tests.support.desk_screenshots [--out docs/screenshots]

Builds the desk's test ledger (tests/support/desk.py) in a temporary SQLite file, serves the app on a free
loopback port and opens it in Debian's chromium as a coordinator: the overview, the overview filtered to the
overdue measures, the review desk, the messages page, the ranking page, the recurring checks and a new weekly
check's preview; then as a leader, the overview
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
            _checks(base, page, shot)
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
