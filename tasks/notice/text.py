"""Render a ``NoticeDocument`` as plain text, Markdown or HTML; each renderer returns a string.

The renderers only lay out ``NoticeDocument.blocks()``: the wording is decided in ``models.notice``.
HTML goes through a Jinja2 template with autoescaping, so a report text holding markup shows literally.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from models.notice import BlockKind, NoticeDocument, RunStyle

if TYPE_CHECKING:
    from jinja2 import Template


_MASTHEAD = (BlockKind.MASTHEAD, BlockKind.DOCUMENT_NUMBER)
_IMPRINT = (BlockKind.COPY_TO, BlockKind.PRINTED)


def render_text(document: NoticeDocument) -> str:
    """One paragraph per line; a blank line after the 版头 and the title, before the signature and the 版记."""
    lines: list[str] = []
    blocks = document.blocks()
    for index, block in enumerate(blocks):
        previous = blocks[index - 1].kind if index else None
        if block.kind == BlockKind.SIGNATURE or (block.kind in _IMPRINT and previous not in _IMPRINT):
            lines.append("")
        if block.kind == BlockKind.ISSUER and previous in _MASTHEAD:
            lines.append("")
        lines.append(block.text)
        if block.kind == BlockKind.TITLE:
            lines.append("")
    return "\n".join(lines) + "\n"


# Inline: every character that can open or close Markdown markup, entities (&lt;) included.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")
# At the start of a line: what would begin a list (- + 1. 1)), a rule or a setext heading (--- ===),
# a block quote or a heading once the characters above are escaped.
_MD_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d{1,9}(?=[.)]))")


def md_escape(text: str, *, line_start: bool = True) -> str:
    """Text as literal Markdown: inline markup escaped, line starts defused, line breaks kept.

    ``line_start=False`` for text that never begins a line (a table cell): inline markup only.
    """
    lines = []
    for line in text.split("\n"):
        escaped = _MD_SPECIAL.sub(r"\\\1", line)
        if line_start:
            # Leading blanks would make an indented code block: keep them as entities, which are not indent.
            indent = len(escaped) - len(escaped.lstrip(" \t"))
            escaped = "&#32;" * indent + escaped[indent:]
            escaped = _MD_LINE_START.sub(_defuse_line_start, escaped)
        lines.append(escaped)
    return "\\\n".join(lines)  # a backslash before the newline: a hard line break


def _defuse_line_start(match: re.Match[str]) -> str:
    lead, token = match.group(1), match.group(2)
    if token.isdigit():
        return f"{lead}{token}\\"  # 1. → 1\. (the delimiter escaped)
    return f"{lead}\\{token}"


def _is_punctuation(char: str) -> bool:
    import unicodedata

    return char.isspace() or unicodedata.category(char)[0] in "PS"


def md_strong(text: str) -> str:
    """Bold that CommonMark renderers show.

    A closing ``**`` after punctuation (。：】) and before a letter is not right-flanking, so it does not
    close and the asterisks print; an opening ``**`` before punctuation and after a letter does not open.
    One punctuation mark at either end moves outside the delimiters: then each delimiter touches a
    letter, or has punctuation on both sides, and counts (一、…“入脑入心”**。, 【**待报送：…**】).
    """
    start = 1 if text and _is_punctuation(text[0]) else 0
    end = len(text) - 1 if len(text) > start and _is_punctuation(text[-1]) else len(text)
    if start >= end:
        return md_escape(text)
    return f"{md_escape(text[:start])}**{md_escape(text[start:end])}**{md_escape(text[end:])}"


def render_markdown(document: NoticeDocument) -> str:
    """Markdown for review and diffs: headings, labels and missing reports in bold; report text literal."""
    out: list[str] = []
    previous: BlockKind | None = None
    for block in document.blocks():
        if block.kind in _IMPRINT and previous not in _IMPRINT:
            out.append("***")  # a rule before the 版记
        previous = block.kind
        if block.kind in (BlockKind.ISSUER, BlockKind.TITLE):
            out.append(f"# {md_escape(block.text)}")
            continue
        if block.kind == BlockKind.MASTHEAD:
            out.append(md_strong(block.text))
            continue
        parts = []
        for run in block.runs:
            parts.append(md_strong(run.text) if run.style != RunStyle.BODY else md_escape(run.text))
        out.append("".join(parts))
    return "\n\n".join(out) + "\n"


@lru_cache(maxsize=1)
def _html_template() -> Template:
    from jinja2 import Environment, FileSystemLoader

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("notice.html.j2")


def render_html(document: NoticeDocument) -> str:
    """A browser preview close to the printed page (A4 type area, 3号 body, 28.95 pt lines)."""
    return _html_template().render(document=document, blocks=document.blocks())
