"""Runs and lines of text in a DOCX notice: each run with its Latin and CJK fonts (punctuation both
scripts share set wholly in the CJK font), exact line spacing on the grid, and the sign-off's two lines.

python-docx writes only ``w:ascii``/``w:hAnsi``: every run here also gets ``w:eastAsia``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.notice.docx_layout import (
    BODY_FONT,
    BODY_SIZE_PT,
    LATIN_FONT,
    LINE_PITCH_PT,
    text_width_pt,
    type_area_width_pt,
)
from tasks.notice.docx_xml import character_spacing, flag_off

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph


def set_fonts(r_pr: object, east_asia: str, latin: str = LATIN_FONT) -> None:
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


def shared_punctuation(char: str) -> bool:
    """Punctuation that Chinese and Latin text share (“ ” ‘ ’ · — …): set in the CJK font.

    Word follows ``w:hint="eastAsia"`` for them, LibreOffice does not: it gives them the script of the
    neighbouring characters, so the ” after the digits of “6·21” came out in Times New Roman. A run of
    its own whose Latin fonts are the CJK font keeps them Chinese in both.
    """
    import unicodedata

    return unicodedata.east_asian_width(char) == "A" and unicodedata.category(char)[0] in "PS"


def segments(text: str) -> list[tuple[str, bool]]:
    """Split text into (segment, shared punctuation?) pieces, in order."""
    pieces: list[tuple[str, bool]] = []
    for char in text:
        shared = shared_punctuation(char)
        if pieces and pieces[-1][1] == shared:
            pieces[-1] = (pieces[-1][0] + char, shared)
        else:
            pieces.append((char, shared))
    return pieces


def add_run(
    paragraph: Paragraph,
    text: str,
    east_asia: str,
    size_pt: float,
    *,
    highlight: bool = False,
    spacing_twips: int | None = None,
    latin: str = LATIN_FONT,
) -> None:
    """Add ``text`` as runs: shared punctuation in runs set wholly in the CJK font, the rest Latin/CJK."""
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    for segment, shared in segments(text):
        run = paragraph.add_run(segment)
        r_pr = run._r.get_or_add_rPr()
        set_fonts(r_pr, east_asia, east_asia if shared else latin)
        if spacing_twips is not None:
            character_spacing(r_pr, spacing_twips)
        run.font.size = Pt(size_pt)
        if highlight:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            run.font.bold = True


def exact_spacing(paragraph: Paragraph) -> None:
    """Exactly one grid line (28.95 pt) per line, nothing before or after the paragraph."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def sign_off(document: DocxDocument, signature: str, date_line: str | None) -> None:
    """Unsealed sign-off: signature 2 characters from the right; the date starts 2 characters right of it.

    The signature (CJK, width known exactly) is right-aligned and the date left-aligned from where the
    signature starts, so the date's own width (digits, renderer spacing) does not matter. When the
    date is too long for that, the date keeps 2 characters from the right and the signature moves left
    accordingly (GB/T 9704-2012 7.3.5.2); only then is the date's width estimated.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    type_width = type_area_width_pt()
    two_chars = 2 * BODY_SIZE_PT
    signature_width = text_width_pt(signature)
    # (text, alignment, indent from that side)
    lines = [(signature, WD_ALIGN_PARAGRAPH.RIGHT, two_chars)]
    if date_line is not None:
        date_left = type_width - signature_width  # the signature's start + 2 characters
        if date_left + text_width_pt(date_line) <= type_width - two_chars:
            lines.append((date_line, WD_ALIGN_PARAGRAPH.LEFT, date_left))
        else:
            signature_left = type_width - two_chars - text_width_pt(date_line) - two_chars
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
        exact_spacing(paragraph)
        # No automatic space between CJK and digits (Word honours it): the estimated widths hold.
        flag_off(paragraph, "w:autoSpaceDE")
        flag_off(paragraph, "w:autoSpaceDN")
        add_run(paragraph, text, BODY_FONT, BODY_SIZE_PT)
