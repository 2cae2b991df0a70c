"""The GB/T 9704-2012 measures a DOCX notice is built to: fonts, sizes, the page and its margins, the line
pitch and the spacing between characters; the type area's width and a text's printed width.

A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (type area 156 × 225 mm); 22 lines of
28.95 pt fill a page; title 2号 (22 pt) 方正小标宋简体; body 3号 (16 pt) 仿宋_GB2312; 一、 headings 黑体; the
整改成效 label 楷体_GB2312; Latin text Times New Roman; page numbers 4号 宋体 (see docs/notice.md).
"""

from __future__ import annotations

from models.notice import RunStyle

LATIN_FONT = "Times New Roman"
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LABEL_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"

BODY_SIZE_PT = 16.0  # 3号
TITLE_SIZE_PT = 22.0  # 2号
PAGE_NUMBER_SIZE_PT = 14.0  # 4号
TABLE_SIZE_PT = 14.0  # 4号: tables and captions
LINE_PITCH_PT = 28.95  # exact line spacing: 22 lines in the 225 mm type area
# −0.4 pt (−8 twentieths of a point) between characters: 28 × 15.6 = 436.8 pt fit the 442.2 pt (156 mm)
# line in LibreOffice, Word and WPS alike and 29 do not, where 16 pt characters give 27 (see docs/notice.md).
CHARACTER_SPACING_TWIPS = -8
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# The page number's 一字线 (the dashes of — 1 —) sits 7 mm below the type area, 28 mm above the page's bottom
# edge. Word and LibreOffice put the bottom of the footer's line box FOOTER_DISTANCE_MM above that edge, and
# the dashes of a 4号 宋体 line (FandolSong in the PDF) sit 2.9 mm above the box's bottom: 35 − 7 − 2.9.
FOOTER_DISTANCE_MM = 25.1

RUN_FONTS = {
    RunStyle.BODY: BODY_FONT,
    RunStyle.HEADING: HEADING_FONT,
    RunStyle.LABEL: LABEL_FONT,
    RunStyle.MISSING: BODY_FONT,
}

# Word on a PC without the 公文 fonts substitutes by the font table: each name, the font to use instead
# (w:altName) and its character set (86 = GB2312) and family. (name, altName, family, pitch)
FONT_TABLE = (
    (BODY_FONT, "仿宋", "modern", "fixed"),
    (LABEL_FONT, "楷体", "modern", "fixed"),
    (TITLE_FONT, "宋体", "roman", "variable"),
    (HEADING_FONT, "SimHei", "modern", "fixed"),
    (PAGE_NUMBER_FONT, "SimSun", "auto", "variable"),
)


def type_area_width_mm() -> float:
    """The width of the type area (156 mm)."""
    return PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]


def type_area_width_pt() -> float:
    """The width of the type area in points (442.2 pt)."""
    return type_area_width_mm() / 25.4 * 72


def text_width_pt(
    text: str, size_pt: float = BODY_SIZE_PT, spacing_twips: int = CHARACTER_SPACING_TWIPS
) -> float:
    """Printed width of body text: full-width characters one em, ASCII half an em, plus the spacing."""
    spacing = spacing_twips / 20
    return sum((size_pt / 2 if ord(ch) < 0x2000 else size_pt) + spacing for ch in text)
