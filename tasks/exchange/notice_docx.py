"""A Word notice (.docx) read into the notice's line stream (``tasks.exchange.notice_source``).

The body's paragraphs in order, numbered as Word's paragraph list counts them (from 1, empty ones
included, so a clerk can find paragraph N), with the bold sentence a paragraph opens with; and its tables,
each row with its cells' text (a cell's paragraphs joined by line breaks; merged cells repeated in every
row they cover, as Word shows them).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from docx.oxml.ns import qn

from models.errors import InvalidPlan, PlanIssue
from models.rules import chinese_ordinal
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
    numbering = ListNumbering(document)
    paragraphs = tables = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs += 1
            paragraph = Paragraph(child, document)
            label = numbering.label(paragraph)
            lead = _bold_lead(paragraph)
            builder.line(
                label + paragraph.text, Position(paragraphs, "paragraph"), label + lead if lead else ""
            )
        elif tag == "tbl":
            tables += 1
            _table(builder, Table(child, document), tables, paragraphs)
    return builder.done()


def _chinese(n: int) -> str:
    return chinese_ordinal(n) if n > 0 else "〇"


def _circled(n: int) -> str:
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)


# Word's list number formats, as the number is printed (a bullet, or a format not listed, prints none).
_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "chineseCounting": _chinese,
    "chineseCountingThousand": _chinese,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "decimalEnclosedCircle": _circled,
    "decimalEnclosedCircleChinese": _circled,
    "decimalEnclosedParen": lambda n: f"({n})",
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
}


class ListNumbering:
    """The numbers Word prints before list paragraphs (一、 （一） 1.), which are not in their text.

    Notices typed in Word often number their headings with automatic numbering: the paragraph's text
    then lacks the 一、 a reader sees. This counts each list as Word does (per numbering instance and
    level, deeper levels restarting) and gives the label as printed.
    """

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → level → (format, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {
            node.get(qn("w:abstractNumId")): {
                int(level.get(qn("w:ilvl"))): _level(level) for level in node.findall(qn("w:lvl"))
            }
            for node in numbering.findall(qn("w:abstractNum"))
        }
        for num in numbering.findall(qn("w:num")):
            reference = num.find(qn("w:abstractNumId"))
            if reference is not None and reference.get(qn("w:val")) in abstract:
                self.levels[num.get(qn("w:numId"))] = abstract[reference.get(qn("w:val"))]

    def label(self, paragraph: Any) -> str:
        """The number Word prints before this paragraph, or ""."""
        number_id, level = _num_pr(paragraph)
        levels = self.levels.get(number_id or "")
        if not levels or level not in levels:
            return ""
        counters = self.counters.setdefault(number_id or "", {})
        fmt, text, start = levels[level]
        counters[level] = counters.get(level, start - 1) + 1
        for deeper in [key for key in counters if key > level]:
            del counters[deeper]
        if fmt not in _FORMATS:
            return ""
        printed = text
        for index in range(level + 1):
            current = counters.get(index, levels.get(index, ("decimal", "", 1))[2])
            ifmt = levels.get(index, ("decimal", "", 1))[0]
            printed = printed.replace(f"%{index + 1}", _FORMATS.get(ifmt, str)(current))
        return printed


def _level(node: Any) -> tuple[str, str, int]:
    def value(tag: str, default: str) -> str:
        child = node.find(qn(tag))
        return child.get(qn("w:val"), default) if child is not None else default

    return value("w:numFmt", "decimal"), value("w:lvlText", ""), int(value("w:start", "1"))


def _num_pr(paragraph: Any) -> tuple[str | None, int]:
    """The paragraph's numbering instance and level, from its own properties or its style's."""
    sources = [paragraph._p.pPr]
    style = paragraph.style
    while style is not None:
        sources.append(style.element.pPr)
        style = style.base_style
    for properties in sources:
        num_pr = properties.numPr if properties is not None else None
        if num_pr is not None and num_pr.numId is not None:
            level = num_pr.ilvl.val if num_pr.ilvl is not None else 0
            number_id = str(num_pr.numId.val)
            return (None, 0) if number_id == "0" else (number_id, level)
    return None, 0


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
