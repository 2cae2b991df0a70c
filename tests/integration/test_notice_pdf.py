"""The seed notice through LibreOffice: 22 body lines on every full page, page numbers outside, fonts mapped.

Needs LibreOffice (``soffice``) and poppler-utils (``pdftotext``, ``pdffonts``); see docs/notice.md for the
Debian packages. Skipped only when LibreOffice is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from models.db import Database
from tasks.notice.load import load_notice_document
from tasks.notice.pdf import DEBIAN_PACKAGES, soffice_path
from tasks.notice.render import render_notice
from tests.conftest import SEED_ROUND
from tests.support.work import settings_clock

pytestmark = pytest.mark.skipif(
    soffice_path() is None,
    reason=f"LibreOffice (soffice) is not installed: apt-get install -y {DEBIAN_PACKAGES}",
)
PAGE_NUMBER = re.compile(r"^(\s*)—\s*(\d+)\s*—\s*$")


def _poppler(tool: str, *args: str) -> str:
    assert shutil.which(tool), f"{tool} is missing: install poppler-utils alongside LibreOffice"
    return subprocess.run([tool, *args], capture_output=True, check=True, text=True).stdout


@pytest.fixture
def seed_pdf(sqlite_database: Database, seeded_database: Database, tmp_path: Path) -> Path:
    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, settings_clock().on(date(2023, 12, 31)))
    pdf = render_notice(document, "pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    return path


def _pages(pdf: Path) -> list[list[str]]:
    text = _poppler("pdftotext", "-layout", str(pdf), "-")
    return [[line for line in page.splitlines() if line.strip()] for page in text.split("\f") if page.strip()]


def test_full_pages_carry_22_body_lines_and_numbers_sit_in_outer_corners(seed_pdf: Path) -> None:
    pages = _pages(seed_pdf)
    assert len(pages) >= 3
    for number, lines in enumerate(pages, start=1):
        match = PAGE_NUMBER.match(lines[-1])
        assert match, f"page {number} ends with {lines[-1]!r}, not its page number"
        assert int(match.group(2)) == number
        # Odd pages: right (far from the left edge); even pages: left.
        indent = len(match.group(1))
        assert (indent > 20) if number % 2 else (indent < 5), f"page {number} number indent {indent}"
    # Page 1: the two title lines, a blank line (not printed), then 19 body lines: 22 grid lines.
    assert [line.strip() for line in pages[0][:2]] == [
        "中共新华区城市管理综合行政执法局党组",
        "关于巡察整改进展情况的通报",
    ]
    assert len(pages[0]) - 1 == 21
    for number, lines in enumerate(pages[1:-1], start=2):
        assert len(lines) - 1 == 22, f"page {number} has {len(lines) - 1} body lines"


def test_the_gongwen_fonts_are_mapped_to_free_fonts(seed_pdf: Path) -> None:
    fonts = _poppler("pdffonts", str(seed_pdf))
    for family in ("UMingCN", "NotoSerifCJK", "NotoSansCJK", "GBZenKai", "LiberationSerif"):
        assert family in fonts, f"{family} not embedded:\n{fonts}"
