"""The notice as plain text, Markdown and HTML (tasks.notice.text)."""

from __future__ import annotations

import re
from dataclasses import replace

from models.measure_view import MeasureView
from models.notice import NoticeDocument, ReportInfo, build_notice
from tasks.notice.text import render_html, render_markdown, render_text
from tests.unit.models.test_notice import AS_OF, ROUND, problem_with


def test_text_has_a_blank_line_after_the_title_and_one_paragraph_per_line() -> None:
    signed = replace(ROUND, signature="某某局党组")
    document = build_notice(signed, [problem_with(1, MeasureView("A", 1))], {"A": ReportInfo("好。")}, AS_OF)
    text = render_text(document)
    lines = text.split("\n")
    assert lines[:3] == ["中共新华区城市管理综合行政执法局党组", "关于巡察整改进展情况的通报", ""]
    assert lines[-4:] == ["", "某某局党组", "2023年12月31日", ""]
    assert [line for line in lines if line] == document.plain_paragraphs()


def test_html_shows_hostile_report_text_literally() -> None:
    document = _hostile_document()
    html = render_html(document)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; **粗体**" in html
    assert '<span class="missing">【待报送：各街道办事处】</span>' in html
    assert '<span class="heading">一、问题1。</span>' in html
    assert '<span class="label">整改成效：</span>' in html
    assert html.count("<p ") == len(document.blocks())


def test_markdown_escapes_report_markup_and_bolds_headings_and_markers() -> None:
    document = _hostile_document()
    markdown = render_markdown(document)
    assert "<script>" not in markdown
    assert r"\<script\>" in markdown and r"\*\*粗体\*\*" in markdown and r"\[链接\]" in markdown
    assert "**一、问题1**。问题1的描述。" in markdown
    assert "**整改成效**：一是" in markdown
    assert "【**待报送：各街道办事处**】" in markdown
    assert markdown.startswith("# 中共新华区城市管理综合行政执法局党组\n\n# 关于巡察整改进展情况的通报\n\n")
    # One Markdown paragraph per notice paragraph.
    assert len(re.split(r"\n\n", markdown.strip())) == len(document.blocks())


HOSTILE = '<script>alert("x")</script> & **粗体** [链接](http://evil) `代码`'


def _hostile_document() -> NoticeDocument:
    problems = [problem_with(1, MeasureView("A", 1, "一是"), MeasureView("B", 2, "二是", "各街道办事处"))]
    return build_notice(ROUND, problems, {"A": ReportInfo(HOSTILE)}, AS_OF)


def _commonmark(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


def test_commonmark_shows_every_bold_heading_label_and_marker_as_strong() -> None:
    html = _commonmark(render_markdown(_hostile_document()))
    assert "<strong>一、问题1</strong>。问题1的描述。" in html
    assert "<strong>整改成效</strong>：一是" in html
    assert "【<strong>待报送：各街道办事处</strong>】" in html
    assert "**" not in html.replace("**粗体**", "")  # only the report's own asterisks, shown literally
    assert "&lt;script&gt;alert" in html and "<script>" not in html and "<a " not in html


LINE_STARTS = "- 列表项\n1. 有序项\n---\n===\n&lt;b&gt;实体&lt;/b&gt;\n# 标题\n> 引用\n+ 加号\n* 星号\n2) 括号\n    缩进"


def test_report_lines_that_look_like_markdown_blocks_stay_text_in_commonmark() -> None:
    problems = [problem_with(1, MeasureView("A", 1, "一是"))]
    for text in (LINE_STARTS, "---\n" + LINE_STARTS, "===\n" + LINE_STARTS):
        document = build_notice(ROUND, problems, {"A": ReportInfo(text)}, AS_OF)
        html = _commonmark(render_markdown(document))
        for tag in ("<ul", "<ol", "<hr", "<h2", "<blockquote", "<pre", "<code", "<b>"):
            assert tag not in html, (tag, html)
        assert html.count("<h1>") == 2  # the masthead's two title lines only
        assert "&amp;lt;b&amp;gt;实体" in html  # the entity shown as written, not as a tag
        for line in ("- 列表项", "1. 有序项", "# 标题", "&gt; 引用", "+ 加号", "* 星号", "2) 括号"):
            assert line in html, (line, html)
