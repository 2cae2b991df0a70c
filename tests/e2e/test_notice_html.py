"""The HTML notice in a real browser (Debian's chromium through Playwright): it reads on a phone at
390 × 844, and printing it gives A4 pages with the 公文 margins."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.notice import NoticeDocument
from tasks.notice.text import render_html
from tests.factories import formal_notice
from tests.support.notice_screenshots import CHROMIUM, PHONE, SCREENSHOTS, seed_document
from tests.support.pdf_layout import (
    LINES_PER_PAGE,
    MM,
    TYPE_LEFT,
    TYPE_TOP,
    body_lines,
    page_number_line,
    pages_of_lines,
)

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed: apt-get install -y chromium"
)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> NoticeDocument:
    return seed_document(tmp_path_factory.mktemp("seed"))


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("formal", [False, True], ids=["seed", "with-masthead-and-imprint"])
def test_reads_on_a_phone_without_cut_off_or_tiny_text(
    phone: Any, seed: NoticeDocument, formal: bool
) -> None:
    document = (
        formal_notice(seed, signature="中共新华区城市管理综合行政执法局党组", date_line="2023年12月31日")
        if formal
        else seed
    )
    phone.set_content(render_html(document))
    phone.evaluate("document.fonts.ready")
    assert (
        phone.locator('meta[name="viewport"]').get_attribute("content")
        == "width=device-width, initial-scale=1"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    paragraphs = phone.evaluate(
        """() => [...document.querySelectorAll('p')].map(p => {
            const box = p.getBoundingClientRect();
            return {cls: p.className, left: box.left, right: box.right,
                    size: parseFloat(getComputedStyle(p).fontSize), text: p.textContent};
        })"""
    )
    # The 印发 line shows its two ends apart (flex) rather than with the text forms' spaces.
    expected = [text.replace("　　", "") for text in document.plain_paragraphs()]
    assert [p["text"] for p in paragraphs] == expected
    for paragraph in paragraphs:
        assert paragraph["left"] >= 0 and paragraph["right"] <= PHONE["width"], paragraph["cls"]
        assert paragraph["size"] >= 15, paragraph["cls"]


def test_fonts_latin_first_and_no_synthetic_bold_on_the_title(phone: Any, seed: NoticeDocument) -> None:
    phone.set_content(render_html(seed))
    phone.evaluate("document.fonts.ready")
    title = phone.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('p.title'));
                   return {weight: s.fontWeight, synthesis: s.fontSynthesis, family: s.fontFamily}; }"""
    )
    assert title["weight"] == "400" and title["synthesis"] == "none"
    assert title["family"].startswith('"Notice Latin", "Notice Xiaobiaosong"')
    body = phone.evaluate("getComputedStyle(document.querySelector('p.preamble')).fontFamily")
    assert body.startswith('"Notice Latin", 仿宋_GB2312')
    # Both faces found an installed font (Liberation Serif, Noto Serif CJK SC Bold here).
    faces = phone.evaluate("[...document.fonts].map(f => [f.family.replaceAll('\"', ''), f.status])")
    assert sorted(faces) == [["Notice Latin", "loaded"], ["Notice Xiaobiaosong", "loaded"]]


def test_printing_from_the_browser_gives_a4_pages_with_the_gongwen_margins(
    browser: Any, seed: NoticeDocument, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.set_content(render_html(seed))
    page.evaluate("document.fonts.ready")
    pdf = tmp_path / "printed.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    page.close()
    pages = pages_of_lines(pdf)
    assert len(pages) >= 3
    for number, lines in enumerate(pages, start=1):
        body = body_lines(lines)
        assert min(line.x0 for line in body) == pytest.approx(TYPE_LEFT, abs=1 * MM)
        # The first line's characters sit in its 28.95 pt line box, which starts at the type area's top.
        assert TYPE_TOP - 1 * MM <= body[0].top <= TYPE_TOP + 3 * MM, f"page {number}"
        number_line = page_number_line(lines)
        assert number_line is not None and number_line.text == f"—{number}—"
    # The lines keep the 28.95 pt pitch of 22 lines in the type area, 28 characters to the line.
    middle = body_lines(pages[1])
    assert len(middle) in (LINES_PER_PAGE - 1, LINES_PER_PAGE)
    baselines = [float(line.chars[0]["matrix"][5]) for line in middle]
    pitches = [a - b for a, b in itertools.pairwise(baselines)]
    assert sum(pitches) / len(pitches) == pytest.approx(28.95, abs=0.2)
    assert max(line.cells for line in middle if line.full_width_only) == 28


def test_the_phone_screenshot_is_kept_for_review() -> None:
    """docs/screenshots/notice-phone.png is made by ``python -m tests.support.notice_screenshots``."""
    from PIL import Image

    with Image.open(SCREENSHOTS / "notice-phone.png") as image:
        assert image.size == (PHONE["width"] * 2, PHONE["height"] * 2)
