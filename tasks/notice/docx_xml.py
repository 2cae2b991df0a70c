"""OOXML beneath python-docx: the namespaces, the schema order of ``w:pPr`` and ``w:rPr`` children, and
the flags, character spacing and borders python-docx has no API for, each inserted where the schema
puts it (Word refuses a document whose children are out of order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

WORDML = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DRAWINGML = "http://schemas.openxmlformats.org/drawingml/2006/main"

# The schema order of w:pPr and w:rPr children (ECMA-376): Word refuses a document out of order.
PPR_ORDER = (
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
RPR_ORDER = (
    "w:rStyle",
    "w:rFonts",
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)


def schema_child(parent: Any, tag: str, order: Sequence[str]) -> Any:
    """The ``tag`` child of ``parent``, added at its schema position when absent (Word checks the order)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        insert_in_order(parent, child, order)
    return child


def insert_in_order(parent: Any, child: Any, order: Sequence[str]) -> None:
    """Insert ``child`` before the first sibling that the schema puts after it."""
    from docx.oxml.ns import qn

    tag = next(name for name in order if qn(name) == child.tag)
    successors = {qn(name) for name in order[order.index(tag) + 1 :]}
    for index, sibling in enumerate(parent):
        if sibling.tag in successors:
            parent.insert(index, child)
            return
    parent.append(child)


def paragraph_flag(p_pr: Any, tag: str, value: str) -> None:
    """Set ``<tag w:val=value/>`` in a ``w:pPr`` (paragraph or style)."""
    from docx.oxml.ns import qn

    schema_child(p_pr, tag, PPR_ORDER).set(qn("w:val"), value)


def character_spacing(r_pr: Any, twips: int) -> None:
    """Set the spacing between characters (``w:spacing``, in twentieths of a point) in a ``w:rPr``."""
    from docx.oxml.ns import qn

    schema_child(r_pr, "w:spacing", RPR_ORDER).set(qn("w:val"), str(twips))


def flag_off(paragraph: Paragraph, tag: str) -> None:
    """Turn a paragraph property off (``<tag w:val="0"/>``)."""
    paragraph_flag(paragraph._p.get_or_add_pPr(), tag, "0")


def snap_to_grid_off(paragraph: Paragraph) -> None:
    """Take a paragraph off the document grid (its own line height, not the grid's)."""
    flag_off(paragraph, "w:snapToGrid")


def border(p_pr: Any, side: str, eighths: int, colour: str, space_pt: int = 0) -> None:
    """A paragraph border line (``w:pBdr``) on one side."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = schema_child(p_pr, "w:pBdr", PPR_ORDER)
    line = OxmlElement(f"w:{side}")
    for name, value in (("val", "single"), ("sz", str(eighths)), ("space", str(space_pt)), ("color", colour)):
        line.set(qn(f"w:{name}"), value)
    insert_in_order(borders, line, ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar"))
