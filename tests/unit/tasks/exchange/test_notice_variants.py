"""The notice importer on a corpus of notice variants written for the tests (tests/data/notices/)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models.errors import InvalidPlan
from tasks.exchange.notice_import import import_notice_text
from tasks.exchange.notice_parser import parse_notice

NOTICES = Path(__file__).resolve().parents[3] / "data" / "notices"


def read(name: str) -> str:
    # newline="" keeps the CRLF of the half-width variant: the parser must cope with it.
    with open(NOTICES / name, encoding="utf-8", newline="") as handle:
        return handle.read()


def test_items_under_a_progress_section():
    notice = parse_notice(read("items_sections.txt"))
    assert notice.issuing_org == "中共新华区市场监督管理局党组"
    assert notice.inspecting_body == "区委第三巡察组"
    assert notice.inspected_short == "区市场监督管理局党组"
    assert notice.inspection_kind == "专项巡察"
    assert notice.feedback_recipient == "局党组"
    assert (notice.inspection_start, notice.inspection_end, notice.feedback_date) == (
        date(2023, 3, 1),
        date(2023, 4, 30),
        date(2023, 6, 15),
    )
    assert [p.title for p in notice.problems] == [
        "学习贯彻不深入",
        "食品安全监管存在盲区",
        "干部作风不够扎实",
    ]
    assert [[m.marker for m in p.measures] for p in notice.problems] == [
        ["一是", "二是"],
        ["一要", "二要"],
        [""],
    ]
    # Item 2 prints its outcome under the item with no label: it is the outcome, not a description.
    assert notice.problems[1].description == ""
    assert notice.problems[1].measures[0].text == "建立校园周边食品摊点台账，实行网格化管理；"
    assert notice.statistics == {
        "problems": 3,
        "completed": 2,
        "in_progress": 1,
        "completion_rate": 66.7,
        "text": "巡察反馈问题共3个，已完成整改2个，正在整改1个，整改完成率66.7%。",
        "placement": "before_problems",
    }
    # The 下一步工作打算 section is not a problem: reported with its line numbers, never dropped.
    assert [(u.line, u.text) for u in notice.unplaced] == [
        (17, "三、下一步工作打算"),
        (18, "持续巩固整改成果，建立长效机制。"),
    ]
    assert notice.signature == "中共新华区市场监督管理局党组"
    assert notice.notice_date == date(2023, 9, 20)
    assert notice.contact.phone == "0311-12345678"
    assert notice.contact.email == "scjg@example.org"
    assert notice.contact.address is None


def test_items_plan_keeps_the_label_and_statistics():
    result = import_notice_text(read("items_sections.txt"), source="scjg.txt", reported_on=date(2023, 9, 20))
    spec = result.plan.round
    assert spec.code == "scjg"
    assert spec.title == "区委第三巡察组专项巡察反馈问题整改"
    assert spec.notice["label"] == "整改情况"
    assert spec.notice["statistics"] == "after_preamble"
    assert "preamble" in spec.notice  # the wording differs from the generator's: kept verbatim
    assert spec.notice["closing"] == "欢迎广大干部群众对巡察整改落实情况进行监督。"
    assert "date" not in spec.notice  # the notice prints a date under its signature
    assert spec.signature == "中共新华区市场监督管理局党组"
    assert spec.statistics["completion_rate"] == 66.7
    assert "placement" not in spec.statistics


def test_items_strict_fails_on_the_extra_section():
    with pytest.raises(InvalidPlan) as error:
        import_notice_text(
            read("items_sections.txt"), source="scjg.txt", reported_on=date(2023, 9, 20), strict=True
        )
    assert [issue.where for issue in error.value.issues] == ["scjg.txt:17", "scjg.txt:18"]
    assert "下一步工作打算" in str(error.value)


def test_half_width_punctuation_crlf_and_trailing_spaces():
    notice = parse_notice(read("half_width_crlf.txt"))
    # One header line holds both the organisation and the title.
    assert notice.issuing_org == "中共桥东区住房和城乡建设局党组"
    assert notice.title == "关于巡察整改进展情况的通报"
    # The inspection spans a new year: the end date names its year.
    assert (notice.inspection_start, notice.inspection_end) == (date(2023, 11, 1), date(2024, 1, 15))
    assert notice.feedback_date == date(2024, 3, 5)
    assert notice.inspecting_body == "市委第一巡察组"
    assert [p.title for p in notice.problems] == ["老旧小区改造进度滞后", "建筑工地扬尘治理不到位"]
    assert notice.problems[0].description == "部分项目未按期开工,群众反映强烈。"
    assert notice.problems[0].label == "整改进展"
    assert [m.marker for m in notice.problems[0].measures] == ["一是", "二是", "三是"]
    assert notice.problems[0].measures[0].text == "建立周调度机制,每周通报项目进度;"
    assert notice.problems[0].measures[2].text == "完善群众意见征集渠道,累计收集意见建议86条."
    assert notice.problems[1].description == "个别工地裸土未覆盖。"  # trailing spaces gone
    assert notice.contact.phone == "0311-7654321"
    assert notice.contact.address == "石家庄市桥东区建设路8号"
    assert notice.contact.postcode == "050011"
    assert notice.contact.email == "qdzj@example.com"
    assert notice.unplaced == [] and notice.warnings == []


def test_half_width_plan():
    result = import_notice_text(
        read("half_width_crlf.txt"), source="qd.txt", reported_on=date(2024, 5, 1), strict=True
    )
    assert result.plan.round.notice["label"] == "整改进展"
    assert result.plan.round.notice["closing"].endswith("请及时向我们反映。")


def test_labels_on_their_own_line_lead_in_and_yao_markers():
    notice = parse_notice(read("labels_and_markers.txt"))
    first, second = notice.problems
    # A heading without 。 is the title; the next paragraph its description.
    assert first.title == "基层医疗机构药品管理不规范"
    assert first.description == "部分社区卫生服务站药品出入库登记不全，过期药品未及时清理。"
    assert first.label == "整改情况"
    assert first.outcome_lead_in == "针对药品管理问题，局党组召开专题会议研究部署，提出统一要求："
    assert [m.marker for m in first.measures] == ["一要", "二要", "三要"]
    # 唯一是, 第二天, 一方面/另一方面 are inside sentences: no split.
    assert (
        first.measures[1].text
        == "建章立制。制定《药品出入库管理办法》，明确专人负责。唯一是非标准的做法已被取消；第二天即下发执行。"
    )
    assert first.measures[2].text.endswith("一方面查台账，另一方面查实物。")
    assert second.title == "公共卫生应急演练流于形式"
    assert [m.text for m in second.measures] == [
        "修订应急预案。",
        "开展无脚本演练3次。",
        "建立评估整改清单。",
    ]
    # The statistics paragraph after the problems is statistics, not a measure of problem 2.
    assert notice.statistics["problems"] == 2
    assert notice.statistics["completed"] == 1
    assert notice.statistics["completion_rate"] == 50
    assert notice.statistics["placement"] == "after_problems"
    assert notice.unplaced == [] and notice.warnings == []


def test_labels_plan_places_statistics_before_the_closing():
    result = import_notice_text(
        read("labels_and_markers.txt"), source="wj.txt", reported_on=date(2024, 9, 1), strict=True
    )
    assert result.plan.round.notice == {"label": "整改情况", "statistics": "before_closing"}


def test_unplaceable_lines_are_reported_with_line_numbers():
    notice = parse_notice(read("unplaceable.txt"))
    assert [(u.line, u.text) for u in notice.unplaced] == [
        (3, "（内部资料）"),
        (6, "以上情况特此说明。"),
        (14, "附件：整改台账"),
    ]
    assert [(w.line, w.text) for w in notice.warnings] == [
        (8, "三是"),
        (9, "三、防汛物资储备不足。部分物资过期。"),
    ]
    # Nothing is dropped: the out-of-sequence 三是 stays in the text of 一是.
    assert notice.problems[0].measures[0].text == "补齐巡查记录。三是建立巡查打卡制度。"
    assert [p.ordinal for p in notice.problems] == [1, 2]
    assert notice.signature == "中共新华区水利局党组"
    assert notice.notice_date == date(2023, 10, 8)


def test_unplaceable_without_strict_lists_them_in_the_yaml():
    result = import_notice_text(read("unplaceable.txt"), source="sl.txt", reported_on=date(2023, 10, 8))
    text = result.plan_yaml()
    assert "#   line 3: header line after the title: （内部资料）" in text
    assert "#   line 14: text after the signature: 附件：整改台账" in text


def test_unplaceable_strict_names_every_line():
    with pytest.raises(InvalidPlan) as error:
        import_notice_text(
            read("unplaceable.txt"), source="sl.txt", reported_on=date(2023, 10, 8), strict=True
        )
    assert [i.where for i in error.value.issues] == [
        "sl.txt:3",
        "sl.txt:6",
        "sl.txt:8",
        "sl.txt:9",
        "sl.txt:14",
    ]


def test_no_preamble_is_read_and_its_missing_facts_are_asked_for():
    """Issue 20: a date that cannot be found is asked for with an option, never fatal to the import."""
    notice = parse_notice(read("no_preamble.txt"))
    assert notice.unplaced == [] and notice.preamble == "现将整改情况通报如下。"
    assert [(p.title, p.description) for p in notice.problems] == [("问题一", "描述。")]
    result = import_notice_text(read("no_preamble.txt"), source="np.txt", reported_on=date(2024, 1, 1))
    assert result.missing == ["inspecting_body", "inspection_start", "inspection_end", "feedback_date"]
    assert result.plan_data["round"]["notice"]["preamble"] == "现将整改情况通报如下。"
    with pytest.raises(InvalidPlan) as error:
        result.complete_plan()
    assert [issue.where for issue in error.value.issues] == ["np.txt:4"] * 4
    assert "--inspection-start YYYY-MM-DD" in str(error.value)


def test_full_width_digits_in_dates():
    text = read("labels_and_markers.txt").replace("2024年4月8日至6月7日", "２０２４年４月８日至６月７日")
    notice = parse_notice(text)
    assert (notice.inspection_start, notice.inspection_end) == (date(2024, 4, 8), date(2024, 6, 7))


# -- structures beyond the corpus ---------------------------------------------------------------

NUMBERED_TWICE = """中共某局党组
关于巡察整改情况的通报
区委第一巡察组于2024年3月1日至4月30日对我局开展了常规巡察，5月20日反馈了巡察意见。现将整改情况通报如下。
1.台账管理不规范
部分台账缺失。
整改措施：
1.建立台账；
2.每月核对。
— 2 —
2.公示不及时。未按月公示。
整改措施：按月公示。
附件1：整改清单
截至目前，反馈的2个问题已完成整改1个，正在整改1个。
通过整改，建立制度3项，问责2人。
特此通报。
联系电话：0311-1234567
中共某局党组
2024年9月1日
"""


def test_measures_numbered_like_the_problems_stay_measures():
    notice = parse_notice(NUMBERED_TWICE)
    assert [(p.heading, p.title, [(m.marker, m.text) for m in p.measures]) for p in notice.problems] == [
        ("1.", "台账管理不规范", [("1.", "建立台账；"), ("2.", "每月核对。")]),
        ("2.", "公示不及时", [("", "按月公示。")]),
    ]
    assert notice.warnings == []


def test_page_numbers_and_attachment_lines_are_reported_wherever_they_stand():
    notice = parse_notice(NUMBERED_TWICE)
    assert [(u.line, u.reason) for u in notice.unplaced] == [(9, "a page number"), (12, "an attachment line")]


def test_two_statistics_paragraphs_make_one_set_of_figures():
    statistics = parse_notice(NUMBERED_TWICE).statistics
    assert {
        k: statistics.get(k)
        for k in ("problems", "completed", "in_progress", "rules_made", "people_dealt_with")
    } == {
        "problems": 2,
        "completed": 1,
        "in_progress": 1,
        "rules_made": 3,
        "people_dealt_with": 2,
    }
    assert statistics["text"].count("\n") == 1


def test_the_closing_formula_opens_the_closing():
    notice = parse_notice(NUMBERED_TWICE)
    assert notice.contact.text == "特此通报。联系电话：0311-1234567"
    assert (notice.signature, notice.notice_date) == ("中共某局党组", date(2024, 9, 1))
    # 特此通报 is not a measure of the last problem.
    assert notice.problems[-1].measures[-1].text == "按月公示。"


def test_strict_names_paragraphs_and_table_rows_of_a_word_file():
    import io

    from docx import Document

    from tasks.exchange.notice_docx import read_docx
    from tasks.exchange.notice_import import import_notice

    document = Document()
    document.add_paragraph("中共某局党组")
    document.add_paragraph("关于巡察整改情况的通报")
    document.add_paragraph(
        "区委第一巡察组于2024年3月1日至4月30日对我局开展了常规巡察，5月20日反馈了巡察意见。"
    )
    document.add_paragraph("以上情况特此说明。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "单位", "人数"
    table.cell(1, 0).text, table.cell(1, 1).text = "办公室", "5"
    data = io.BytesIO()
    document.save(data)
    with pytest.raises(InvalidPlan) as error:
        import_notice(
            read_docx(data.getvalue(), "x.docx"), source="x.docx", reported_on=date(2024, 6, 1), strict=True
        )
    assert [issue.where for issue in error.value.issues] == ["x.docx, paragraph 4", "x.docx, table 1, row 1"]


def test_a_masthead_and_a_two_line_title_become_notice_options():
    seed = (Path(__file__).resolve().parents[4] / "examples" / "xinhua-2023" / "notice.txt").read_text(
        encoding="utf-8"
    )
    text = seed.replace(
        "中共新华区城市管理综合行政执法局党组\n关于巡察整改进展情况的通报",
        "中共新华区城市管理综合行政执法局党组文件\n新城执党〔2023〕12号\n中共新华区城市管理综合行政执法局党组\n"
        "关于区委第二巡察组反馈意见\n整改进展情况的通报",
    )
    result = import_notice_text(text, source="xh.txt", reported_on=date(2023, 12, 15), strict=True)
    assert result.complete_plan().round.notice == {
        "title": "关于区委第二巡察组反馈意见整改进展情况的通报",
        "masthead": "中共新华区城市管理综合行政执法局党组文件",
        "document_number": "新城执党〔2023〕12号",
    }
    assert result.complete_plan().round.inspected_org == "中共新华区城市管理综合行政执法局党组"
