"""A 督办单 as a one-page DOCX in the notice's GB/T 9704 family layout (the blocks of ``tasks.notice.docx``):
its title a body paragraph in its step's colour, the number under it, the addressee, the facts, the
requirement and the reply deadline, signed by the coordinator's office with the date it was issued.

``render_duban_docx`` returns the bytes; writing them is the caller's.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from models.duban import COLOUR, COLOUR_RGB, SheetFacts, sheet_text, title
from models.notice import Run, RunStyle
from models.rules import format_chinese_date
from tasks.notice.docx import add_blank, add_body, add_signature, add_title, document_bytes, new_document


def render_duban_docx(facts: SheetFacts, *, timezone: str = "Asia/Shanghai") -> bytes:
    """The sheet as DOCX bytes; its file properties carry the issue day (the same sheet, the same file)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    docx = new_document(
        title=f"{title(facts)} {facts.number}",
        author=facts.issuer,
        subject=f"{facts.measure_code} {facts.unit}",
        category=f"{COLOUR[facts.level]}督办",
        generated_at=datetime.combine(facts.issued_on, time(9), tzinfo=ZoneInfo(timezone)),
    )
    add_title(docx, title(facts))
    for run in docx.paragraphs[-1].runs:
        run.font.color.rgb = RGBColor(*COLOUR_RGB[facts.level])
    number = add_body(docx, [Run(facts.number, RunStyle.BODY)])
    number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.first_line_indent = Pt(0)
    add_blank(docx)
    addressee, *paragraphs = sheet_text(facts)
    first = add_body(docx, [Run(addressee, RunStyle.BODY)])
    first.paragraph_format.first_line_indent = Pt(0)
    for text in paragraphs:
        label, colon, rest = text.partition("：")
        if colon and label in ("督办要求", "回复时限"):
            add_body(docx, [Run(label + colon, RunStyle.HEADING), Run(rest, RunStyle.BODY)])
        else:
            add_body(docx, [Run(text, RunStyle.BODY)])
    add_signature(docx, facts.issuer, format_chinese_date(facts.issued_on))
    return document_bytes(docx)
