"""The notice in one format: text, Markdown and HTML as strings, DOCX and PDF as bytes (nothing is written)."""

from __future__ import annotations

from typing import Literal

from models.notice import NoticeDocument

NoticeFormat = Literal["txt", "md", "html", "docx", "pdf"]
FORMATS: tuple[NoticeFormat, ...] = ("txt", "md", "html", "docx", "pdf")


def render_notice(document: NoticeDocument, fmt: NoticeFormat) -> str | bytes:
    """The notice in one format: ``str`` for txt, md and html; ``bytes`` for docx and pdf."""
    from tasks.notice.text import render_html, render_markdown, render_text

    if fmt == "txt":
        return render_text(document)
    if fmt == "md":
        return render_markdown(document)
    if fmt == "html":
        return render_html(document)
    from tasks.notice.docx import render_docx

    docx = render_docx(document)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        from tasks.notice.pdf import docx_to_pdf

        return docx_to_pdf(docx)
    raise ValueError(f"unknown notice format {fmt!r} (known: {', '.join(FORMATS)})")
