"""The 版头 and the 版记 of a DOCX notice (GB/T 9704-2012 7.2 and 7.4): the 发文机关标志, 发文字号 and red
line above the title; the 抄送 and 印发 lines between rules in a text box on the type area's bottom edge."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tasks.notice.docx_layout import (
    BODY_FONT,
    BODY_SIZE_PT,
    LINE_PITCH_PT,
    MARGINS_MM,
    PAGE_HEIGHT_MM,
    TITLE_FONT,
    text_width_pt,
    type_area_width_pt,
)
from tasks.notice.docx_text import add_run, exact_spacing
from tasks.notice.docx_xml import (
    DRAWINGML,
    WORDML,
    border,
    snap_to_grid_off,
)

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.shared import Length
    from docx.text.paragraph import Paragraph

# 版头 (GB/T 9704-2012 7.2): the 发文机关标志 in red 小标宋 35 mm below the top of the type area, the 发文字号
# two lines under it, a red line as wide as the type area 4 mm under that, the title two lines further.
MASTHEAD_COLOUR = "FF0000"
MASTHEAD_MAX_PT = 42.0  # 初号; a long name is set smaller so that it fits one line
MASTHEAD_TOP_MM = 35
RED_LINE_EIGHTHS = 12  # 1.5 pt
RED_LINE_GAP_PT = 7  # the red line 4 mm under the 发文字号 (w:space, in points, is below the line box)
# 版记 (7.4): 4号 仿宋 between full-width lines (0.35 mm outside, 0.25 mm between), one character in from
# each side, its last line on the bottom edge of the type area.
IMPRINT_SIZE_PT = 14.0
IMPRINT_OUTER_EIGHTHS = 8  # 1 pt ≈ 0.35 mm
IMPRINT_INNER_EIGHTHS = 6  # 0.75 pt ≈ 0.26 mm


def add_masthead(document: DocxDocument, masthead: str | None, number: str | None) -> None:
    """The 版头: 发文机关标志 (when given), 发文字号 (when given) and the red line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    top: Length = Mm(MASTHEAD_TOP_MM)
    if masthead:
        size = min(MASTHEAD_MAX_PT, float(int(type_area_width_pt() / len(masthead))))
        paragraph = document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.first_line_indent = Pt(0)
        fmt.keep_with_next = True
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(size)
        fmt.space_before, fmt.space_after = top, Pt(0)
        snap_to_grid_off(paragraph)
        add_run(paragraph, masthead, TITLE_FONT, size, spacing_twips=0, latin=TITLE_FONT)
        for run in paragraph.runs:
            run.font.color.rgb = RGBColor.from_string(MASTHEAD_COLOUR)
        top = Pt(2 * LINE_PITCH_PT)  # 发文字号 two lines under the 标志
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.first_line_indent = Pt(0)
    fmt.keep_with_next = True
    exact_spacing(paragraph)
    fmt.space_before = top
    snap_to_grid_off(paragraph)
    if number:
        add_run(paragraph, number, BODY_FONT, BODY_SIZE_PT)
    border(paragraph._p.get_or_add_pPr(), "bottom", RED_LINE_EIGHTHS, MASTHEAD_COLOUR, RED_LINE_GAP_PT)


def add_imprint(document: DocxDocument, copy_to: str | None, printed: tuple[str, str] | None) -> None:
    """The 版记 in a text box whose bottom is the bottom edge of the type area, on the last page.

    A text box (DrawingML, placed from the top of the page) is what Word, WPS and LibreOffice all put
    there: LibreOffice 7.4 leaves a floating table inline and drops a ``w:framePr`` frame whose
    paragraphs have different borders. Its content sits at the box's bottom, so a box taller than the
    lines leaves the last rule on the type area's edge. The rules are the bottom borders of one-point
    paragraphs without indent, so they span the type area while the text keeps one character in.
    The paragraphs are built in the body, then moved into the box.
    """
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import parse_xml
    from docx.shared import Mm, Pt

    width_pt = type_area_width_pt()
    one_character = Pt(IMPRINT_SIZE_PT)
    elements = [_rule(document, IMPRINT_OUTER_EIGHTHS)._p]
    lines = 0
    if copy_to is not None:
        paragraph = _imprint_line(document)
        # 抄送：… wraps under the first name after the colon.
        label = 3 * IMPRINT_SIZE_PT
        paragraph.paragraph_format.left_indent = Pt(IMPRINT_SIZE_PT + label)
        paragraph.paragraph_format.first_line_indent = Pt(-label)
        add_run(paragraph, copy_to, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        room = 0.95 * (width_pt - 2 * IMPRINT_SIZE_PT - label)  # wrapping never fills a line exactly
        lines += math.ceil(text_width_pt(copy_to[3:], IMPRINT_SIZE_PT, 0) / room)
        elements.append(paragraph._p)
        if printed is not None:
            elements.append(_rule(document, IMPRINT_INNER_EIGHTHS)._p)
    if printed is not None:
        paragraph = _imprint_line(document)
        paragraph.paragraph_format.left_indent = one_character
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Pt(width_pt) - one_character, WD_TAB_ALIGNMENT.RIGHT
        )
        by, on = printed
        add_run(paragraph, by, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        paragraph.add_run("\t")
        add_run(paragraph, on, BODY_FONT, IMPRINT_SIZE_PT, spacing_twips=0)
        lines += 1
        elements.append(paragraph._p)
    elements.append(_rule(document, IMPRINT_OUTER_EIGHTHS)._p)
    for element in elements:
        element.getparent().remove(element)
    width_emu = int(Pt(width_pt))
    height_emu = int(Pt(lines * LINE_PITCH_PT + len(elements) - lines + 4))
    top_emu = int(Mm(PAGE_HEIGHT_MM - MARGINS_MM["bottom"])) - height_emu
    box = parse_xml(
        f"""<w:r {_DRAWING_NAMESPACES}><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0"
    locked="1" layoutInCell="1" allowOverlap="0">
  <wp:simplePos x="0" y="0"/>
  <wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>
  <wp:positionV relativeFrom="page"><wp:posOffset>{top_emu}</wp:posOffset></wp:positionV>
  <wp:extent cx="{width_emu}" cy="{height_emu}"/>
  <wp:effectExtent l="0" t="0" r="0" b="0"/>
  <wp:wrapTopAndBottom/>
  <wp:docPr id="1" name="版记"/>
  <wp:cNvGraphicFramePr/>
  <a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
    <wps:wsp>
      <wps:cNvSpPr txBox="1"/>
      <wps:spPr>
        <a:xfrm><a:off x="0" y="0"/><a:ext cx="{width_emu}" cy="{height_emu}"/></a:xfrm>
        <a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln>
      </wps:spPr>
      <wps:txbx><w:txbxContent/></wps:txbx>
      <wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="b">
        <a:noAutofit/>
      </wps:bodyPr>
    </wps:wsp>
  </a:graphicData></a:graphic>
</wp:anchor></w:drawing></w:r>"""
    )
    content = box.find(f".//{{{WORDML}}}txbxContent")
    for element in elements:
        content.append(element)
    # The anchor: an empty paragraph after the body that takes no room of its own.
    anchor = document.add_paragraph()
    anchor.paragraph_format.first_line_indent = Pt(0)
    anchor.paragraph_format.line_spacing = Pt(1)
    snap_to_grid_off(anchor)
    anchor._p.append(box)


def _imprint_line(document: DocxDocument) -> Paragraph:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    exact_spacing(paragraph)
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.right_indent = Pt(IMPRINT_SIZE_PT)
    return paragraph


def _rule(document: DocxDocument, eighths: int) -> Paragraph:
    """A rule across the type area: the bottom border of an empty one-point paragraph."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(1)
    fmt.space_before = fmt.space_after = Pt(0)
    snap_to_grid_off(paragraph)
    border(paragraph._p.get_or_add_pPr(), "bottom", eighths, "000000")
    return paragraph


_DRAWING_NAMESPACES = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in (
        ("w", WORDML),
        ("wp", "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"),
        ("a", DRAWINGML),
        ("wps", "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"),
    )
)
