"""Pictures of the coordinators' and leaders' desk at a desktop's 1366 × 900, for reviewers and the README.

    python -m tests.support.desk_screenshots [--out docs/screenshots]

Builds the desk's test ledger (tests/support/desk.py) in a temporary SQLite file, serves the app on a free
loopback port and opens it in Debian's chromium as a coordinator: the overview, the overview filtered to the
overdue measures, the review desk, the messages page and the ranking page; then as a leader, the overview
(``desk-*.png``). The deadlines are relative to today, so the dates in the pictures are the day they were taken.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM = "/usr/bin/chromium"


def make_screenshots(out: Path) -> list[Path]:
    """Take the desk's pictures into ``out``."""
    from playwright.sync_api import sync_playwright

    from flows.web.app import create_app
    from models.db import Database
    from models.settings import Settings
    from tests.support.desk import build_desk_ledger
    from tests.support.loopback import free_port
    from tests.support.portal import portal_settings, serve_app

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="zhenggai-desk-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'desk.db'}"
        database = Database(database_url)
        database.upgrade()
        port = free_port()
        os.environ["ZHENGGAI_DATABASE_URL"] = database_url  # the app's get_database reads the settings' URL
        config = portal_settings(
            Settings(data_dir=Path(tmp), database_url=database_url), public_url=f"http://127.0.0.1:{port}"
        )
        ledger = build_desk_ledger(database, config)
        with serve_app(create_app(config), port) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for who in ("coordinator", "leader"):
                context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
                page = context.new_page()

                def shot(name: str, page: object = page) -> None:
                    page.evaluate("document.fonts.ready")  # type: ignore[attr-defined]
                    target = out / f"desk-{name}.png"
                    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
                    written.append(target)

                page.goto(base + ledger.links[who][ledger.links[who].index("/signin/") :])
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
            browser.close()
        database.dispose()
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
