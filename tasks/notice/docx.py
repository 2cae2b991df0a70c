"""Render a ``NoticeDocument`` as a GB/T 9704-2012 DOCX with python-docx; returns the file's bytes.

Layout (see docs/notice.md): A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (type area
156 × 225 mm); a line-only document grid of 28.95 pt so that 22 lines fill a page; title 2号 (22 pt)
方正小标宋简体 centred with snap-to-grid off; body 3号 (16 pt) 仿宋_GB2312 justified with a first-line
indent of two characters; 一、 headings 黑体; the 整改成效 label 楷体_GB2312; Latin text Times New Roman;
page numbers "— 1 —" in 4号 宋体, odd pages right and even pages left, one character in.

python-docx writes only ``w:ascii``/``w:hAnsi``: every style and every run here also gets ``w:eastAsia``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from models.notice import BlockKind, NoticeDocument, Run, RunStyle
from tasks.notice.docx_package import describe_file, localise_package

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.shared import Length
    from docx.text.paragraph import Paragraph

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
# −0.25 pt between characters: 28 × (16 − 0.25) = 441 pt fits the 442.2 pt (156 mm) line in LibreOffice,
# Word and WPS alike, where 16 pt characters give 27 (see docs/notice.md).
CHARACTER_SPACING_TWIPS = -8
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# The page number's 一字线 (the dashes of — 1 —) sits 7 mm below the type area, 28 mm above the page's bottom
# edge. Word and LibreOffice put the bottom of the footer's line box FOOTER_DISTANCE_MM above that edge, and
# the dashes of a 4号 宋体 line (FandolSong in the PDF) sit 2.9 mm above the box's bottom: 35 − 7 − 2.9.
FOOTER_DISTANCE_MM = 25.1

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"

_RUN_FONTS = {
    RunStyle.BODY: BODY_FONT,
    RunStyle.HEADING: HEADING_FONT,
    RunStyle.LABEL: LABEL_FONT,
    RunStyle.MISSING: BODY_FONT,
}


def _set_fonts(r_pr: object, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set ascii/hAnsi to the Latin font and eastAsia to the CJK font on an ``w:rPr`` element."""
    from docx.oxml.ns import qn

    r_fonts = r_pr.get_or_add_rFonts()  # type: ignore[attr-defined]
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if r_fonts.get(qn(theme)) is not None:
            del r_fonts.attrib[qn(theme)]
    r_fonts.set(qn("w:ascii"), latin)
    r_fonts.set(qn("w:hAnsi"), latin)
    r_fonts.set(qn("w:cs"), latin)
    r_fonts.set(qn("w:eastAsia"), east_asia)
    r_fonts.set(qn("w:hint"), "eastAsia")


def _shared_punctuation(char: str) -> bool:
    """Punctuation that Chinese and Latin text share (“ ” ‘ ’ · — …): set in the CJK font.

    Word follows ``w:hint="eastAsia"`` for them, LibreOffice does not: it gives them the script of the
    neighbouring characters, so the ” after the digits of “6·21” came out in Times New Roman. A run of
    its own whose Latin fonts are the CJK font keeps them Chinese in both.
    """
    import unicodedata

    return unicodedata.east_asian_width(char) == "A" and unicodedata.category(char)[0] in "PS"


def _segments(text: str) -> list[tuple[str, bool]]:
    """Split text into (segment, shared punctuation?) pieces, in order."""
    pieces: list[tuple[str, bool]] = []
    for char in text:
        shared = _shared_punctuation(char)
        if pieces and pieces[-1][1] == shared:
            pieces[-1] = (pieces[-1][0] + char, shared)
        else:
            pieces.append((char, shared))
    return pieces


def _add_run(
    paragraph: Paragraph,
    text: str,
    east_asia: str,
    size_pt: float,
    *,
    highlight: bool = False,
    spacing_twips: int | None = None,
    latin: str = LATIN_FONT,
) -> None:
    """Add ``text`` as runs: shared punctuation in runs set wholly in the CJK font, the rest Latin/CJK."""
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    for segment, shared in _segments(text):
        run = paragraph.add_run(segment)
        r_pr = run._r.get_or_add_rPr()
        _set_fonts(r_pr, east_asia, east_asia if shared else latin)
        if spacing_twips is not None:
            _character_spacing(r_pr, spacing_twips)
        run.font.size = Pt(size_pt)
        if highlight:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            run.font.bold = True


def _exact_spacing(paragraph: Paragraph) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


# The schema order of w:pPr and w:rPr children (ECMA-376): Word refuses a document out of order.
_PPR_ORDER = (
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_TBLPR_ORDER = (
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
    "w:tblBorders",
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
)
_RPR_ORDER = (
    "w:rStyle",
    "w:rFonts",
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)


def _schema_child(parent: Any, tag: str, order: Sequence[str]) -> Any:
    """The ``tag`` child of ``parent``, added at its schema position when absent (Word checks the order)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        _insert_in_order(parent, child, order)
    return child


def _insert_in_order(parent: Any, child: Any, order: Sequence[str]) -> None:
    """Insert ``child`` before the first sibling that the schema puts after it."""
    from docx.oxml.ns import qn

    tag = next(name for name in order if qn(name) == child.tag)
    successors = {qn(name) for name in order[order.index(tag) + 1 :]}
    for index, sibling in enumerate(parent):
        if sibling.tag in successors:
            parent.insert(index, child)
            return
    parent.append(child)


def _paragraph_flag(p_pr: Any, tag: str, value: str) -> None:
    """Set ``<tag w:val=value/>`` in a ``w:pPr`` (paragraph or style)."""
    from docx.oxml.ns import qn

    _schema_child(p_pr, tag, _PPR_ORDER).set(qn("w:val"), value)


def _character_spacing(r_pr: Any, twips: int) -> None:
    """Set the spacing between characters (``w:spacing``, in twentieths of a point) in a ``w:rPr``."""
    from docx.oxml.ns import qn

    _schema_child(r_pr, "w:spacing", _RPR_ORDER).set(qn("w:val"), str(twips))


def _flag_off(paragraph: Paragraph, tag: str) -> None:
    _paragraph_flag(paragraph._p.get_or_add_pPr(), tag, "0")


def _snap_to_grid_off(paragraph: Paragraph) -> None:
    _flag_off(paragraph, "w:snapToGrid")


def _text_width_pt(
    text: str, size_pt: float = BODY_SIZE_PT, spacing_twips: int = CHARACTER_SPACING_TWIPS
) -> float:
    """Printed width of body text: full-width characters one em, ASCII half an em, plus the spacing."""
    spacing = spacing_twips / 20
    return sum((size_pt / 2 if ord(ch) < 0x2000 else size_pt) + spacing for ch in text)


def _configure_styles(document: DocxDocument) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE_PT)
    normal.font.name = LATIN_FONT
    r_pr = normal.element.get_or_add_rPr()
    _set_fonts(r_pr, BODY_FONT)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    fmt = normal.paragraph_format
    from docx.enum.text import WD_LINE_SPACING

    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.widow_control = False  # GB/T 9704 fills every line; widow control would leave short pages
    _character_spacing(r_pr, CHARACTER_SPACING_TWIPS)
    # No punctuation hanging into the right margin in LibreOffice: its DOCX import reads w:overflowPunct
    # inverted (val="1" turns hanging off there); for Word and WPS "1" is their default. See docs/notice.md.
    _paragraph_flag(normal.element.get_or_add_pPr(), "w:overflowPunct", "1")
    # The document defaults (docDefaults) too: text outside any style must not fall back to a theme font.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
            _set_fonts(rpr_default.find(qn("w:rPr")), BODY_FONT)


def _configure_section(document: DocxDocument) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Mm

    section = document.sections[0]
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.header_distance = Mm(15)
    section.gutter = Mm(0)
    # A line-only grid: a character grid (linesAndChars) halves the characters per line in LibreOffice.
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        from docx.oxml import OxmlElement

        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    for attribute in list(grid.attrib):
        del grid.attrib[attribute]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))

    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], odd=True)
    _page_number(section.even_page_footer.paragraphs[0], odd=False)


def _page_number(paragraph: Paragraph, *, odd: bool) -> None:
    """— N — in 4号 宋体: odd pages at the right, even pages at the left, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if odd:
        fmt.right_indent = Pt(PAGE_NUMBER_SIZE_PT)
    else:
        fmt.left_indent = Pt(PAGE_NUMBER_SIZE_PT)
    # 4号半角宋体阿拉伯数字: the digits and the dashes in 宋体 too, not Times New Roman; no tightening.
    _add_run(paragraph, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT, latin=PAGE_NUMBER_FONT, spacing_twips=0)
    for kind, instruction in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, None),
        ("end", None),
    ):
        run = paragraph.add_run()
        _set_fonts(run._r.get_or_add_rPr(), PAGE_NUMBER_FONT, PAGE_NUMBER_FONT)
        _character_spacing(run._r.get_or_add_rPr(), 0)
        run.font.size = Pt(PAGE_NUMBER_SIZE_PT)
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif instruction is not None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = instruction
            run._r.append(instr)
        else:
            run.text = "1"
    _add_run(paragraph, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT, latin=PAGE_NUMBER_FONT, spacing_twips=0)


def add_title(document: DocxDocument, text: str) -> None:
    """A title line: 2号 方正小标宋简体, centred, off the grid, kept with the next line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.keep_with_next = True
    _exact_spacing(paragraph)
    _snap_to_grid_off(paragraph)
    _add_run(paragraph, text, TITLE_FONT, TITLE_SIZE_PT, spacing_twips=0)


def add_body(document: DocxDocument, runs: Sequence[Run]) -> Paragraph:
    """A body paragraph: 3号 justified, two characters indented, each run in its style's font."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_SIZE_PT)
    _exact_spacing(paragraph)
    for run in runs:
        _add_run(
            paragraph, run.text, _RUN_FONTS[run.style], BODY_SIZE_PT, highlight=run.style == RunStyle.MISSING
        )
    return paragraph


# 版头 (GB/T 9704-2012 7.2): the 发文机关标志 in red 小标宋 35 mm below the top of the type area, the 发文字号
# two lines under it, a red line as wide as the type area 4 mm under that, the title two lines further.
MASTHEAD_COLOUR = "FF0000"
MASTHEAD_MAX_PT = 42.0  # 初号; a long name is set smaller so that it fits one line
MASTHEAD_TOP_MM = 35
RED_LINE_EIGHTHS = 12  # 1.5 pt
RED_LINE_GAP_PT = 7  # the red line 4 mm under the 发文字号 (w:space, in points, is below the line box)
# 版记 (7.4): 4号 仿宋 between full-width lines (0.35 mm outside, 0.25 mm between), one character in from
# each side, its last line on the bottom edge of the type area.
IMPRINT_SIZE_PT = 14.0
IMPRINT_OUTER_EIGHTHS = 8  # 1 pt ≈ 0.35 mm
IMPRINT_INNER_EIGHTHS = 6  # 0.75 pt ≈ 0.26 mm


def type_area_width_mm() -> float:
    """The width of the type area (156 mm)."""
    return PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]


def _type_width_pt() -> float:
    return type_area_width_mm() / 25.4 * 72


def _masthead(document: DocxDocument, masthead: str | None, number: str | None) -> None:
    """The 版头: 发文机关标志 (when given), 发文字号 (when given) and the red line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    top: Length = Mm(MASTHEAD_TOP_MM)
    if masthead:
        size = min(MASTHEAD_MAX_PT, float(int(_type_width_pt() / len(masthead))))
        paragraph = document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.first_line_indent = Pt(0)
        fmt.keep_with_next = True
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(size)
        fmt.space_before, fmt.space_after = top, Pt(0)
        _snap_to_grid_off(paragraph)
        _add_run(paragraph, masthead, TITLE_FONT, size, spacing_twips=0, latin=TITLE_FONT)
        for run in paragraph.runs:
            run.font.color.rgb = RGBColor.from_string(MASTHEAD_COLOUR)
        top = Pt(2 * LINE_PITCH_PT)  # 发文字号 two lines under the 标志
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.first_line_indent = Pt(0)
    fmt.keep_with_next = True
    _exact_spacing(paragraph)
    fmt.space_before = top
    _snap_to_grid_off(paragraph)
    if number:
        _add_run(paragraph, number, BODY_FONT, BODY_SIZE_PT)
    _border(paragraph._p.get_or_add_pPr(), "bottom", RED_LINE_EIGHTHS, MASTHEAD_COLOUR, RED_LINE_GAP_PT)


def _border(p_pr: Any, side: str, eighths: int, colour: str, space_pt: int = 0) -> None:
    """A paragraph border line (``w:pBdr``) on one side."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = _schema_child(p_pr, "w:pBdr", _PPR_ORDER)
    line = OxmlElement(f"w:{side}")
    for name, value in (("val", "single"), ("sz", str(eighths)), ("space", str(space_pt)), ("color", colour)):
        line.set(qn(f"w:{name}"), value)
    _insert_in_order(borders, line, ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar"))


def _imprint(document: DocxDocument, copy_to: str | None, printed: tuple[str, str] | None) -> None:
    """The 版记 in a text box whose bottom is the bottom edge of the type area, on the last page.

    A text box (DrawingML, placed from the top of the page) is what Word, WPS and LibreOffice all put
    there: LibreOffice 7.4 leaves a floating table inline and drops a ``w:framePr`` frame whose
    paragraphs have different borders. Its content sits at the box's bottom, so a box taller than the
    lines leaves the last rule on the type area's edge. The rules are the bottom borders of one-point
    paragraphs without indent, so they span the type area while the text keeps one character in.
    The paragraphs are built in the body, then moved into the box.
    """
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import parse_xml
    from docx.shared import Mm, Pt

    width_pt = _type_width_pt()
    one_character = Pt(IMPRINT_SIZE_PT)
    elements = [_rule(document, IMPRINT_OUTER_EIGHTHS)._p]
    lines = 0
    if copy_to is not None:
        paragraph = _imprint_line(document)
        # 抄送：… wraps under the first name after the colon.
        label = 3 * IMPRINT_SIZE_PT
        paragraph.paragraph_format.left_indent = Pt(IMPRINT_SIZE_PT + label)
        paragraph.paragraph_format.first_line_indent = Pt(-label)
        _add_run(paragraph, copy_to, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        room = 0.95 * (width_pt - 2 * IMPRINT_SIZE_PT - label)  # wrapping never fills a line exactly
        lines += math.ceil(_text_width_pt(copy_to[3:], IMPRINT_SIZE_PT, 0) / room)
        elements.append(paragraph._p)
        if printed is not None:
            elements.append(_rule(document, IMPRINT_INNER_EIGHTHS)._p)
    if printed is not None:
        paragraph = _imprint_line(document)
        paragraph.paragraph_format.left_indent = one_character
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Pt(width_pt) - one_character, WD_TAB_ALIGNMENT.RIGHT
        )
        by, on = printed
        _add_run(paragraph, by, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        paragraph.add_run("\t")
        _add_run(paragraph, on, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        lines += 1
        elements.append(paragraph._p)
    elements.append(_rule(document, IMPRINT_OUTER_EIGHTHS)._p)
    for element in elements:
        element.getparent().remove(element)
    width_emu = int(Pt(width_pt))
    height_emu = int(Pt(lines * LINE_PITCH_PT + len(elements) - lines + 4))
    top_emu = int(Mm(PAGE_HEIGHT_MM - MARGINS_MM["bottom"])) - height_emu
    box = parse_xml(
        f"""<w:r {_DRAWING_NAMESPACES}><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0"
    locked="1" layoutInCell="1" allowOverlap="0">
  <wp:simplePos x="0" y="0"/>
  <wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>
  <wp:positionV relativeFrom="page"><wp:posOffset>{top_emu}</wp:posOffset></wp:positionV>
  <wp:extent cx="{width_emu}" cy="{height_emu}"/>
  <wp:effectExtent l="0" t="0" r="0" b="0"/>
  <wp:wrapTopAndBottom/>
  <wp:docPr id="1" name="版记"/>
  <wp:cNvGraphicFramePr/>
  <a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
    <wps:wsp>
      <wps:cNvSpPr txBox="1"/>
      <wps:spPr>
        <a:xfrm><a:off x="0" y="0"/><a:ext cx="{width_emu}" cy="{height_emu}"/></a:xfrm>
        <a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln>
      </wps:spPr>
      <wps:txbx><w:txbxContent/></wps:txbx>
      <wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="b">
        <a:noAutofit/>
      </wps:bodyPr>
    </wps:wsp>
  </a:graphicData></a:graphic>
</wp:anchor></w:drawing></w:r>"""
    )
    content = box.find(f".//{{{_W}}}txbxContent")
    for element in elements:
        content.append(element)
    # The anchor: an empty paragraph after the body that takes no room of its own.
    anchor = document.add_paragraph()
    anchor.paragraph_format.first_line_indent = Pt(0)
    anchor.paragraph_format.line_spacing = Pt(1)
    _snap_to_grid_off(anchor)
    anchor._p.append(box)


def _imprint_line(document: DocxDocument) -> Paragraph:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    _exact_spacing(paragraph)
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.right_indent = Pt(IMPRINT_SIZE_PT)
    return paragraph


def _rule(document: DocxDocument, eighths: int) -> Paragraph:
    """A rule across the type area: the bottom border of an empty one-point paragraph."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(1)
    fmt.space_before = fmt.space_after = Pt(0)
    _snap_to_grid_off(paragraph)
    _border(paragraph._p.get_or_add_pPr(), "bottom", eighths, "000000")
    return paragraph


_DRAWING_NAMESPACES = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in (
        ("w", _W),
        ("wp", "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"),
        ("a", _A),
        ("wps", "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"),
    )
)


def add_blank(document: DocxDocument) -> None:
    """An empty line of the grid."""
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(0)
    _exact_spacing(paragraph)


def add_signature(document: DocxDocument, signature: str, date_line: str | None) -> None:
    """A blank line kept with the sign-off below it (the signature is never alone on a page)."""
    add_blank(document)
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    _sign_off(document, signature, date_line)


def _sign_off(document: DocxDocument, signature: str, date_line: str | None) -> None:
    """Unsealed sign-off: signature 2 characters from the right; the date starts 2 characters right of it.

    The signature (CJK, width known exactly) is right-aligned and the date left-aligned from where the
    signature starts, so the date's own width (digits, renderer spacing) does not matter. When the
    date is too long for that, the date keeps 2 characters from the right and the signature moves left
    accordingly (GB/T 9704-2012 7.3.5.2); only then is the date's width estimated.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    type_width = _type_width_pt()
    two_chars = 2 * BODY_SIZE_PT
    signature_width = _text_width_pt(signature)
    # (text, alignment, indent from that side)
    lines = [(signature, WD_ALIGN_PARAGRAPH.RIGHT, two_chars)]
    if date_line is not None:
        date_left = type_width - signature_width  # the signature's start + 2 characters
        if date_left + _text_width_pt(date_line) <= type_width - two_chars:
            lines.append((date_line, WD_ALIGN_PARAGRAPH.LEFT, date_left))
        else:
            signature_left = type_width - two_chars - _text_width_pt(date_line) - two_chars
            lines = [
                (signature, WD_ALIGN_PARAGRAPH.LEFT, max(signature_left, 0.0)),
                (date_line, WD_ALIGN_PARAGRAPH.RIGHT, two_chars),
            ]
    for index, (text, alignment, indent) in enumerate(lines):
        paragraph = document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.alignment = alignment
        fmt.first_line_indent = Pt(0)
        if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = Pt(indent)
        else:
            fmt.left_indent = Pt(indent)
        fmt.keep_with_next = index < len(lines) - 1
        _exact_spacing(paragraph)
        # No automatic space between CJK and digits (Word honours it): the estimated widths hold.
        _flag_off(paragraph, "w:autoSpaceDE")
        _flag_off(paragraph, "w:autoSpaceDN")
        _add_run(paragraph, text, BODY_FONT, BODY_SIZE_PT)


# Word on a PC without the 公文 fonts substitutes by the font table: each name, the font to use instead
# (w:altName) and its character set (86 = GB2312) and family. (name, altName, family, pitch)
FONT_TABLE = (
    (BODY_FONT, "仿宋", "modern", "fixed"),
    (LABEL_FONT, "楷体", "modern", "fixed"),
    (TITLE_FONT, "宋体", "roman", "variable"),
    (HEADING_FONT, "SimHei", "modern", "fixed"),
    (PAGE_NUMBER_FONT, "SimSun", "auto", "variable"),
)


def new_document(
    *, title: str, author: str, subject: str, category: str, generated_at: datetime | None = None
) -> DocxDocument:
    """An empty GB/T 9704 document in a Chinese package: A4, the margins, the line grid, the styles and
    fonts, page numbers, and its file properties (``generated_at`` defaults to now)."""
    from docx import Document

    docx = Document()
    _configure_styles(docx)
    _configure_section(docx)
    describe_file(
        docx,
        title=title,
        author=author,
        subject=subject,
        category=category,
        generated_at=generated_at or datetime.now(UTC),
    )
    localise_package(docx, heading_font=HEADING_FONT, body_font=BODY_FONT, font_table=FONT_TABLE)
    # The default template starts with one empty paragraph: drop it.
    body = docx.element.body
    for paragraph in list(body.iterchildren()):
        if paragraph.tag.endswith("}p"):
            body.remove(paragraph)
    return docx


def document_bytes(docx: DocxDocument) -> bytes:
    """The document as DOCX bytes."""
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def add_table(
    docx: DocxDocument,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_mm: Sequence[float] | None = None,
) -> None:
    """A ruled table across the type area: 4号 仿宋 cells off the line grid, the header row in 黑体 and
    repeated on every page; ``widths_mm`` per column (default: equal)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    table = docx.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = docx.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = list(widths_mm) if widths_mm else [type_area_width_mm() / len(headers)] * len(headers)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)  # the grid LibreOffice lays out by; Word reads the cells' widths
    for r, values in enumerate([list(headers), *[list(row) for row in rows]]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Mm(widths[c])
            paragraph = cell.paragraphs[0]
            _snap_to_grid_off(paragraph)
            fmt = paragraph.paragraph_format
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            fmt.space_before = Pt(3)
            fmt.space_after = Pt(3)
            _add_run(paragraph, value, HEADING_FONT if r == 0 else BODY_FONT, TABLE_SIZE_PT, spacing_twips=0)
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)


def add_picture(docx: DocxDocument, image: bytes, *, width_mm: float, caption: str) -> None:
    """An image centred in the type area, its caption (楷体) below it, kept together."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    paragraph = docx.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.keep_with_next = True
    _snap_to_grid_off(paragraph)
    paragraph.add_run().add_picture(io.BytesIO(image), width=Mm(width_mm))
    label = docx.add_paragraph()
    label.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label.paragraph_format.first_line_indent = Pt(0)
    _exact_spacing(label)
    _add_run(label, caption, LABEL_FONT, TABLE_SIZE_PT, spacing_twips=0)


def render_docx(document: NoticeDocument, *, generated_at: datetime | None = None) -> bytes:
    """The notice as DOCX bytes (linear in the number of paragraphs); ``generated_at`` defaults to now."""
    from docx.shared import Pt

    docx = new_document(
        title=f"{document.issuer}{document.title}",
        author=document.issuer,
        subject=f"{document.round_code} 截至{document.as_of.isoformat()}",
        category="通报",
        generated_at=generated_at,
    )
    blocks = document.blocks()
    signature = next((b.text for b in blocks if b.kind == BlockKind.SIGNATURE), None)
    date_line = next((b.text for b in blocks if b.kind == BlockKind.DATE), None)
    if document.has_masthead:
        _masthead(docx, document.masthead, document.document_number)
    copy_to = next((b.text for b in blocks if b.kind == BlockKind.COPY_TO), None)
    printed = next(((b.runs[0].text, b.runs[-1].text) for b in blocks if b.kind == BlockKind.PRINTED), None)
    for block in blocks:
        if block.kind in (BlockKind.ISSUER, BlockKind.TITLE):
            add_title(docx, block.text)
            if block.kind == BlockKind.ISSUER and document.has_masthead:
                # The title two lines under the red line.
                docx.paragraphs[-1].paragraph_format.space_before = Pt(2 * LINE_PITCH_PT)
            if block.kind == BlockKind.TITLE:
                add_blank(docx)
        elif block.kind in (
            BlockKind.SIGNATURE,
            BlockKind.DATE,
            BlockKind.MASTHEAD,
            BlockKind.DOCUMENT_NUMBER,
            BlockKind.COPY_TO,
            BlockKind.PRINTED,
        ):
            continue
        else:
            paragraph = add_body(docx, block.runs)
            if block.kind == BlockKind.CLOSING and signature:
                paragraph.paragraph_format.keep_with_next = True
    if signature:
        add_signature(docx, signature, date_line)
    if copy_to is not None or printed is not None:
        _imprint(docx, copy_to, printed)
    return document_bytes(docx)
