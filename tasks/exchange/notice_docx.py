"""A Word notice (.docx) read into the notice's line stream (``tasks.exchange.notice_source``).

The body's paragraphs in order, numbered as Word's paragraph list counts them (from 1, empty ones
included, so a clerk can find paragraph N), with the bold sentence a paragraph opens with; and its tables,
each row with its cells' text (a cell's paragraphs joined by line breaks; merged cells repeated in every
row they cover, as Word shows them).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from models.errors import InvalidPlan, PlanIssue
from tasks.exchange.notice_source import NoticeSource, Position, SourceBuilder

# A bold lead counts when it starts within the first characters of the paragraph (after a heading
# number such as 一、 or （一） printed in the body's weight).
LEAD_START_MAX = 6


def read_docx(data: bytes, source: str = "notice.docx") -> NoticeSource:
    """The paragraphs and tables of a Word document's body, in order."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several kinds for a file that is not a Word package
        message = f"not a Word .docx file ({type(error).__name__}); save .doc files as .docx"
        raise InvalidPlan([PlanIssue(source, "", message)], source) from None
    builder = SourceBuilder(source, "paragraph")
    paragraphs = tables = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs += 1
            paragraph = Paragraph(child, document)
            builder.line(paragraph.text, Position(paragraphs, "paragraph"), _bold_lead(paragraph))
        elif tag == "tbl":
            tables += 1
            _table(builder, Table(child, document), tables, paragraphs)
    return builder.done()


def _table(builder: SourceBuilder, table: Any, number: int, paragraphs: int) -> None:
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    if not rows:
        return
    body = [
        (Position(paragraphs, "row", number, index), cells) for index, cells in enumerate(rows[1:], start=1)
    ]
    builder.table(number, rows[0], body)


def _pieces(paragraph: Any) -> Iterator[tuple[str, bool]]:
    """The paragraph's text in pieces, each with whether it is bold (hyperlinks count as not bold)."""
    from docx.text.run import Run

    for item in paragraph.iter_inner_content():
        if isinstance(item, Run):
            bold = item.bold
            if bold is None and item.style is not None:
                bold = item.style.font.bold
            yield item.text, bool(bold)
        else:
            yield item.text, False


def _bold_lead(paragraph: Any) -> str:
    """The text up to the end of the paragraph's first bold span, when that span opens the paragraph."""
    text = ""
    started = False
    for piece, bold in _pieces(paragraph):
        if bold and piece.strip():
            if not started and len(text.strip()) > LEAD_START_MAX:
                return ""
            started = True
        elif started and piece.strip():
            return text
        text += piece
    return text if started else ""
