"""Debian's chromium through Playwright, and the app served on a test ledger: what the browser tests and
the screenshot scripts (``tests/support/*_screenshots.py``) share.

``chromium()`` launches the browser; ``served_ledger`` builds a ledger with the portal's test settings and
serves the app on a free loopback port; ``scratch_served_ledger`` does the same in a temporary SQLite file
(for the screenshot scripts); ``capture`` writes a page's picture once its fonts are loaded, and
``screenshots_main`` is the screenshot scripts' command line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from models.db import Database
from models.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# A phone's page as the screenshots take it (the browser tests use the same without the scale factor).
PHONE_PAGE: dict[str, Any] = {
    "viewport": PHONE,
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
    reason="the browser tests need Debian's chromium at /usr/bin/chromium (apt install chromium)",
)

Ledger = TypeVar("Ledger")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, launched by Playwright (closed at the end)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@contextmanager
def served_ledger(
    settings: Settings, database: Database, build: Callable[[Database, Settings], Ledger]
) -> Iterator[tuple[str, Ledger]]:
    """``build``'s ledger in ``database`` and the app serving it on a free loopback port: (base URL, ledger)."""
    from flows.web.app import create_app
    from tests.support.loopback import free_port
    from tests.support.portal import portal_settings, serve_app

    port = free_port()
    config = portal_settings(settings, public_url=f"http://127.0.0.1:{port}")
    ledger = build(database, config)
    with serve_app(create_app(config), port) as base:
        yield base, ledger


@contextmanager
def scratch_served_ledger(
    prefix: str, build: Callable[[Database, Settings], Ledger]
) -> Iterator[tuple[str, Ledger]]:
    """``served_ledger`` in a new SQLite file in a temporary folder (removed at the end)."""
    with tempfile.TemporaryDirectory(prefix=f"zhenggai-{prefix}-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / f'{prefix}.db'}"
        database = Database(database_url)
        database.upgrade()
        os.environ["ZHENGGAI_DATABASE_URL"] = database_url  # the app's get_database reads the settings' URL
        settings = Settings(data_dir=Path(tmp), database_url=database_url)
        with served_ledger(settings, database, build) as served:
            yield served
        database.dispose()


def capture(page: Any, target: Path, full_page: bool = False) -> Path:
    """``page``'s picture in ``target``, once its fonts are loaded."""
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(target), full_page=full_page)
    return target


def screenshots_main(doc: str | None, make_screenshots: Callable[[Path], list[Path]]) -> None:
    """A screenshot script's command line (its help is the first paragraph of ``doc``): ``--out`` (default
    docs/screenshots), then each picture written, one a line."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n", 1)[0])
    parser.add_argument(
        "--out", type=Path, default=SCREENSHOTS, help="where to write (default docs/screenshots)"
    )
    arguments = parser.parse_args()
    for path in make_screenshots(arguments.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
