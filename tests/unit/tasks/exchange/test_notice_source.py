"""A notice file read into its line stream: plain text, Word and saved web pages (tasks.exchange.notice_source,
notice_docx, notice_html), and the one text normalisation every line passes through."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from models.errors import InvalidPlan
from tasks.exchange.notice_docx import read_docx
from tasks.exchange.notice_html import decode_html, read_html
from tasks.exchange.notice_parser import parse_source
from tasks.exchange.notice_source import (
    Position,
    RefusedCharacter,
    SourceLine,
    SourceTable,
    normalise_text,
    read_notice_bytes,
    read_notice_file,
    read_text,
)

CORPUS = Path(__file__).resolve().parents[3] / "data" / "notices"


def texts(source) -> list[tuple[str, str]]:
    return [(str(item.position), item.text) for item in source.lines]


# -- the normalisation --------------------------------------------------------------------------


def test_line_breaks_become_one_kind_and_invisible_characters_go():
    assert normalise_text("甲\v乙\f丙\u2028丁\u2029戊\r\n己\r庚") == "甲\n乙\n丙\n丁\n戊\n己\n庚"
    assert normalise_text("\ufeff整改\u200b成效\u200d：\u202e一是\u2066甲\u2069") == "整改成效：一是甲"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x85"[:0] + "\x9b"])
def test_control_characters_are_refused(char):
    with pytest.raises(RefusedCharacter) as error:
        normalise_text(f"一是{char}甲")
    assert f"U+{ord(char):04X}" in str(error.value)


def test_a_refused_character_names_every_line_and_nothing_is_read():
    with pytest.raises(InvalidPlan) as error:
        read_text("中共某局党组\n一、甲\x00。\n整改成效：乙\x1b。\n", "bad.txt")
    assert [issue.where for issue in error.value.issues] == ["bad.txt:2", "bad.txt:3"]
    assert "U+0000" in str(error.value)


# -- plain text ---------------------------------------------------------------------------------


def test_plain_text_keeps_the_files_line_numbers():
    source = read_text("\ufeff\n标题\r\n\r\n　　正文一。  \r第二行\v续行\n")
    assert texts(source) == [
        ("line 2", "标题"),
        ("line 4", "正文一。"),
        ("line 5", "第二行"),
        ("line 5", "续行"),
    ]


def test_the_reader_is_chosen_by_the_extension(tmp_path):
    assert read_notice_file(CORPUS / "n08_bold_lead_sentence.docx").unit == "paragraph"
    assert read_notice_file(CORPUS / "n10_portal_page.html").published == date(2024, 11, 5)
    assert read_notice_file(CORPUS / "n01_audit_brackets_guanyu.txt").unit == "line"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("中共某局党组\n关于整改情况的通报\n".encode("gb18030"))
    assert texts(read_notice_file(gbk))[0] == ("line 1", "中共某局党组")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notice.pdf", b"%PDF-1.7", "cannot read a .pdf file as a notice"),
        ("notice.docx", b"not a zip", "not a Word .docx file"),
        ("notice.txt", b"\xff\xfe\xfa\xfb\x80\x81", "neither UTF-8 nor GB18030"),
    ],
)
def test_a_file_that_cannot_be_read_is_named(name, data, message):
    with pytest.raises(InvalidPlan) as error:
        read_notice_bytes(data, name)
    assert message in str(error.value) and name in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InvalidPlan) as error:
        read_notice_file(tmp_path / "absent.txt")
    assert "absent.txt" in str(error.value) and "cannot read" in str(error.value)


# -- Word ---------------------------------------------------------------------------------------


def _docx(build) -> bytes:
    from docx import Document

    document = Document()
    build(document)
    data = io.BytesIO()
    document.save(data)
    return data.getvalue()


def test_word_paragraphs_are_numbered_as_word_counts_them_with_their_bold_lead():
    source = read_notice_file(CORPUS / "n08_bold_lead_sentence.docx")
    lines = source.lines
    assert [line.position for line in lines][:4] == [Position(n, "paragraph") for n in (1, 2, 3, 4)]
    assert lines[3].lead == "一、班子成员履行“一岗双责”不够到位。"
    assert lines[4].lead == ""  # 整改情况： is set in 楷体, not bold


def test_a_bold_title_after_a_plain_number_and_soft_line_breaks():
    def build(document):
        document.add_paragraph("")
        paragraph = document.add_paragraph()
        paragraph.add_run("一、")
        paragraph.add_run("班子建设不够有力").bold = True
        paragraph.add_run("。表现为谈心谈话不经常。")
        outcome = document.add_paragraph()
        outcome.add_run("整改成效：")
        outcome.add_run().add_break()
        outcome.add_run("一是甲；")
        outcome.add_run().add_break()
        outcome.add_run("二是乙。")
        late = document.add_paragraph()
        late.add_run("这一段前文很长，").bold = False
        late.add_run("加粗在后面").bold = True

    source = read_docx(_docx(build))
    assert [(str(line.position), line.text, line.lead) for line in source.lines] == [
        ("paragraph 2", "一、班子建设不够有力。表现为谈心谈话不经常。", "一、班子建设不够有力"),
        ("paragraph 3", "整改成效：", ""),
        ("paragraph 3", "一是甲；", ""),
        ("paragraph 3", "二是乙。", ""),
        ("paragraph 4", "这一段前文很长，加粗在后面", ""),  # bold that does not open the paragraph is no lead
    ]


def test_a_word_table_is_kept_with_its_header_and_numbered_rows():
    source = read_notice_file(CORPUS / "n09_table_ledger.docx")
    (table,) = [item for item in source.items if isinstance(item, SourceTable)]
    assert table.header == ("序号", "反馈问题", "整改措施", "整改情况", "责任单位")
    assert str(table.rows[0].position) == "table 1, row 1"
    assert table.rows[0].cells[2] == "1.建立项目预算执行月通报制度；\n2.对执行率低于50%的项目收回预算指标。"
    # The table stands where it is in the document: after paragraph 4.
    assert [type(item).__name__ for item in source.items] == ["SourceLine"] * 4 + [
        "SourceTable",
        "SourceLine",
    ]


def test_merged_problem_cells_give_the_measures_of_one_problem():
    def build(document):
        document.add_paragraph(
            "区委第一巡察组于2024年3月1日至4月30日对我局开展了常规巡察，5月20日反馈了巡察意见。"
        )
        table = document.add_table(rows=4, cols=3)
        for cell, text in zip(table.rows[0].cells, ("序号", "反馈问题", "整改措施"), strict=True):
            cell.text = text
        table.cell(1, 0).merge(table.cell(2, 0)).text = "1"
        table.cell(1, 1).merge(table.cell(2, 1)).text = "台账管理不规范"
        table.cell(1, 2).text = "建立台账。"
        table.cell(2, 2).text = "每月核对。"
        table.cell(3, 0).text = "2"
        table.cell(3, 1).text = "公示不及时"
        table.cell(3, 2).text = "按月公示。"

    notice = parse_source(read_docx(_docx(build)))
    assert [(p.heading, p.title, [m.text for m in p.measures]) for p in notice.problems] == [
        ("1", "台账管理不规范", ["建立台账。", "每月核对。"]),
        ("2", "公示不及时", ["按月公示。"]),
    ]
    assert notice.unplaced == [] and notice.warnings == []


def test_a_table_that_is_no_ledger_is_reported_row_by_row():
    def build(document):
        document.add_paragraph(
            "区委第一巡察组于2024年3月1日至4月30日对我局开展了常规巡察，5月20日反馈了巡察意见。"
        )
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "单位", "人数"
        table.cell(1, 0).text, table.cell(1, 1).text = "办公室", "5"

    notice = parse_source(read_docx(_docx(build)))
    assert [(str(u.position), u.text, u.reason) for u in notice.unplaced] == [
        ("table 1, row 1", "办公室 | 5", "a table that is not a 整改台账")
    ]


# -- web pages ----------------------------------------------------------------------------------

PAGE = """<html><head><meta charset="utf-8"><title>某局关于巡察整改情况的通报_某县政府网</title>
<meta name="PubDate" content="2024-06-01 09:00"></head><body>
<div class="nav"><a href="/">首页</a><a href="/a">一、机构概况</a></div>
<div class="side"><ul><li><a href="#">1.政务公开指南</a></li></ul></div>
<div class="content">
<h2>中共某县水务局党组</h2><h1>关于巡察整改情况的通报</h1>
<p>县委第一巡察组于2024年3月1日至4月30日对县水务局党组开展了常规巡察，
5月20日反馈了巡察意见。现将整改情况通报如下。</p>
<p><b>一、河长制</b><b>落实不到位。</b>部分河段巡河记录缺失。</p>
<p>整改成效：一是建立巡河台账；二是开展暗访督查。</p>
<table border="1"><tr><th>序号</th><th>反馈问题</th><th>整改措施</th><th>责任单位</th><th>完成情况</th></tr>
<tr><td>2</td><td>水费征收不规范</td><td><p>1.全面清理欠费；</p><p>2.公示收费标准。</p></td><td>财务科</td><td>已完成</td></tr>
</table>
<p>联系电话：0123-4567890。</p>
</div><div class="footer">地址：某县某路1号 电话：0000-0000000</div></body></html>"""


def test_the_article_is_the_block_of_the_preamble_and_headings_not_the_sites_menus():
    source = read_html(PAGE, "page.html")
    assert texts(source) == [
        ("paragraph 1", "中共某县水务局党组"),
        ("paragraph 2", "关于巡察整改情况的通报"),
        # The source's line break between two Chinese characters is no space.
        (
            "paragraph 3",
            "县委第一巡察组于2024年3月1日至4月30日对县水务局党组开展了常规巡察，5月20日反馈了巡察意见。现将整改情况通报如下。",
        ),
        ("paragraph 4", "一、河长制落实不到位。部分河段巡河记录缺失。"),
        ("paragraph 5", "整改成效：一是建立巡河台账；二是开展暗访督查。"),
        ("paragraph 6", "联系电话：0123-4567890。"),
    ]
    assert source.lines[3].lead == "一、河长制落实不到位。"
    assert source.published == date(2024, 6, 1)
    notice = parse_source(source)
    assert [(p.title, [m.marker for m in p.measures], p.ledger) for p in notice.problems] == [
        ("河长制落实不到位", ["一是", "二是"], None),
        ("水费征收不规范", ["1.", "2."], {"row": 1, "status": "已完成", "unit": "财务科"}),
    ]
    assert notice.contact.phone == "0123-4567890"  # the notice's, not the footer's
    assert notice.unplaced == [] and notice.warnings == []


def test_the_title_falls_back_to_the_pages_title_and_the_date_to_a_published_line():
    page = (
        "<html><head><title>中共某局党组关于巡察整改情况的通报 - 某县政府网</title></head><body>"
        "<div>发布日期：2024年12月02日</div><div class='text'>"
        "<p>县委巡察组于2024年3月1日至4月30日对我局开展了巡察，5月20日反馈了巡察意见。</p>"
        "<p>一、甲问题。描述。</p><p>整改成效：已整改。</p></div></body></html>"
    )
    source = read_html(page)
    assert texts(source)[0] == ("paragraph 1", "中共某局党组关于巡察整改情况的通报")
    assert source.published == date(2024, 12, 2)


def test_a_page_without_any_landmark_keeps_its_text_to_report_it():
    source = read_html("<html><body><div><a href='/'>首页</a></div><p>本站维护中。</p></body></html>")
    assert texts(source) == [("paragraph 1", "本站维护中。")]


def test_the_declared_charset_decodes_the_page():
    data = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><p>整改成效</p></body></html>'
    assert "整改成效" in decode_html(data.encode("gb18030"), "page.html")


def test_script_style_and_comments_are_no_text():
    page = "<body><script>var a='一、假标题';</script><style>p{}</style><!-- 二、注释 --><p>正文。</p></body>"
    assert [line.text for line in read_html(page).lines if isinstance(line, SourceLine)] == ["正文。"]


def _numbered_docx() -> bytes:
    """Headings numbered by Word's automatic numbering (一、 then （一） one level down), not in the text."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def build(document):
        numbering = document.part.numbering_part.element
        numbering.insert(
            0,
            parse_xml(
                f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
                '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
                '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%2）"/></w:lvl>'
                "</w:abstractNum>"
            ),
        )
        numbering.append(
            parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
        )

        def numbered(text, level=0, bold=False):
            paragraph = document.add_paragraph()
            paragraph.add_run(text).bold = bold
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = 90

        document.add_paragraph(
            "区委第一巡察组于2024年3月1日至4月30日对我局开展了常规巡察，5月20日反馈了巡察意见。"
        )
        numbered("河长制落实不到位。", bold=True)
        document.add_paragraph("整改成效：")
        numbered("建立巡河台账；", level=1)
        numbered("开展暗访督查。", level=1)
        numbered("水费征收不规范")
        document.add_paragraph("整改成效：全面清理欠费。")

    return _docx(build)


def test_words_automatic_numbering_is_read_as_printed():
    source = read_docx(_numbered_docx())
    assert [line.text for line in source.lines][1:] == [
        "一、河长制落实不到位。",
        "整改成效：",
        "（1）建立巡河台账；",
        "（2）开展暗访督查。",
        "二、水费征收不规范",  # the level below restarts under the next heading
        "整改成效：全面清理欠费。",
    ]
    assert source.lines[1].lead == "一、河长制落实不到位。"
    notice = parse_source(source)
    assert [(p.heading, p.title, [m.marker for m in p.measures]) for p in notice.problems] == [
        ("一、", "河长制落实不到位", ["（1）", "（2）"]),
        ("二、", "水费征收不规范", [""]),
    ]


def test_a_list_style_numbers_its_paragraphs():
    def build(document):
        document.add_paragraph("甲", style="List Number")
        document.add_paragraph("乙", style="List Number")

    assert [line.text for line in read_docx(_docx(build)).lines] == ["1.甲", "2.乙"]


def test_a_layout_table_around_the_page_is_no_ledger():
    page = (
        "<table><tr><td><a href='/'>常见问题</a> 办事指南</td><td>"
        "<p>县委巡察组于2024年3月1日至4月30日对我局开展了巡察，5月20日反馈了巡察意见。</p>"
        "<p>一、甲问题。描述。</p><p>整改措施：一是建立台账；二是每月核对。</p></td></tr></table>"
    )
    notice = parse_source(read_html(page))
    assert [(p.title, len(p.measures)) for p in notice.problems] == [("甲问题", 2)]
