"""The page of a DOCX notice: A4 with the GB/T 9704 margins, the line-only grid, the Normal style and the
document defaults in the 公文 fonts, and the page numbers "— 1 —" in the odd and even footers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.notice.docx_layout import (
    BODY_FONT,
    BODY_SIZE_PT,
    CHARACTER_SPACING_TWIPS,
    FOOTER_DISTANCE_MM,
    LATIN_FONT,
    LINE_PITCH_PT,
    MARGINS_MM,
    PAGE_HEIGHT_MM,
    PAGE_NUMBER_FONT,
    PAGE_NUMBER_SIZE_PT,
    PAGE_WIDTH_MM,
)
from tasks.notice.docx_text import add_run, set_fonts
from tasks.notice.docx_xml import character_spacing, paragraph_flag

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph


def configure_styles(document: DocxDocument) -> None:
    """The Normal style and the document defaults: 3号 仿宋_GB2312 (Times New Roman for Latin), exact
    lines, the character spacing, no widow control, no punctuation hanging into the margin."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE_PT)
    normal.font.name = LATIN_FONT
    r_pr = normal.element.get_or_add_rPr()
    set_fonts(r_pr, BODY_FONT)
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
    character_spacing(r_pr, CHARACTER_SPACING_TWIPS)
    # No punctuation hanging into the right margin in LibreOffice: its DOCX import reads w:overflowPunct
    # inverted (val="1" turns hanging off there); for Word and WPS "1" is their default. See docs/notice.md.
    paragraph_flag(normal.element.get_or_add_pPr(), "w:overflowPunct", "1")
    # The document defaults (docDefaults) too: text outside any style must not fall back to a theme font.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
            set_fonts(rpr_default.find(qn("w:rPr")), BODY_FONT)


def configure_section(document: DocxDocument) -> None:
    """A4 with the GB/T 9704 margins, the line-only grid and the page numbers in odd and even footers."""
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
    add_run(paragraph, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT, latin=PAGE_NUMBER_FONT, spacing_twips=0)
    for kind, instruction in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, None),
        ("end", None),
    ):
        run = paragraph.add_run()
        set_fonts(run._r.get_or_add_rPr(), PAGE_NUMBER_FONT, PAGE_NUMBER_FONT)
        character_spacing(run._r.get_or_add_rPr(), 0)
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
    add_run(paragraph, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT, latin=PAGE_NUMBER_FONT, spacing_twips=0)
