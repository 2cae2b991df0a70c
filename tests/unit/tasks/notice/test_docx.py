"""The notice DOCX read back with python-docx: GB/T 9704 page, fonts (eastAsia too), sizes, exact spacing."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import docx
import pytest
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from models.measure_view import MeasureView
from models.notice import NoticeDocument, ProblemInfo, ReportInfo, build_notice
from tasks.notice.docx import render_docx
from tasks.notice.docx_layout import CHARACTER_SPACING_TWIPS
from tests.factories import formal_notice
from tests.unit.models.test_notice import ROUND

AS_OF = date(2023, 12, 31)
SIGNATURE = "中共新华区城市管理综合行政执法局党组"


def _document(signature: str | None = None) -> NoticeDocument:
    problems = [
        ProblemInfo(
            1,
            "学习理解不系统、不深入",
            "谈话中班子成员普遍反映对新发展理念的认识还不够深刻。",
            "",
            (MeasureView("A", 1, "一是", "局党组"), MeasureView("B", 2, "二是", "各街道办事处")),
        ),
        ProblemInfo(2, "争先进位意识不够强", "学习借鉴不够。", "提出要求：", (MeasureView("C", 1, "一是"),)),
    ]
    reports = {
        "A": ReportInfo("进一步强化思想理论武装，APP学习2023年共52次。"),
        "C": ReportInfo("对标先进。"),
    }
    return build_notice(replace(ROUND, signature=signature), problems, reports, AS_OF)


def _read(document: NoticeDocument) -> Document:
    return docx.Document(io.BytesIO(render_docx(document)))


def _fonts(run: Run) -> dict[str, str | None]:
    r_pr = run._r.rPr
    assert r_pr is not None and r_pr.rFonts is not None, run.text
    r_fonts = r_pr.rFonts
    return {name: r_fonts.get(qn(f"w:{name}")) for name in ("ascii", "hAnsi", "eastAsia")}


def _text_paragraphs(doc: Document) -> list[Paragraph]:
    return [p for p in doc.paragraphs if p.text]


def test_page_is_a4_with_gbt9704_margins_and_a_line_only_grid() -> None:
    doc = _read(_document())
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert section.page_width.mm == pytest.approx(210, abs=0.05)
    assert section.page_height.mm == pytest.approx(297, abs=0.05)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [m.mm for m in margins if m is not None] == pytest.approx([37, 35, 28, 26], abs=0.05)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid is not None
    assert grid.get(qn("w:type")) == "lines"  # not linesAndChars
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt


def test_every_run_names_its_east_asian_font_and_latin_text_is_times_new_roman() -> None:
    doc = _read(_document(SIGNATURE))
    runs = [run for p in doc.paragraphs for run in p.runs]
    assert runs
    for run in runs:
        fonts = _fonts(run)
        assert fonts["eastAsia"], run.text
        assert fonts["ascii"] == fonts["hAnsi"] == "Times New Roman", run.text
        assert run.font.size is not None
    normal = doc.styles["Normal"]
    r_fonts = normal.element.rPr.rFonts
    assert r_fonts is not None
    assert r_fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)


def test_title_is_2hao_xiaobiaosong_centred_off_the_grid() -> None:
    doc = _read(_document())
    issuer, title = _text_paragraphs(doc)[:2]
    assert [issuer.text, title.text] == ["中共新华区城市管理综合行政执法局党组", "关于巡察整改进展情况的通报"]
    for paragraph in (issuer, title):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert paragraph.paragraph_format.first_line_indent == 0
        snap = paragraph._p.pPr.find(qn("w:snapToGrid"))  # type: ignore[union-attr]
        assert snap is not None and snap.get(qn("w:val")) == "0"
        for run in paragraph.runs:
            assert _fonts(run)["eastAsia"] == "方正小标宋简体"
            assert run.font.size == Pt(22)
    # The document starts with the two title lines, then one blank line before the body.
    assert [p.text for p in doc.paragraphs[:3]] == [issuer.text, title.text, ""]


def test_body_is_3hao_fangsong_with_exact_spacing_and_two_character_indent() -> None:
    document = _document()
    doc = _read(document)
    body = _text_paragraphs(doc)[2:]
    assert [p.text for p in body] == document.plain_paragraphs()[2:]
    for paragraph in body:
        fmt = paragraph.paragraph_format
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert fmt.line_spacing == Pt(28.95)
        assert fmt.first_line_indent == Pt(32)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
        assert all(run.font.size == Pt(16) for run in paragraph.runs)


def test_headings_heiti_label_kaiti_and_missing_marker_highlighted() -> None:
    doc = _read(_document())
    paragraphs = {p.text[:2]: p for p in _text_paragraphs(doc)}
    heading = paragraphs["一、"]
    assert (heading.runs[0].text, _fonts(heading.runs[0])["eastAsia"]) == (
        "一、学习理解不系统、不深入。",
        "黑体",
    )
    assert _fonts(heading.runs[1])["eastAsia"] == "仿宋_GB2312"
    outcomes = [p for p in _text_paragraphs(doc) if p.text.startswith("整改成效：")]
    label = outcomes[0].runs[0]
    assert (label.text, _fonts(label)["eastAsia"]) == ("整改成效：", "楷体_GB2312")
    missing = [run for run in outcomes[0].runs if run.text == "【待报送：各街道办事处】"]
    assert len(missing) == 1
    assert missing[0].font.highlight_color == WD_COLOR_INDEX.YELLOW
    assert _fonts(missing[0])["eastAsia"] == "仿宋_GB2312"


def test_page_numbers_in_outer_corners() -> None:
    doc = _read(_document())
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for paragraph, alignment in (
        (section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert paragraph.alignment == alignment
        xml = paragraph._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        for run in paragraph.runs:
            # 4号半角宋体阿拉伯数字: the digits and dashes too, at the font's own spacing.
            assert set(_fonts(run).values()) == {"宋体"}, run.text
            assert run.font.size == Pt(14)
            spacing = run._r.rPr.find(qn("w:spacing"))  # type: ignore[union-attr]
            assert spacing is not None and spacing.get(qn("w:val")) == "0"
    assert section.footer.paragraphs[0].paragraph_format.right_indent == Pt(14)
    assert section.even_page_footer.paragraphs[0].paragraph_format.left_indent == Pt(14)


TYPE_WIDTH_PT = 156 / 25.4 * 72
SPACING_PT = CHARACTER_SPACING_TWIPS / 20
SIGNATURE_PT = 18 * (16 + SPACING_PT)
DATE_PT = 8 * (8 + SPACING_PT) + 3 * (16 + SPACING_PT)  # 2023年12月31日: 8 digits, 3 characters


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        # 18 characters: signature 2 characters from the right; the date starts 2 characters right of the
        # signature's first character, whatever its own width.
        (SIGNATURE, (("right", 32), ("left", TYPE_WIDTH_PT - SIGNATURE_PT))),
        # A signature shorter than the date: the date keeps 2 characters, the signature moves left.
        ("某局", (("left", TYPE_WIDTH_PT - 32 - DATE_PT - 32), ("right", 32))),
    ],
)
def test_sign_off_positions(signature: str, expected: tuple[tuple[str, float], ...]) -> None:
    doc = _read(_document(signature))
    paragraphs = doc.paragraphs
    sign, day = paragraphs[-2], paragraphs[-1]
    assert (sign.text, day.text) == (signature, "2023年12月31日")
    assert paragraphs[-3].text == ""  # one blank line after the body
    for paragraph, (side, indent) in zip((sign, day), expected, strict=True):
        fmt = paragraph.paragraph_format
        if side == "right":
            assert paragraph.alignment == WD_ALIGN_PARAGRAPH.RIGHT
            assert fmt.right_indent is not None and fmt.right_indent.pt == pytest.approx(indent, abs=0.05)
        else:
            assert paragraph.alignment == WD_ALIGN_PARAGRAPH.LEFT
            assert fmt.left_indent is not None and fmt.left_indent.pt == pytest.approx(indent, abs=0.05)
    closing = paragraphs[-4]
    assert closing.text.startswith("欢迎广大干部群众")
    assert closing.paragraph_format.keep_with_next
    assert sign.paragraph_format.keep_with_next


def test_paragraph_properties_follow_the_schema_order() -> None:
    """Word refuses a document whose w:pPr children are out of order; LibreOffice does not care."""
    from tasks.notice.docx_xml import PPR_ORDER

    order = list(PPR_ORDER)
    doc = _read(_document(SIGNATURE))
    section = doc.sections[0]
    paragraphs = [*doc.paragraphs, *section.footer.paragraphs, *section.even_page_footer.paragraphs]
    for paragraph in paragraphs:
        p_pr = paragraph._p.pPr
        assert p_pr is not None
        tags = [child.tag.replace(qn("w:x")[:-1], "w:") for child in p_pr]
        assert all(tag in order for tag in tags), tags
        positions = [order.index(tag) for tag in tags]
        assert positions == sorted(positions), tags
    sign_off = doc.paragraphs[-1]._p.pPr
    assert sign_off is not None
    flag = sign_off.find(qn("w:autoSpaceDE"))
    assert flag is not None and flag.get(qn("w:val")) == "0"


def test_body_characters_are_tightened_to_28_a_line_and_punctuation_does_not_hang() -> None:
    doc = _read(_document())
    normal = doc.styles["Normal"].element
    spacing = normal.rPr.find(qn("w:spacing"))
    assert spacing is not None and int(spacing.get(qn("w:val"))) == CHARACTER_SPACING_TWIPS
    # 28 characters fit the 156 mm line (442.2 pt), 29 do not; a first line holds 26 after its indent.
    pitch = 16 + CHARACTER_SPACING_TWIPS / 20
    assert 28 * pitch <= TYPE_WIDTH_PT < 29 * pitch
    assert 32 + 26 * pitch <= TYPE_WIDTH_PT < 32 + 27 * pitch
    overflow = normal.pPr.find(qn("w:overflowPunct"))
    assert overflow is not None and overflow.get(qn("w:val")) == "1"  # LibreOffice reads it inverted
    title = _text_paragraphs(doc)[1]
    for run in title.runs:
        title_spacing = run._r.rPr.find(qn("w:spacing"))  # type: ignore[union-attr]
        assert title_spacing is not None and title_spacing.get(qn("w:val")) == "0"


def test_shared_punctuation_gets_runs_set_wholly_in_the_chinese_font() -> None:
    problems = [ProblemInfo(1, "燃气安全", "", "", (MeasureView("A", 1, "一是"),))]
    reports = {"A": ReportInfo("汲取银川“6·21”燃气爆炸事故教训……")}
    doc = _read(build_notice(ROUND, problems, reports, AS_OF))
    outcome = next(p for p in doc.paragraphs if p.text.startswith("整改成效："))
    runs = [(run.text, _fonts(run)["ascii"], _fonts(run)["eastAsia"]) for run in outcome.runs]
    assert runs == [
        ("整改成效：", "Times New Roman", "楷体_GB2312"),
        ("一是汲取银川", "Times New Roman", "仿宋_GB2312"),
        ("“", "仿宋_GB2312", "仿宋_GB2312"),
        ("6", "Times New Roman", "仿宋_GB2312"),
        ("·", "仿宋_GB2312", "仿宋_GB2312"),
        ("21", "Times New Roman", "仿宋_GB2312"),
        ("”", "仿宋_GB2312", "仿宋_GB2312"),
        ("燃气爆炸事故教训", "Times New Roman", "仿宋_GB2312"),
        ("……", "仿宋_GB2312", "仿宋_GB2312"),
    ]


def _package(document: NoticeDocument, generated_at: datetime | None = None) -> dict[str, str]:
    data = render_docx(document, generated_at=generated_at)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")
        }


def test_file_properties_come_from_the_round_and_the_generation_time() -> None:
    generated_at = datetime(2024, 1, 5, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    doc = docx.Document(io.BytesIO(render_docx(_document(), generated_at=generated_at)))
    properties = doc.core_properties
    assert properties.author == properties.last_modified_by == "中共新华区城市管理综合行政执法局党组"
    assert properties.title == "中共新华区城市管理综合行政执法局党组关于巡察整改进展情况的通报"
    assert properties.created == properties.modified == datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    assert properties.comments == "" and properties.language == "zh-CN"
    package = _package(_document(), generated_at)
    assert not [name for name, xml in package.items() if "python-docx" in xml]
    assert "<Application>Zhenggai</Application>" in package["docProps/app.xml"]
    assert "Macintosh" not in package["docProps/app.xml"]
    assert "docProps/thumbnail.jpeg" not in package  # the template's picture of another document


def test_languages_and_theme_are_chinese_without_japanese_fonts() -> None:
    package = _package(_document())
    for name in ("word/styles.xml", "word/stylesWithEffects.xml"):
        languages = re.findall(r'<w:lang [^>]*w:eastAsia="([^"]+)"', package[name])
        assert languages and set(languages) == {"zh-CN"}, (name, languages)
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', package["word/settings.xml"])
    theme = package["word/theme/theme1.xml"]
    assert 'script="Jpan"' not in theme and "ＭＳ" not in theme
    assert '<a:ea typeface="仿宋_GB2312"/>' in theme and '<a:ea typeface="黑体"/>' in theme


def test_font_table_names_the_gongwen_fonts_with_fall_backs() -> None:
    table = _package(_document())["word/fontTable.xml"]
    assert "ＭＳ" not in table
    for name, alt_name in (
        ("仿宋_GB2312", "仿宋"),
        ("楷体_GB2312", "楷体"),
        ("方正小标宋简体", "宋体"),
        ("黑体", "SimHei"),
        ("宋体", "SimSun"),
    ):
        entry = re.search(rf'<w:font w:name="{name}">(.*?)</w:font>', table)
        assert entry, name
        assert f'<w:altName w:val="{alt_name}"/>' in entry.group(1)
        assert '<w:charset w:val="86"/>' in entry.group(1)  # GB2312


def _with_masthead_and_imprint() -> NoticeDocument:
    return formal_notice(_document(SIGNATURE))


def test_masthead_is_red_xiaobiaosong_over_the_document_number_and_a_red_line() -> None:
    doc = _read(_with_masthead_and_imprint())
    masthead, number, issuer = _text_paragraphs(doc)[:3]
    assert masthead.text == "中共新华区城市管理综合行政执法局党组文件"
    assert masthead.alignment == number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert masthead.paragraph_format.space_before is not None
    assert masthead.paragraph_format.space_before.mm == pytest.approx(35, abs=0.1)
    for run in masthead.runs:
        assert set(_fonts(run).values()) == {"方正小标宋简体"}
        assert str(run.font.color.rgb) == "FF0000"
        assert run.font.size == Pt(22)  # 20 characters across 442 pt: 22 pt, not 初号
    assert number.text == "新城执党〔2024〕3号"
    red_line = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))  # type: ignore[union-attr]
    assert (red_line.get(qn("w:color")), red_line.get(qn("w:val"))) == ("FF0000", "single")
    assert issuer.text == "中共新华区城市管理综合行政执法局党组"
    assert issuer.paragraph_format.space_before == Pt(2 * 28.95)


def test_imprint_is_a_text_box_at_the_bottom_of_the_type_area_after_the_sign_off() -> None:
    doc = _read(_with_masthead_and_imprint())
    body = doc.element.body
    boxes = body.findall(".//" + qn("w:txbxContent"))
    assert len(boxes) == 1
    lines = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in boxes[0].findall(qn("w:p"))]
    assert lines == [
        "",
        "抄送：区委巡察办，区纪委监委。",
        "",
        "中共新华区城市管理综合行政执法局办公室2024年1月5日印发",
        "",
    ]
    rules = [p.find(qn("w:pPr")).find(qn("w:pBdr")) for p in boxes[0].findall(qn("w:p"))[::2]]
    assert [rule.find(qn("w:bottom")).get(qn("w:sz")) for rule in rules] == ["8", "6", "8"]
    anchor = body.find(".//" + qn("wp:anchor"))
    assert anchor is not None
    assert anchor.find(qn("wp:positionV")).get("relativeFrom") == "page"
    offset = int(anchor.find(qn("wp:positionV")).find(qn("wp:posOffset")).text)
    height = int(anchor.find(qn("wp:extent")).get("cy"))
    assert (offset + height) / 36000 == pytest.approx(
        297 - 35, abs=0.01
    )  # its bottom on the type area's edge
    # The sign-off still closes the text, the box's anchor paragraph comes last.
    texts = [p.text for p in doc.paragraphs]
    assert texts[-3:] == [SIGNATURE, "2023年12月31日", ""]


def test_run_properties_follow_the_schema_order() -> None:
    """Word refuses a document whose w:rPr children are out of order (w:spacing before w:sz, …)."""
    from tasks.notice.docx_xml import RPR_ORDER

    body = _read(_with_masthead_and_imprint()).element.body
    runs = [r_pr for r_pr in body.iter(qn("w:rPr")) if r_pr.getparent().tag == qn("w:r")]
    assert len(runs) >= 20
    for r_pr in runs:
        tags = [child.tag.replace(qn("w:x")[:-1], "w:") for child in r_pr]
        assert all(tag in RPR_ORDER for tag in tags), tags
        positions = [RPR_ORDER.index(tag) for tag in tags]
        assert positions == sorted(positions), tags
