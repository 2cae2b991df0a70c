"""A draft as a Word file for those who edit in Word: one table row per paragraph (which part, its text).

``render_draft_docx`` returns the bytes; the CLI writes them. ``tasks.exchange.draft_docx`` reads the
edited file back.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from models.notice_draft import DraftParagraph, paragraph_label

DRAFT_HEADING = "通报草稿 {draft}"  # the first paragraph: import checks the number
KEY_OPEN, KEY_CLOSE = "〔", "〕"  # 问题三 整改成效〔problem-3-outcome〕 in the first column


def key_cell(key: str) -> str:
    """The first column: the part in words and its key, which import reads back."""
    return f"{paragraph_label(key)}{KEY_OPEN}{key}{KEY_CLOSE}"


def render_draft_docx(draft_id: int, round_code: str, paragraphs: Sequence[DraftParagraph]) -> bytes:
    """The draft's paragraphs as a two-column Word table: edit the second column, keep the first."""
    from docx import Document

    document = Document()
    document.add_heading(DRAFT_HEADING.format(draft=draft_id), level=1)
    document.add_paragraph(
        f"{round_code}：只修改右列的文字，左列（段落及其标识）请勿改动；改好后用 zhenggai notice import 导回。"
    )
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text, header[1].text = "段落", "文字"
    for paragraph in paragraphs:
        cells = table.add_row().cells
        cells[0].text = key_cell(paragraph.key)
        cells[1].text = paragraph.text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
