"""The notice importer on the seed notice: round metadata, problems, measures with markers, contact block."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from models.errors import InvalidPlan
from tasks.exchange.notice_import import import_notice_text, notice_to_plan
from tasks.exchange.notice_parser import outcome_text, parse_notice

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "xinhua-2023"
SEED_TEXT = (EXAMPLE / "notice.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed():
    return parse_notice(SEED_TEXT)


@pytest.fixture(scope="module")
def seed_plan():
    return yaml.safe_load((EXAMPLE / "plan.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_reports():
    return yaml.safe_load((EXAMPLE / "reports.yaml").read_text(encoding="utf-8"))


def test_header_and_preamble(seed):
    assert seed.issuing_org == "中共新华区城市管理综合行政执法局党组"
    assert seed.title == "关于巡察整改进展情况的通报"
    assert seed.inspecting_body == "区委第二巡察组"
    assert seed.inspected_short == "我局"
    assert seed.inspection_kind == "常规巡察"
    assert seed.feedback_recipient == "我局党组"
    # 2023年6月29日至8月31日: the end date drops the year.
    assert (seed.inspection_start, seed.inspection_end) == (date(2023, 6, 29), date(2023, 8, 31))
    assert seed.feedback_date == date(2023, 10, 19)
    assert seed.preamble_line == 6


def test_contact_block(seed):
    assert seed.contact.phone == "0311-86952558"
    assert seed.contact.address == "石家庄市新华区康乐街1号新华大厦419室"
    assert seed.contact.postcode == "050000"
    assert seed.contact.email == "xhqcgjjs@163.com"


def test_nothing_unplaced_and_no_warnings(seed):
    assert seed.unplaced == []
    assert seed.warnings == []
    assert seed.statistics == {}


def test_nine_problems_with_the_notice_titles(seed, seed_plan):
    assert [p.ordinal for p in seed.problems] == list(range(1, 10))
    assert [p.title for p in seed.problems] == [p["title"] for p in seed_plan["problems"]]
    assert [p.description for p in seed.problems] == [p["description"] for p in seed_plan["problems"]]
    assert all(p.label == "整改成效" for p in seed.problems)


def test_measures_in_order_with_markers_match_the_seed_ledger(seed, seed_plan, seed_reports):
    """The hand-written seed ledger and the importer agree on every measure's marker and text."""
    texts = {r["measure"]: r["text"] for r in seed_reports["reports"]}
    for parsed, planned in zip(seed.problems, seed_plan["problems"], strict=True):
        assert parsed.outcome_lead_in == planned.get("outcome_lead_in", "")
        assert [m.marker for m in parsed.measures] == [m["marker"] for m in planned["measures"]]
        assert [m.text for m in parsed.measures] == [texts[m["code"]] for m in planned["measures"]]


def test_marker_counts(seed):
    assert [len(p.measures) for p in seed.problems] == [4, 2, 3, 4, 8, 1, 3, 2, 1]
    assert [m.marker for m in seed.problems[2].measures] == ["一是", "二是", "三要"]


def test_false_markers_inside_sentences_do_not_split(seed):
    # Problem 4, 二是: "…在第二天到该小区…"; problem 5, 三是: "一方面…另一方面…".
    assert "第二天" in seed.problems[3].measures[1].text
    third = seed.problems[4].measures[2].text
    assert "一方面要求" in third and "另一方面安排" in third
    assert seed.problems[4].measures[3].text.startswith("对重点路段采取错时错峰")


def test_outcomes_rebuild_the_published_paragraphs(seed):
    lines = [line.strip() for line in SEED_TEXT.splitlines()]
    outcomes = [line.removeprefix("整改成效：") for line in lines if line.startswith("整改成效：")]
    assert [outcome_text(p) for p in seed.problems] == outcomes


def test_four_items_of_problem_one_split_after_the_lead_in(seed):
    first = seed.problems[0]
    assert first.outcome_lead_in == "坚持“四个到位”推进学习入脑入心，做到内化于心、外化于形。"
    assert [m.marker for m in first.measures] == ["", "", "", ""]
    assert [m.text[:6] for m in first.measures] == [
        "思想认识到位",
        "理论学习到位",
        "学员覆盖到位",
        "宣传引导到位",
    ]
    assert first.measures[0].text.endswith("；")


def test_plan_round_matches_the_seed_ledger(seed, seed_plan):
    result = notice_to_plan(
        seed, source="notice.txt", round_code="xinhua-2023-xc2", reported_on=date(2023, 12, 15)
    )
    spec = result.plan.round
    expected = seed_plan["round"]
    for name in (
        "code",
        "title",
        "inspected_org",
        "inspected_short",
        "feedback_recipient",
        "inspecting_body",
        "inspection_kind",
        "inspection_start",
        "inspection_end",
        "feedback_date",
    ):
        assert getattr(spec, name) == expected[name], name
    assert spec.contact.model_dump() == {**expected["contact"]}
    assert spec.notice == {}  # the seed's title, preamble and closing are the generator's defaults
    assert spec.statistics == {}


def test_plan_measures_are_unassigned_and_reported(seed):
    result = notice_to_plan(
        seed, source="notice.txt", round_code="xh", code_prefix="XH", reported_on=date(2023, 12, 15)
    )
    codes = [m.code for p in result.plan.problems for m in p.measures]
    assert codes[:5] == ["XH-01-1", "XH-01-2", "XH-01-3", "XH-01-4", "XH-02-1"]
    assert len(codes) == 28
    assert result.unassigned == codes
    assert all(m.lead_unit is None for p in result.plan.problems for m in p.measures)
    assert [r["measure"] for r in result.reports] == codes
    first = result.reports[0]
    assert first["submitted_at"] == "2023-12-15T00:00:00+08:00"
    assert first["period"] == "2023-10-19..2023-12-15"
    assert first["status"] == "in_progress"
    assert first["author"] == "中共新华区城市管理综合行政执法局党组"
    assert first["text"] == result.plan.problems[0].measures[0].text


def test_plan_yaml_lists_unassigned_and_loads_back(seed):
    from tasks.ledger.plan_schema import parse_plan_text

    result = import_notice_text(
        SEED_TEXT, source="notice.txt", round_code="xh", reported_on=date(2023, 12, 15)
    )
    text = result.plan_yaml()
    assert "xh-05-8, xh-06-1" in text
    plan, _ = parse_plan_text(text, "plan.yaml")
    assert plan == result.plan
    reports = yaml.safe_load(result.reports_yaml())
    assert reports["round"] == "xh" and len(reports["reports"]) == 28


def test_default_round_code_comes_from_the_feedback_date(seed):
    result = notice_to_plan(seed, source="some/dir/notice.txt", reported_on=date(2023, 12, 15))
    assert result.plan.round.code == "notice-20231019"
    named = notice_to_plan(seed, source="xinhua-2023.txt", reported_on=date(2023, 12, 15))
    assert named.plan.round.code == "xinhua-2023"


def test_strict_passes_on_the_seed():
    result = import_notice_text(SEED_TEXT, reported_on=date(2023, 12, 15), strict=True)
    assert result.leftovers == []


# -- the marker rule ----------------------------------------------------------------------------


def test_notice_without_preamble_asks_for_the_round_facts():
    """Missing facts never stop the import: the plan is built with them empty, and loading is refused."""
    result = import_notice_text(
        "中共某局党组\n关于整改情况的通报\n一、问题。描述。\n整改成效：已整改。\n",
        source="x.txt",
        reported_on=date(2024, 1, 1),
    )
    assert result.missing == ["inspecting_body", "inspection_start", "inspection_end", "feedback_date"]
    assert result.plan is None
    assert result.plan_data["round"]["feedback_date"] is None
    assert [p["title"] for p in result.plan_data["problems"]] == ["问题"]
    assert "give --feedback-date YYYY-MM-DD" in result.plan_yaml()
    with pytest.raises(InvalidPlan) as error:
        result.complete_plan()
    fields = {issue.field for issue in error.value.issues}
    assert {"round.inspecting_body", "round.inspection_start", "round.feedback_date"} <= fields


def test_round_facts_given_by_the_caller_complete_the_plan():
    from tasks.exchange.notice_import import RoundFacts

    given = RoundFacts(
        inspecting_body="区委第一巡察组",
        inspection_start=date(2023, 3, 1),
        inspection_end=date(2023, 4, 28),
        feedback_date=date(2023, 6, 1),
    )
    result = import_notice_text(
        "中共某局党组\n关于整改情况的通报\n一、问题。描述。\n整改成效：已整改。\n",
        source="x.txt",
        reported_on=date(2024, 1, 1),
        given=given,
    )
    assert result.missing == []
    plan = result.complete_plan()
    assert plan.round.feedback_date == date(2023, 6, 1) and plan.round.inspecting_body == "区委第一巡察组"
    assert result.reports[0]["period"] == "2023-06-01..2024-01-01"


def test_a_given_fact_replaces_the_notices_own_and_says_so():
    from tasks.exchange.notice_import import RoundFacts

    result = import_notice_text(
        SEED_TEXT, reported_on=date(2023, 12, 15), given=RoundFacts(feedback_date=date(2023, 10, 20))
    )
    assert result.complete_plan().round.feedback_date == date(2023, 10, 20)
    assert result.replaced == {"feedback_date": date(2023, 10, 19)}
