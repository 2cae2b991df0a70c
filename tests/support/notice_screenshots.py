"""Pictures of the seed notice for reviewers: the PDF's pages and the HTML on a phone, in docs/screenshots/.

    python -m tests.support.notice_screenshots [--out docs/screenshots]

Loads examples/xinhua-2023 into a temporary SQLite ledger, renders the notice as of 2023-12-31, converts
the PDF's pages with ``pdftoppm`` (``notice-page-N.png``, 96 dpi) and opens the HTML in Debian's chromium
at 390 × 844 (``notice-phone.png``). Needs LibreOffice, poppler-utils and chromium. The tests call the
same functions with a temporary folder and measure the results.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from pathlib import Path

from models.db import Database
from models.notice import NoticeDocument
from tests.support.browser import (
    CHROMIUM,
    PHONE,
    PHONE_PAGE,
    ROOT,
    SCREENSHOTS,
    capture,
    chromium,
    screenshots_main,
)

EXAMPLE = ROOT / "examples" / "xinhua-2023"
PAGE_DPI = 96
__all__ = ["CHROMIUM", "PHONE", "SCREENSHOTS", "make_screenshots", "page_images", "seed_document"]


def seed_document(work: Path) -> NoticeDocument:
    """The seed notice as of 2023-12-31, from the example plan and reports in a new ledger under ``work``."""
    from tasks.ledger.plan_load import load_plan_file
    from tasks.notice.load import load_notice_document
    from tasks.reports.record import load_reports_file
    from tests.support.work import committed, settings_clock

    database = Database(f"sqlite:///{work / 'seed.db'}")
    database.upgrade()
    clock = settings_clock()
    committed(database, load_plan_file, EXAMPLE / "plan.yaml", clock)
    committed(database, load_reports_file, EXAMPLE / "reports.yaml", clock)
    with database.unit_of_work() as session:
        document = load_notice_document(session, "xinhua-2023-xc2", clock.on(date(2023, 12, 31)))
    database.dispose()
    return document


def page_images(pdf: Path, out: Path, dpi: int = PAGE_DPI) -> list[Path]:
    """Each page of the PDF as ``notice-page-N.png`` in ``out`` (older page images there are removed)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("notice-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / "notice-page")],
        check=True,
        capture_output=True,
    )
    # pdftoppm numbers pages with as many digits as the last page needs: name them plainly.
    from PIL import Image

    images = []
    for path in sorted(out.glob("notice-page-*.png")):
        number = int(path.stem.rsplit("-", 1)[1])
        target = out / f"notice-page-{number}.png"
        # Grey levels are all the black text needs, at a third of the size.
        with Image.open(path) as image:
            grey = image.convert("L")
        path.unlink()
        grey.save(target, optimize=True)
        images.append(target)
    return sorted(images, key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def phone_screenshot(html: str, target: Path) -> None:
    """The HTML notice in chromium at 390 × 844 (a phone), the first screen."""
    with chromium() as browser:
        page = browser.new_page(**PHONE_PAGE)
        page.set_content(html)
        capture(page, target)


def make_screenshots(out: Path) -> list[Path]:
    """Render the seed notice and write the page images and the phone screenshot into ``out``."""
    from tasks.notice.render import render_notice

    with tempfile.TemporaryDirectory(prefix="zhenggai-screenshots-") as tmp:
        work = Path(tmp)
        document = seed_document(work)
        pdf = render_notice(document, "pdf")
        assert isinstance(pdf, bytes)
        (work / "notice.pdf").write_bytes(pdf)
        written = page_images(work / "notice.pdf", out)
        html = render_notice(document, "html")
        assert isinstance(html, str)
        phone_screenshot(html, out / "notice-phone.png")
        written.append(out / "notice-phone.png")
    return written


def main() -> None:
    screenshots_main(__doc__, make_screenshots)


if __name__ == "__main__":
    main()
