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

TEXT_FORMATS = ("txt", "md", "html")


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


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(document: NoticeDocument) -> str:
    """Markdown for review and diffs: headings and labels in bold, missing reports bold too."""
    out: list[str] = []
    for block in document.blocks():
        if block.kind in (BlockKind.ISSUER, BlockKind.TITLE):
            out.append(f"# {_md_escape(block.text)}")
            continue
        parts = []
        for run in block.runs:
            text = _md_escape(run.text)
            parts.append(f"**{text}**" if run.style != RunStyle.BODY else text)
        out.append("".join(parts))
    return "\n\n".join(out) + "\n"


@lru_cache(maxsize=1)
def _html_template() -> Template:
    from jinja2 import Environment, FileSystemLoader

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("notice.html.j2")


def render_html(document: NoticeDocument) -> str:
    """A browser preview close to the printed page (A4 type area, 3号 body, 28.95 pt lines)."""
    return _html_template().render(document=document, blocks=document.blocks())
