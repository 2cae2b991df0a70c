"""A published notice file read into one stream of lines, whatever its container.

``read_notice_file(path)`` chooses the reader by the file's extension: plain text (``.txt``: a line is a
paragraph), Word (``.docx``: ``tasks.exchange.notice_docx``) or a saved web page (``.html``/``.htm``:
``tasks.exchange.notice_html``). Each gives a ``NoticeSource``: the notice's lines in order, each with its
position in the file (line N, paragraph N, or a row of a table) and its bold lead, and the ledger tables
it holds. ``tasks.exchange.notice_parser`` recognises the notice's structure on that stream, once for
every format.

Every text passes through ``normalise_text``, the one place where imported text is cleaned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from models import text as text_rule
from models.errors import InvalidPlan, PlanIssue

NOTICE_SUFFIXES = (".txt", ".docx", ".html", ".htm")


@dataclass(frozen=True, order=True)
class Position:
    """Where a text stands in the notice file: ``line 18``, ``paragraph 5`` or ``table 1, row 3``."""

    number: int  # the line or paragraph (from 1); for a table row, the paragraph count before the table
    kind: Literal["line", "paragraph", "row"] = "line"
    table: int = 0  # tables are numbered from 1 in the file
    row: int = 0  # rows are numbered from 1 below the header row

    def __str__(self) -> str:
        if self.kind == "row":
            return f"table {self.table}, row {self.row}"
        return f"{self.kind} {self.number}"

    def where(self, source: str) -> str:
        """The place as an issue names it: ``notice.txt:18``, ``notice.docx, paragraph 5``."""
        if self.kind == "line":
            return f"{source}:{self.number}"
        return f"{source}, {self}"


@dataclass(frozen=True)
class SourceLine:
    """One line (or paragraph) of the notice, trimmed, with the bold sentence it opens with, if any."""

    position: Position
    text: str
    lead: str = ""  # the emphasised (bold) text the line starts with: a problem's title in many notices


@dataclass(frozen=True)
class SourceRow:
    """One row of a table below its header: its cells' texts (a cell's paragraphs joined by line breaks)."""

    position: Position
    cells: tuple[str, ...]


@dataclass(frozen=True)
class SourceTable:
    """A table of the notice: its header row and the rows below it."""

    number: int
    header: tuple[str, ...]
    rows: tuple[SourceRow, ...]


@dataclass
class NoticeSource:
    """A notice file as one stream: its lines and tables in order, and the page's publication date."""

    items: list[SourceLine | SourceTable] = field(default_factory=list)
    published: date | None = None  # a web page's 发布时间
    unit: Literal["line", "paragraph"] = "line"

    @property
    def lines(self) -> list[SourceLine]:
        return [item for item in self.items if isinstance(item, SourceLine)]


# -- the text every intake path cleans ----------------------------------------------------------

# The rule itself lives in models.text (one rule for reports, plans and imported notices).
_EDGE_SPACE = " \t\u3000\xa0"


class RefusedCharacter(ValueError):
    """A text holds a control character that is refused rather than cleaned (NUL, ESC…)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def normalise_text(raw: str) -> str:
    """Imported text as every intake path keeps it (``models.text.normalise_text``): line breaks unified,
    invisible characters removed.

    Raises ``RefusedCharacter`` for a control character that cannot be cleaned (NUL, ESC…).
    """
    try:
        return text_rule.normalise_text(raw, "text")
    except text_rule.InvalidText as error:
        raise RefusedCharacter(str(error).split(": ", 1)[-1]) from None


def trim(text: str) -> str:
    """A line without its surrounding spaces (ASCII, ideographic and no-break)."""
    return text.strip(_EDGE_SPACE)


class SourceBuilder:
    """Collects lines and tables, normalising each text and collecting every refused character."""

    def __init__(self, source: str, unit: Literal["line", "paragraph"]) -> None:
        self.source = source
        self.result = NoticeSource(unit=unit)
        self.issues: list[PlanIssue] = []

    def clean(self, raw: str, position: Position) -> str:
        try:
            return normalise_text(raw)
        except RefusedCharacter as error:
            self.issues.append(PlanIssue(position.where(self.source), "", str(error)))
            return text_rule.sanitise_text(raw)

    def line(self, raw: str, position: Position, lead: str = "") -> None:
        """A paragraph: one line per line break in it, blank lines left out; the lead goes to the first."""
        text = self.clean(raw, position)
        lead = trim(self.clean(lead, position)) if lead else ""
        for part in text.split("\n"):
            part = trim(part)
            if part:
                self.result.items.append(SourceLine(position, part, lead if part.startswith(lead) else ""))
                lead = ""

    def table(self, number: int, header: list[str], rows: list[tuple[Position, list[str]]]) -> None:
        def cell(raw: str, position: Position) -> str:
            lines = (trim(part) for part in self.clean(raw, position).split("\n"))
            return "\n".join(part for part in lines if part)

        head = tuple(cell(text, Position(0, "row", number, 0)) for text in header)
        body = tuple(
            SourceRow(position, tuple(cell(text, position) for text in cells)) for position, cells in rows
        )
        self.result.items.append(SourceTable(number, head, body))

    def done(self) -> NoticeSource:
        if self.issues:
            raise InvalidPlan(self.issues, self.source)
        return self.result


# -- plain text ---------------------------------------------------------------------------------


def read_text(text: str, source: str = "notice.txt") -> NoticeSource:
    """A plain-text notice: each non-blank line, trimmed, with its line number (from 1)."""
    builder = SourceBuilder(source, "line")
    # Line numbers are the file's: count CRLF, CR and LF as one break each, as an editor shows them.
    for number, raw in enumerate(re.split("\r\n|\r|\n", text), start=1):
        builder.line(raw.replace("\ufeff", ""), Position(number))
    return builder.done()


def decode_text(data: bytes, source: str) -> str:
    """A text file as UTF-8 (with or without BOM), else GB18030; an ``InvalidPlan`` naming it otherwise."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidPlan([PlanIssue(source, "", "neither UTF-8 nor GB18030 text")], source)


def read_notice_bytes(data: bytes, source: str) -> NoticeSource:
    """A notice file's bytes read by its extension (``source`` names the file)."""
    suffix = Path(source).suffix.lower()
    if suffix == ".docx":
        from tasks.exchange.notice_docx import read_docx

        return read_docx(data, source)
    if suffix in (".html", ".htm"):
        from tasks.exchange.notice_html import decode_html, read_html

        return read_html(decode_html(data, source), source)
    if suffix in ("", ".txt", ".text"):
        return read_text(decode_text(data, source), source)
    known = ", ".join(NOTICE_SUFFIXES)
    message = (
        f"cannot read a {suffix} file as a notice (known: {known}; save a .doc or .pdf as .docx or .txt)"
    )
    raise InvalidPlan([PlanIssue(source, "", message)], source)


def read_file(path: Path) -> bytes:
    """A file's bytes, or an ``InvalidPlan`` naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidPlan([PlanIssue(str(path), "", f"cannot read: {error.strerror}")], str(path)) from None


def read_notice_file(path: Path) -> NoticeSource:
    """Read a notice file (.txt, .docx, .html) into its line stream."""
    return read_notice_bytes(read_file(path), str(path))
