"""Build GB/T 9704-2012 DOCX documents with python-docx: the building blocks (a new document with its
page, styles and package; title, body, blank and signature lines; tables and pictures; the bytes) and
the progress notice made of them (``render_docx``). The ranking notice (``tasks.notice.ranking``) uses
the same blocks.

The pieces: ``docx_layout`` (the measures), ``docx_xml`` (OOXML beneath python-docx), ``docx_text``
(runs and lines), ``docx_page`` (page set-up, styles, grid, page numbers), ``docx_masthead_imprint``
(版头 and 版记), ``docx_package`` (file properties and the zh-CN package).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from models.notice import BlockKind, NoticeDocument, Run, RunStyle
from tasks.notice.docx_layout import (
    BODY_FONT,
    BODY_SIZE_PT,
    FONT_TABLE,
    HEADING_FONT,
    LABEL_FONT,
    LINE_PITCH_PT,
    RUN_FONTS,
    TABLE_SIZE_PT,
    TITLE_FONT,
    TITLE_SIZE_PT,
    type_area_width_mm,
)
from tasks.notice.docx_masthead_imprint import add_imprint, add_masthead
from tasks.notice.docx_package import describe_file, localise_package
from tasks.notice.docx_page import configure_section, configure_styles
from tasks.notice.docx_text import add_run, exact_spacing, sign_off
from tasks.notice.docx_xml import snap_to_grid_off

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph


def new_document(
    *, title: str, author: str, subject: str, category: str, generated_at: datetime | None = None
) -> DocxDocument:
    """An empty GB/T 9704 document in a Chinese package: A4, the margins, the line grid, the styles and
    fonts, page numbers, and its file properties (``generated_at`` defaults to now)."""
    from docx import Document

    docx = Document()
    configure_styles(docx)
    configure_section(docx)
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


def add_title(document: DocxDocument, text: str) -> None:
    """A title line: 2号 方正小标宋简体, centred, off the grid, kept with the next line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.keep_with_next = True
    exact_spacing(paragraph)
    snap_to_grid_off(paragraph)
    add_run(paragraph, text, TITLE_FONT, TITLE_SIZE_PT, spacing_twips=0)


def add_body(document: DocxDocument, runs: Sequence[Run]) -> Paragraph:
    """A body paragraph: 3号 justified, two characters indented, each run in its style's font."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_SIZE_PT)
    exact_spacing(paragraph)
    for run in runs:
        add_run(
            paragraph, run.text, RUN_FONTS[run.style], BODY_SIZE_PT, highlight=run.style == RunStyle.MISSING
        )
    return paragraph


def add_blank(document: DocxDocument) -> None:
    """An empty line of the grid."""
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(0)
    exact_spacing(paragraph)


def add_signature(document: DocxDocument, signature: str, date_line: str | None) -> None:
    """A blank line kept with the sign-off below it (the signature is never alone on a page)."""
    add_blank(document)
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    sign_off(document, signature, date_line)


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
            snap_to_grid_off(paragraph)
            fmt = paragraph.paragraph_format
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            fmt.space_before = Pt(3)
            fmt.space_after = Pt(3)
            add_run(paragraph, value, HEADING_FONT if r == 0 else BODY_FONT, TABLE_SIZE_PT, spacing_twips=0)
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
    snap_to_grid_off(paragraph)
    paragraph.add_run().add_picture(io.BytesIO(image), width=Mm(width_mm))
    label = docx.add_paragraph()
    label.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label.paragraph_format.first_line_indent = Pt(0)
    exact_spacing(label)
    add_run(label, caption, LABEL_FONT, TABLE_SIZE_PT, spacing_twips=0)


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
        add_masthead(docx, document.masthead, document.document_number)
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
        add_imprint(docx, copy_to, printed)
    return document_bytes(docx)
