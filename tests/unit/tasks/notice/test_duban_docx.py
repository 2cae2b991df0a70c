"""The 督办单 DOCX read back: GB/T 9704 page, the title a coloured 2号 body paragraph, the number, the facts,
the requirement and reply deadline, the coordinator's office signing with the issue day, on one page."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import date

import docx
import pytest
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from models.duban import SheetFacts, sheet_text, title
from tasks.notice.docx_layout import TITLE_SIZE_PT, text_width_pt, type_area_width_pt
from tasks.notice.duban_docx import render_duban_docx

FACTS = SheetFacts(
    number="新城执督〔2024〕1号",
    level="blue",
    measure_code="XH-01-1",
    measure_text="一是每周召开市容管理周例会，通报讲评上周工作",
    problem="问题一：市容管理不到位",
    unit="第一街道办事处",
    leader="李某某",
    deadline=date(2023, 12, 29),
    overdue_workdays=3,
    missed_periods=None,
    issued_on=date(2024, 1, 4),
    reply_by=date(2024, 1, 11),
    reply_workdays=5,
    issuer="督办室",
)


def _read(facts: SheetFacts) -> Document:
    return docx.Document(io.BytesIO(render_duban_docx(facts)))


def test_the_text_names_measure_problem_unit_leader_shortfall_requirement_and_reply() -> None:
    assert title(FACTS) == "整改事项蓝色督办单"
    assert sheet_text(FACTS) == [
        "第一街道办事处：",
        "你单位牵头的整改措施“一是每周召开市容管理周例会，通报讲评上周工作”（XH-01-1，问题一：市容管理不到位，"
        "责任领导李某某），完成时限为2023年12月29日，截至2024年1月4日已逾期3个工作日仍未完成。"
        "根据整改工作督办规定，现予蓝色督办。",
        "督办要求：请责任领导督促落实，你单位于2024年1月11日前完成整改或书面报告整改进展、未按期完成的原因及"
        "下一步措施。",
        "回复时限：5个工作日，请于2024年1月11日前通过整改系统报送进展或书面回复督办室。",
    ]
    silent = replace(FACTS, overdue_workdays=None, missed_periods=4, deadline=None)
    assert "已连续4个报送周期未报送整改进展。" in sheet_text(silent)[1]


@pytest.mark.parametrize(("level", "rgb"), [("blue", "005BAC"), ("yellow", "B8860B"), ("red", "C00000")])
def test_title_is_a_centred_2hao_body_paragraph_in_the_steps_colour(level: str, rgb: str) -> None:
    doc = _read(replace(FACTS, level=level))
    heading, number = doc.paragraphs[:2]
    assert heading.text == title(replace(FACTS, level=level))
    assert heading.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for run in heading.runs:
        assert run.font.size == Pt(22) and run.font.color.rgb == RGBColor.from_string(rgb)
        assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"  # type: ignore[union-attr]
    assert number.text == "新城执督〔2024〕1号" and number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # The title is a paragraph of the body: no header part carries it.
    assert all(not p.text for section in doc.sections for p in section.header.paragraphs)


def test_page_body_and_sign_off_follow_the_notice_layout() -> None:
    doc = _read(FACTS)
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    texts = [p.text for p in doc.paragraphs]
    assert texts[2] == "" and texts[3:7] == sheet_text(FACTS)
    assert texts[-2:] == ["督办室", "2024年1月4日"]
    requirement = doc.paragraphs[5]
    assert requirement.runs[0].text.startswith("督办要求")
    assert requirement.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"  # type: ignore[union-attr]
    for paragraph in doc.paragraphs[3:7]:
        assert paragraph.paragraph_format.line_spacing == Pt(28.95)
        assert all(run.font.size == Pt(16) for run in paragraph.runs)
    properties = doc.core_properties
    assert (properties.author, properties.category) == ("督办室", "蓝色督办")


def test_the_longest_sheet_fits_one_page() -> None:
    """A red sheet for a long measure still fits the 22 lines of one page (title lines count by their size)."""
    long = replace(
        FACTS,
        level="red",
        measure_text="一是" + "加强市容环境卫生精细化管理" * 8,
        unit="新华区城市管理综合行政执法局第一执法中队",
    )
    doc = _read(long)
    width = type_area_width_pt()
    lines = 2 * TITLE_SIZE_PT / 28.95  # the title, on its own pitch
    for paragraph in doc.paragraphs[1:]:
        lines += max(1, math.ceil((32 + text_width_pt(paragraph.text)) / width))
    assert lines <= 22
    assert "w:br" not in doc.element.xml.replace("w:brk", "")  # no page break
