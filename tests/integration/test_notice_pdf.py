"""The seed notice through LibreOffice, measured as printed: 28 characters × 22 lines, nothing hanging into
the margin, page numbers 7 mm under the type area in 宋体, the 公文 fonts (Fandol when present).

Needs LibreOffice (``soffice``) and poppler-utils (``pdftoppm``); see docs/notice.md for the Debian
packages. Skipped only when LibreOffice is absent.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.notice import NoticeDocument
from models.settings import Settings
from tasks.ledger.plan_load import load_plan_file
from tasks.notice.docx import render_docx
from tasks.notice.docx_layout import CHARACTER_SPACING_TWIPS
from tasks.notice.load import load_notice_document
from tasks.notice.pdf import DEBIAN_PACKAGES, describe_pdf_fonts, docx_to_pdf, pdf_fonts, soffice_path
from tasks.notice.render import render_notice
from tasks.reports.record import load_reports_file
from tests.conftest import EXAMPLE_DIR, SEED_ROUND
from tests.factories import formal_notice
from tests.support.pdf_layout import (
    CELLS_PER_LINE,
    LINES_PER_PAGE,
    MM,
    TYPE_BOTTOM,
    TYPE_LEFT,
    TYPE_RIGHT,
    TYPE_TOP,
    TYPE_WIDTH,
    Line,
    body_lines,
    carried_over,
    dash_ink_top,
    full_lines,
    ink_bottom,
    ink_top,
    natural_width,
    next_unit_width,
    page_number_line,
    pages_of_lines,
)
from tests.support.work import committed, settings_clock

pytestmark = pytest.mark.skipif(
    soffice_path() is None,
    reason=f"LibreOffice (soffice) is not installed: apt-get install -y {DEBIAN_PACKAGES}",
)
PAGE_NUMBER = re.compile(r"^—(\d+)—$")
SPACING_PT = CHARACTER_SPACING_TWIPS / 20
FANDOL = ("FandolFang-Regular", "FandolKai-Regular", "FandolHei-Regular", "FandolSong-Regular")


def _fandol_installed() -> bool:
    fonts_dir = Settings().fonts_dir
    return all((fonts_dir / f"{name}.otf").is_file() for name in FANDOL)


@pytest.fixture(scope="module")
def seed_document(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NoticeDocument]:
    """The seed notice as of 2023-12-31, from the example plan and reports (one ledger for the module)."""
    path = tmp_path_factory.mktemp("seed") / "zhenggai.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    clock = settings_clock()
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", clock)
    committed(database, load_reports_file, EXAMPLE_DIR / "reports.yaml", clock)
    with database.unit_of_work() as session:
        yield load_notice_document(session, SEED_ROUND, clock.on(date(2023, 12, 31)))
    database.dispose()


@pytest.fixture(scope="module")
def seed_pdf(seed_document: NoticeDocument, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf = render_notice(seed_document, "pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    path = tmp_path_factory.mktemp("pdf") / "notice.pdf"
    path.write_bytes(pdf)
    return path


@pytest.fixture(scope="module")
def pages(seed_pdf: Path) -> list[list[Line]]:
    return pages_of_lines(seed_pdf)


def test_full_pages_carry_22_lines_and_numbers_sit_in_outer_corners(pages: list[list[Line]]) -> None:
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        line = page_number_line(page)
        assert line is not None, f"page {number} has no page number"
        match = PAGE_NUMBER.match(line.text)
        assert match and int(match.group(1)) == number, line.text
        # Odd pages: right, one character in; even pages: left, one character in.
        if number % 2:
            assert line.x1 == pytest.approx(TYPE_RIGHT - 14, abs=1.5), f"page {number}"
        else:
            assert line.x0 == pytest.approx(TYPE_LEFT + 14, abs=1.5), f"page {number}"
    # Page 1: the two title lines, a blank line (not printed), then 19 body lines: 22 grid lines.
    first = body_lines(pages[0])
    assert [line.text for line in first[:2]] == [
        "中共新华区城市管理综合行政执法局党组",
        "关于巡察整改进展情况的通报",
    ]
    assert len(first) - 2 == LINES_PER_PAGE - 3
    for number, page in enumerate(pages[1:-1], start=2):
        assert len(body_lines(page)) == LINES_PER_PAGE, f"page {number}"
    # The lines sit on a 28.95 pt grid from the top of the type area.
    baselines = [float(line.chars[0]["matrix"][5]) for line in body_lines(pages[1])]
    pitches = {round(a - b, 1) for a, b in itertools.pairwise(baselines)}
    assert pitches <= {28.9, 29.0}, pitches


def test_every_full_line_holds_28_characters_and_none_hangs_into_the_margin(pages: list[list[Line]]) -> None:
    """A full line (one its paragraph continues after) holds 28 characters: 28 full-width ones, counting a
    first line's two-character indent; 27 when the 28th went to the next line with the punctuation that may
    not start a line (or an opening mark that may not end one); with digits or Latin words, as many as fit.
    No character passes the right edge of the type area."""
    checked = carried = mixed = 0
    for line, following in full_lines(pages):
        checked += 1
        where = f"page {line.page}: {line.text}"
        assert line.x1 <= TYPE_RIGHT + 0.5, (
            f"hangs {(line.x1 - TYPE_RIGHT) / MM:.1f} mm into the margin: {where}"
        )
        assert line.x0 >= TYPE_LEFT - 0.5, where
        if line.full_width_only:
            if line.cells == CELLS_PER_LINE - 1 and carried_over(following):
                carried += 1
            else:
                assert line.cells == CELLS_PER_LINE, f"{line.cells} characters: {where}"
        else:
            mixed += 1
            room = TYPE_WIDTH - natural_width(line, SPACING_PT)
            assert room < next_unit_width(following) + SPACING_PT, f"room for more: {where}"
    assert checked > 100
    # Carrying a character over is the exception, not the rule.
    assert carried < checked / 5, (carried, checked)
    assert mixed > 5


def test_page_number_dashes_sit_7_mm_below_the_type_area_in_song(
    seed_pdf: Path, pages: list[list[Line]]
) -> None:
    for page in pages[:2]:
        line = page_number_line(page)
        assert line is not None
        assert {round(float(char["size"])) for char in line.chars} == {14}  # 4号
        fonts = {str(char["fontname"]).split("+", 1)[-1] for char in line.chars}
        song = "FandolSong-Regular" if _fandol_installed() else "NotoSerifCJK"
        assert all(font.startswith(song) for font in fonts), fonts
        below_mm = (dash_ink_top(seed_pdf, line) - TYPE_BOTTOM) / MM
        assert below_mm == pytest.approx(7, abs=0.3)


def test_shared_punctuation_stays_in_the_chinese_font(pages: list[list[Line]]) -> None:
    """In “6·21” the quotes and the middle dot are the CJK font's; only the digits are Times New Roman."""
    chars = [char for page in pages for line in page for char in line.chars]
    text = "".join(str(char["text"]) for char in chars)
    start = text.index("“6·21”")
    fonts = [str(char["fontname"]).split("+", 1)[-1] for char in chars[start : start + 6]]
    latin = "LiberationSerif"
    assert [font.startswith(latin) for font in fonts] == [False, True, False, True, True, False], fonts
    for char in chars:
        if str(char["text"]) in "，。、；：？！（）《》“”‘’·…—" and float(char["size"]) == 16:
            assert not str(char["fontname"]).split("+", 1)[-1].startswith(latin), char["text"]


def test_the_gongwen_fonts_are_fandol_when_present(seed_pdf: Path) -> None:
    fonts = pdf_fonts(seed_pdf.read_bytes())
    if _fandol_installed():
        expected = [*FANDOL, "NotoSerifCJK", "LiberationSerif"]
    else:
        expected = ["UMingCN", "GBZenKai", "NotoSansCJK", "NotoSerifCJK", "LiberationSerif"]
    for family in expected:
        assert any(font.startswith(family) for font in fonts), f"{family} not embedded: {fonts}"


def test_without_the_fandol_fonts_the_fallbacks_are_used_and_named(
    seed_document: NoticeDocument, tmp_path: Path
) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    pdf = docx_to_pdf(render_docx(seed_document), fonts_dir=empty)
    fonts = pdf_fonts(pdf)
    assert not any(font.startswith("Fandol") for font in fonts)
    for family in ("UMingCN", "GBZenKai", "NotoSansCJK", "NotoSerifCJK", "LiberationSerif"):
        assert any(font.startswith(family) for font in fonts), f"{family} not embedded: {fonts}"
    line = describe_pdf_fonts(pdf, empty)
    assert line.startswith("PDF fonts: ") and "UMingCN" in line
    assert f"the Fandol fonts were not found in {empty}" in line


@pytest.fixture(scope="module")
def formal_pdf(seed_document: NoticeDocument, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed notice with a 版头 and a 版记."""
    copy_to = "区委巡察办，区纪委监委驻区城管局纪检监察组，区委第二巡察组，各街道办事处，局属各单位"
    document = formal_notice(seed_document, copy_to=copy_to)
    path = tmp_path_factory.mktemp("formal") / "notice.pdf"
    path.write_bytes(docx_to_pdf(render_docx(document)))
    return path


def _rules(pdf: Path, page: int) -> list[dict[str, Any]]:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        found = document.pages[page - 1]
        # A border may come as a line and as a thin rectangle: one rule per position.
        rules = {(round(r["top"], 1), round(r["x0"]), round(r["x1"])): r for r in found.lines + found.rects}
        return [rules[key] for key in sorted(rules)]


def test_masthead_sits_35_mm_into_the_type_area_with_the_red_line_4_mm_under_the_number(
    formal_pdf: Path,
) -> None:
    first = pages_of_lines(formal_pdf)[0]
    masthead, number, issuer = first[:3]
    assert masthead.text == "中共新华区城市管理综合行政执法局党组文件"
    assert {char["non_stroking_color"] for char in masthead.chars} == {(1.0, 0.0, 0.0)}
    assert (ink_top(formal_pdf, masthead) - TYPE_TOP) / MM == pytest.approx(35, abs=0.5)
    [red] = _rules(formal_pdf, 1)
    assert red["stroking_color"] == (1.0, 0.0, 0.0)
    assert (red["x0"], red["x1"]) == (pytest.approx(TYPE_LEFT, abs=0.5), pytest.approx(TYPE_RIGHT, abs=0.5))
    assert (red["top"] - ink_bottom(formal_pdf, number)) / MM == pytest.approx(4, abs=0.5)
    assert number.text == "新城执党〔2024〕3号" and issuer.text == "中共新华区城市管理综合行政执法局党组"
    assert issuer.top > red["top"] + 2 * 28.95 - 8  # the title two lines under the red line


def test_imprint_ends_on_the_bottom_edge_of_the_last_page_between_full_width_rules(formal_pdf: Path) -> None:
    pages = pages_of_lines(formal_pdf)
    last = len(pages)
    rules = _rules(formal_pdf, last)
    assert [round(float(rule["linewidth"]), 2) for rule in rules] == [1.0, 0.75, 1.0]
    for rule in rules:
        assert rule["x0"] == pytest.approx(TYPE_LEFT, abs=0.5) and rule["x1"] == pytest.approx(
            TYPE_RIGHT, abs=0.5
        )
    assert rules[-1]["top"] == pytest.approx(TYPE_BOTTOM, abs=1.0)
    lines = [line for line in pages[-1] if rules[0]["top"] < line.top < rules[-1]["top"]]
    assert lines[0].text.startswith("抄送：区委巡察办") and lines[0].size == 14
    assert lines[0].x0 == pytest.approx(TYPE_LEFT + 14, abs=1)  # one character in
    printed = lines[-1]
    assert printed.text == "中共新华区城市管理综合行政执法局办公室2024年1月5日印发"
    assert printed.x0 == pytest.approx(TYPE_LEFT + 14, abs=1)
    assert printed.x1 == pytest.approx(TYPE_RIGHT - 14, abs=1)
    # The body above keeps clear of the 版记.
    assert all(line.bottom < rules[0]["top"] for line in body_lines(pages[-1]) if line.size == 16)


def test_page_images_are_kept_for_review_and_match_the_measured_pages(
    seed_pdf: Path, pages: list[list[Line]], tmp_path: Path
) -> None:
    """The page images (docs/screenshots, made by ``python -m tests.support.notice_screenshots``) are the
    PDF's pages; what they show is checked on the PDF's text boxes: margins, lines per page."""
    from PIL import Image

    from tests.support.notice_screenshots import PAGE_DPI, SCREENSHOTS, page_images

    images = page_images(seed_pdf, tmp_path)
    a4 = (round(210 / 25.4 * PAGE_DPI), round(297 / 25.4 * PAGE_DPI))
    assert len(images) == len(pages)
    kept = sorted(SCREENSHOTS.glob("notice-page-*.png"))
    assert len(kept) == len(pages), "run python -m tests.support.notice_screenshots"
    for image in [*images, *kept]:
        with Image.open(image) as opened:
            assert opened.size == a4, image
    for number, page in enumerate(pages, start=1):
        body = body_lines(page)
        left = min(line.x0 for line in body if line.size != 22)
        assert left == pytest.approx(TYPE_LEFT, abs=1), f"page {number} left margin {left / MM:.1f} mm"
        assert max(line.x1 for line in body) <= TYPE_RIGHT + 0.5
        assert body[0].top >= TYPE_TOP - 1, (
            f"page {number} starts {(TYPE_TOP - body[0].top) / MM:.1f} mm high"
        )
        assert body[-1].bottom <= TYPE_BOTTOM + 1, f"page {number} ends in the bottom margin"
        if 1 < number < len(pages):
            assert max(line.x1 for line in body) >= TYPE_RIGHT - 1
            assert len(body) == LINES_PER_PAGE
