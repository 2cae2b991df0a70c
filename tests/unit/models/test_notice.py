"""The notice as a pure document: preamble, structure, missing reports, statistics, options, text renderers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from models.enums import MeasureStatus
from models.errors import InvalidPlan, MissingReports
from models.measure_view import MeasureView
from models.notice import (
    BlockKind,
    NoticeOptions,
    ProblemInfo,
    ReportInfo,
    RoundInfo,
    RunStyle,
    StatisticsPlacement,
    build_closing,
    build_notice,
    build_preamble,
    check_missing,
    format_date_range,
    notice_option_issues,
)
from tasks.notice.text import render_text

SEED = Path(__file__).resolve().parents[3] / "examples" / "xinhua-2023" / "notice.txt"
AS_OF = date(2023, 12, 31)

ROUND = RoundInfo(
    code="xinhua-2023-xc2",
    inspected_org="中共新华区城市管理综合行政执法局党组",
    inspecting_body="区委第二巡察组",
    inspection_start=date(2023, 6, 29),
    inspection_end=date(2023, 8, 31),
    feedback_date=date(2023, 10, 19),
    contact_phone="0311-86952558",
    contact_address="石家庄市新华区康乐街1号新华大厦419室",
    contact_postcode="050000",
    contact_email="xhqcgjjs@163.com",
)


def _seed_lines() -> list[str]:
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def problem_with(ordinal: int, *measures: MeasureView, lead_in: str = "") -> ProblemInfo:
    return ProblemInfo(ordinal, f"问题{ordinal}", f"问题{ordinal}的描述。", lead_in, measures)


def test_preamble_and_closing_reproduce_the_seed() -> None:
    lines = _seed_lines()
    assert build_preamble(ROUND) == lines[2]
    assert build_closing(ROUND) == lines[-1]


def test_date_range_drops_the_year_only_when_it_repeats() -> None:
    assert format_date_range(date(2023, 6, 29), date(2023, 8, 31)) == "2023年6月29日至8月31日"
    assert format_date_range(date(2023, 12, 4), date(2024, 1, 12)) == "2023年12月4日至2024年1月12日"
    assert format_date_range(date(2023, 5, 6), date(2023, 5, 6)) == "2023年5月6日"


def test_closing_keeps_only_the_contact_parts_present() -> None:
    partial = replace(ROUND, contact_phone=None, contact_postcode=None)
    assert build_closing(partial, "请监督。") == (
        "请监督。邮政信箱：石家庄市新华区康乐街1号新华大厦419室；电子邮箱：xhqcgjjs@163.com。"
    )
    bare = replace(ROUND, contact_phone=None, contact_address=None, contact_postcode=None, contact_email=None)
    assert build_closing(bare, "请监督。") == "请监督。"


def test_problems_in_order_with_markers_lead_in_and_report_texts() -> None:
    problems = [
        problem_with(
            2, MeasureView("B-2", 2, "二是"), MeasureView("B-1", 1, "一是"), lead_in="提出具体要求："
        ),
        problem_with(1, MeasureView("A-1", 1, "")),
    ]
    reports = {
        "A-1": ReportInfo("已完成。"),
        "B-1": ReportInfo("加大宣传。"),
        "B-2": ReportInfo("  加大处罚。 "),
    }
    document = build_notice(ROUND, problems, reports, AS_OF)
    paragraphs = document.plain_paragraphs()
    assert paragraphs[3:7] == [
        "一、问题1。问题1的描述。",
        "整改成效：已完成。",
        "二、问题2。问题2的描述。",
        "整改成效：提出具体要求：一是加大宣传。二是加大处罚。",
    ]
    assert document.missing == ()
    problem_block = document.blocks()[3]
    assert [(run.text, run.style) for run in problem_block.runs] == [
        ("一、问题1。", RunStyle.HEADING),
        ("问题1的描述。", RunStyle.BODY),
    ]
    outcome_block = document.blocks()[4]
    assert outcome_block.runs[0].text == "整改成效：" and outcome_block.runs[0].style == RunStyle.LABEL


def test_heading_does_not_double_the_full_stop_and_ordinals_pass_ten() -> None:
    problems = [ProblemInfo(n, f"标题{n}", "", "", (MeasureView(f"M{n}", 1),)) for n in range(1, 13)]
    problems[0] = ProblemInfo(1, "是否落实？", "", "", (MeasureView("M1", 1),))
    document = build_notice(ROUND, problems, {f"M{n}": ReportInfo("好。") for n in range(1, 13)}, AS_OF)
    headings = [b.text for b in document.blocks() if b.kind == BlockKind.PROBLEM]
    assert headings[0] == "一、是否落实？"
    assert headings[9:] == ["十、标题10。", "十一、标题11。", "十二、标题12。"]


def test_a_measure_without_report_is_marked_and_listed_never_invented() -> None:
    problems = [
        problem_with(
            1, MeasureView("A-1", 1, "一是", "局办公室"), MeasureView("A-2", 2, "二是", "各街道办事处")
        ),
        problem_with(2, MeasureView("B-1", 1, "", "")),
    ]
    document = build_notice(ROUND, problems, {"A-1": ReportInfo("已部署。"), "A-2": ReportInfo("   ")}, AS_OF)
    outcomes = [b for b in document.blocks() if b.kind == BlockKind.OUTCOME]
    assert outcomes[0].text == "整改成效：一是已部署。二是【待报送：各街道办事处】"
    assert outcomes[0].runs[-1].style == RunStyle.MISSING
    assert outcomes[1].text == "整改成效：【待报送：未明确责任单位】"
    assert [(m.measure_code, m.unit) for m in document.missing] == [
        ("A-2", "各街道办事处"),
        ("B-1", "未明确责任单位"),
    ]
    assert str(document.missing[0]) == "一、措施 A-2（二是）：各街道办事处 未报送"
    with pytest.raises(MissingReports) as raised:
        check_missing(document)
    assert raised.value.missing == [str(m) for m in document.missing]
    assert "2 measure(s) have no report as of 2023-12-31" in str(raised.value)


def test_statistics_count_done_overdue_and_in_progress_as_of_the_date() -> None:
    problems = [
        problem_with(
            1,
            MeasureView("D", 1, deadline=date(2023, 11, 30), status=MeasureStatus.DONE),
            MeasureView("C", 2, deadline=date(2023, 11, 30), status=MeasureStatus.CLOSED),
            MeasureView("O", 3, deadline=date(2023, 12, 30), status=MeasureStatus.IN_PROGRESS),
        ),
        problem_with(
            2,
            MeasureView("T", 1, deadline=AS_OF, status=MeasureStatus.PLANNED),  # due today: not yet overdue
            MeasureView("L", 2, deadline=None, status=MeasureStatus.IN_PROGRESS),  # 长期坚持
            MeasureView("P", 3, deadline=date(2024, 3, 1), status=MeasureStatus.IN_PROGRESS),
        ),
    ]
    options = NoticeOptions(statistics=StatisticsPlacement.AFTER_PREAMBLE)
    document = build_notice(ROUND, problems, {}, AS_OF, options)
    stats = document.statistics
    assert (stats.problems, stats.measures, stats.done, stats.in_progress, stats.overdue) == (2, 6, 2, 3, 1)
    assert stats.completion_rate == "33.3"
    paragraphs = document.plain_paragraphs()
    assert paragraphs[3] == (
        "截至2023年12月31日，巡察反馈问题2个，整改措施6项，已完成2项、推进中3项、逾期1项，完成率33.3%。"
    )


def test_completion_rate_formatting() -> None:
    def rate(done: int, total: int) -> str:
        measures = tuple(
            MeasureView(f"M{i}", i, status=MeasureStatus.DONE if i <= done else MeasureStatus.PLANNED)
            for i in range(1, total + 1)
        )
        return build_notice(ROUND, [problem_with(1, *measures)], {}, AS_OF).statistics.completion_rate

    assert rate(3, 3) == "100"
    assert rate(1, 2) == "50"
    assert rate(2, 3) == "66.7"
    assert rate(0, 4) == "0"
    assert build_notice(ROUND, [], {}, AS_OF).statistics.completion_rate == "0"


@pytest.mark.parametrize(
    ("placement", "index"),
    [(StatisticsPlacement.AFTER_PREAMBLE, 3), (StatisticsPlacement.BEFORE_CLOSING, -2)],
)
def test_statistics_placement(placement: StatisticsPlacement, index: int) -> None:
    problems = [problem_with(1, MeasureView("A", 1))]
    document = build_notice(
        ROUND, problems, {"A": ReportInfo("好。")}, AS_OF, NoticeOptions(statistics=placement)
    )
    blocks = document.blocks()
    assert blocks[index].kind == BlockKind.STATISTICS
    assert sum(1 for b in blocks if b.kind == BlockKind.STATISTICS) == 1


def test_default_has_no_statistics_signature_or_date() -> None:
    document = build_notice(ROUND, [problem_with(1, MeasureView("A", 1))], {"A": ReportInfo("好。")}, AS_OF)
    kinds = [b.kind for b in document.blocks()]
    assert (
        BlockKind.STATISTICS not in kinds and BlockKind.SIGNATURE not in kinds and BlockKind.DATE not in kinds
    )
    assert kinds[-1] == BlockKind.CLOSING


def test_label_title_closing_and_signature_options() -> None:
    signed = replace(ROUND, signature="中共新华区城市管理综合行政执法局党组")
    options = NoticeOptions.from_mapping(
        {
            "label": "整改进展",
            "title": "关于巡察整改情况的通报",
            "closing": "欢迎监督。",
            "statistics": "before_closing",
        }
    )
    document = build_notice(
        signed, [problem_with(1, MeasureView("A", 1))], {"A": ReportInfo("好。")}, AS_OF, options
    )
    paragraphs = document.plain_paragraphs()
    assert paragraphs[1] == "关于巡察整改情况的通报"
    assert paragraphs[4] == "整改进展：好。"
    assert paragraphs[-3].startswith("欢迎监督。联系电话：0311-86952558；")
    assert paragraphs[-2:] == ["中共新华区城市管理综合行政执法局党组", "2023年12月31日"]

    no_date = build_notice(signed, [], {}, AS_OF, NoticeOptions(date=False))
    assert no_date.blocks()[-1].kind == BlockKind.SIGNATURE
    unsigned = build_notice(signed, [], {}, AS_OF, NoticeOptions(signature=False))
    assert unsigned.blocks()[-1].kind == BlockKind.CLOSING


def test_preamble_option_replaces_the_built_preamble() -> None:
    options = NoticeOptions.from_mapping({"preamble": "根据区委审计安排，现将整改情况公布如下。"})
    document = build_notice(ROUND, [], {}, AS_OF, options)
    assert document.plain_paragraphs()[2] == "根据区委审计安排，现将整改情况公布如下。"


def test_bad_options_are_all_reported() -> None:
    issues = notice_option_issues(
        {"label": "整改结果", "statistics": "top", "signature": "yes", "colour": "red", "title": " "},
        "plan.yaml:30",
    )
    fields = sorted(issue.field for issue in issues)
    assert fields == [
        "notice.colour",
        "notice.label",
        "notice.signature",
        "notice.statistics",
        "notice.title",
    ]
    assert all(issue.where == "plan.yaml:30" for issue in issues)
    with pytest.raises(InvalidPlan):
        NoticeOptions.from_mapping({"label": "整改结果"})
    assert NoticeOptions.from_mapping(None) == NoticeOptions()
    assert NoticeOptions.from_mapping({}) == NoticeOptions()


MASTHEAD_OPTIONS = {
    "masthead": "中共新华区城市管理综合行政执法局党组文件",
    "document_number": "新城执党〔2024〕3号",
    "copy_to": "区委巡察办，区纪委监委",
    "printed_by": "中共新华区城市管理综合行政执法局办公室",
    "printed_on": "2024-01-05",
}


def test_masthead_and_imprint_options_add_their_blocks_around_the_notice() -> None:
    signed = replace(ROUND, signature="中共新华区城市管理综合行政执法局党组")
    options = NoticeOptions.from_mapping(MASTHEAD_OPTIONS)
    document = build_notice(signed, [], {}, AS_OF, options)
    blocks = document.blocks()
    assert [(b.kind, b.text) for b in blocks[:3]] == [
        (BlockKind.MASTHEAD, "中共新华区城市管理综合行政执法局党组文件"),
        (BlockKind.DOCUMENT_NUMBER, "新城执党〔2024〕3号"),
        (BlockKind.ISSUER, "中共新华区城市管理综合行政执法局党组"),
    ]
    assert [(b.kind, b.text) for b in blocks[-4:]] == [
        (BlockKind.SIGNATURE, "中共新华区城市管理综合行政执法局党组"),
        (BlockKind.DATE, "2023年12月31日"),
        (BlockKind.COPY_TO, "抄送：区委巡察办，区纪委监委。"),
        (BlockKind.PRINTED, "中共新华区城市管理综合行政执法局办公室　　2024年1月5日印发"),
    ]
    # The 印发机关 and the 印发日期 stay separate runs: the DOCX sets them at the two ends of the line.
    assert [run.text for run in blocks[-1].runs][::2] == [
        "中共新华区城市管理综合行政执法局办公室",
        "2024年1月5日印发",
    ]
    text = render_text(document).split("\n")
    assert text[:3] == ["中共新华区城市管理综合行政执法局党组文件", "新城执党〔2024〕3号", ""]
    assert text[-4:] == ["", "抄送：区委巡察办，区纪委监委。", blocks[-1].text, ""]


def test_imprint_date_defaults_to_the_notice_date_and_parts_are_optional() -> None:
    options = NoticeOptions.from_mapping({"printed_by": "某局办公室", "document_number": "某〔2024〕1号"})
    document = build_notice(ROUND, [], {}, AS_OF, options)
    kinds = [b.kind for b in document.blocks()]
    assert BlockKind.MASTHEAD not in kinds and BlockKind.COPY_TO not in kinds
    assert kinds[0] == BlockKind.DOCUMENT_NUMBER
    assert document.blocks()[-1].text == "某局办公室　　2023年12月31日印发"
    assert document.has_masthead and document.has_imprint
    plain = build_notice(ROUND, [], {}, AS_OF)
    assert not plain.has_masthead and not plain.has_imprint


def test_bad_masthead_and_imprint_options_are_reported() -> None:
    issues = notice_option_issues(
        {"printed_on": date(2024, 1, 5), "masthead": " ", "copy_to": 3, "document_number": "x"},
        "plan.yaml:30",
    )
    assert {(issue.field, issue.message) for issue in issues} == {
        ("notice.printed_on", 'write the date as text: "2024-01-05"'),
        ("notice.masthead", "must not be empty"),
        ("notice.copy_to", "3 has the wrong type"),
    }
    [issue] = notice_option_issues({"printed_on": "2024-13-01"})
    assert issue.message == "'2024-13-01' is not a date (YYYY-MM-DD)"


# -- text renderers ---------------------------------------------------------------------------------
