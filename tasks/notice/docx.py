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
from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.notice import BlockKind, NoticeDocument, Run, RunStyle

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
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
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# The page number's line sits 7 mm below the type area; Word measures the footer from the page edge.
FOOTER_DISTANCE_MM = MARGINS_MM["bottom"] - 7 - 5

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


def _add_run(
    paragraph: Paragraph, text: str, east_asia: str, size_pt: float, *, highlight: bool = False
) -> None:
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    run = paragraph.add_run(text)
    _set_fonts(run._r.get_or_add_rPr(), east_asia)
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


# The schema order of w:pPr children from w:autoSpaceDE on: a new flag goes before the first present successor.
_PPR_ORDER = (
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


def _flag_off(paragraph: Paragraph, tag: str) -> None:
    """Add ``<tag w:val="0"/>`` to the paragraph properties at its schema position (Word checks the order)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "0")
    p_pr.insert_element_before(flag, *_PPR_ORDER[_PPR_ORDER.index(tag) + 1 :])


def _snap_to_grid_off(paragraph: Paragraph) -> None:
    _flag_off(paragraph, "w:snapToGrid")


def _text_width_pt(text: str, size_pt: float = BODY_SIZE_PT) -> float:
    """Printed width: full-width CJK characters take one em, ASCII half an em."""
    return sum(size_pt / 2 if ord(ch) < 0x2000 else size_pt for ch in text)


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
    _add_run(paragraph, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT)
    for kind, instruction in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, None),
        ("end", None),
    ):
        run = paragraph.add_run()
        _set_fonts(run._r.get_or_add_rPr(), PAGE_NUMBER_FONT)
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
    _add_run(paragraph, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE_PT)


def add_title(document: DocxDocument, text: str) -> None:
    """A title line: 2号 方正小标宋简体, centred, off the grid."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.keep_with_next = True
    _exact_spacing(paragraph)
    _snap_to_grid_off(paragraph)
    _add_run(paragraph, text, TITLE_FONT, TITLE_SIZE_PT)


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

    type_width = (PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]) / 25.4 * 72
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


def new_document(*, title: str, author: str, subject: str) -> DocxDocument:
    """An empty GB/T 9704 document: A4, the margins, the line grid, the fonts, page numbers."""
    from docx import Document

    docx = Document()
    _configure_styles(docx)
    _configure_section(docx)
    docx.core_properties.title = title
    docx.core_properties.author = author
    docx.core_properties.subject = subject
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
            _add_run(paragraph, value, HEADING_FONT if r == 0 else BODY_FONT, TABLE_SIZE_PT)
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
    _add_run(label, caption, LABEL_FONT, TABLE_SIZE_PT)


def type_area_width_mm() -> float:
    """The width of the type area (156 mm)."""
    return PAGE_WIDTH_MM - MARGINS_MM["left"] - MARGINS_MM["right"]


def render_docx(document: NoticeDocument) -> bytes:
    """The notice as DOCX bytes (linear in the number of paragraphs)."""
    docx = new_document(
        title=f"{document.issuer}{document.title}",
        author=document.issuer,
        subject=f"{document.round_code} as of {document.as_of.isoformat()}",
    )
    blocks = document.blocks()
    signature = next((b.text for b in blocks if b.kind == BlockKind.SIGNATURE), None)
    date_line = next((b.text for b in blocks if b.kind == BlockKind.DATE), None)
    for block in blocks:
        if block.kind in (BlockKind.ISSUER, BlockKind.TITLE):
            add_title(docx, block.text)
            if block.kind == BlockKind.TITLE:
                add_blank(docx)
        elif block.kind in (BlockKind.SIGNATURE, BlockKind.DATE):
            continue
        else:
            paragraph = add_body(docx, block.runs)
            if block.kind == BlockKind.CLOSING and signature:
                paragraph.paragraph_format.keep_with_next = True
    if signature:
        add_signature(docx, signature, date_line)
    return document_bytes(docx)
