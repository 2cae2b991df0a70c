"""The embedded demo ledger (examples/xinhua-2023) encodes the seed notice faithfully.

Pure checks on the YAML files: the problems and their 整改成效 rebuilt from plan.yaml and reports.yaml
give back the published notice character for character, and every reference, code, cadence and
Apprise URL is sound.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import apprise
import pytest
import yaml

from models.rules import chinese_ordinal
from models.workdays import ChinaCalendar

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "xinhua-2023"
OUTCOME_LABEL = "整改成效："
CADENCES = {
    "XH-04-1": "每月第一个工作日 09:00",
    "XH-05-2": "每周一 09:00",
    "XH-05-7": "每个工作日 09:00",
    "XH-05-8": "每季度末 09:00",
}
LOOPBACK = "127.0.0.1"
SHANGHAI = timezone(timedelta(hours=8))


def _load(name: str) -> Any:
    return yaml.safe_load((EXAMPLE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    data: dict[str, Any] = _load("plan.yaml")
    return data


@pytest.fixture(scope="module")
def reports() -> dict[str, Any]:
    data: dict[str, Any] = _load("reports.yaml")
    return data


@pytest.fixture(scope="module")
def notice_text() -> str:
    return (EXAMPLE / "notice.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def notice_problems(notice_text: str) -> list[tuple[str, str]]:
    """(problem paragraph, text after 整改成效：) for each problem, in the notice's order."""
    lines = notice_text.split("\n")
    found: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        ordinal = chinese_ordinal(len(found) + 1)
        if line.startswith(f"{ordinal}、"):
            outcome = lines[index + 1]
            assert outcome.startswith(OUTCOME_LABEL), f"problem {ordinal} has no {OUTCOME_LABEL} line"
            found.append((line, outcome.removeprefix(OUTCOME_LABEL)))
    assert len(found) == 9
    return found


def _measures(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [measure for problem in plan["problems"] for measure in problem["measures"]]


def _contacts(plan: dict[str, Any]) -> list[dict[str, Any]]:
    unit_contacts = [contact for unit in plan["units"] for contact in unit.get("contacts", [])]
    return unit_contacts + list(plan.get("contacts", []))


def test_notice_copy_is_the_published_notice(notice_text: str) -> None:
    assert notice_text.lstrip("\n").startswith(
        "中共新华区城市管理综合行政执法局党组\n关于巡察整改进展情况的通报\n"
    )
    assert notice_text.rstrip().endswith("电子邮箱：xhqcgjjs@163.com。")


def test_round_metadata_matches_the_notice(plan: dict[str, Any], notice_text: str) -> None:
    round_ = plan["round"]
    assert round_["code"] == "xinhua-2023-xc2"
    assert notice_text.lstrip("\n").split("\n")[0] == round_["inspected_org"]
    assert round_["inspected_short"] == "我局"
    assert round_["feedback_recipient"] == "我局党组"
    assert round_["inspecting_body"] == "区委第二巡察组"
    assert round_["inspection_kind"] == "常规巡察"
    assert (round_["inspection_start"], round_["inspection_end"], round_["feedback_date"]) == (
        date(2023, 6, 29),
        date(2023, 8, 31),
        date(2023, 10, 19),
    )
    preamble = (
        f"根据{round_['inspecting_body']}巡察工作统一部署，2023年6月29日至8月31日，{round_['inspecting_body']}"
        f"对{round_['inspected_short']}进行了{round_['inspection_kind']}，2023年10月19日，"
        f"{round_['inspecting_body']}向{round_['feedback_recipient']}反馈了巡察意见。"
    )
    assert preamble in notice_text
    contact = round_["contact"]
    assert contact == {
        "phone": "0311-86952558",
        "address": "石家庄市新华区康乐街1号新华大厦419室",
        "postcode": "050000",
        "email": "xhqcgjjs@163.com",
    }
    closing = (
        f"联系电话：{contact['phone']}；邮政信箱：{contact['address']}，邮政编码：{contact['postcode']}；"
        f"电子邮箱：{contact['email']}。"
    )
    assert closing in notice_text


def test_titles_and_descriptions_reproduce_the_problem_paragraphs(
    plan: dict[str, Any], notice_problems: list[tuple[str, str]]
) -> None:
    assert len(plan["problems"]) == len(notice_problems) == 9
    for number, (problem, (paragraph, _)) in enumerate(
        zip(plan["problems"], notice_problems, strict=True), 1
    ):
        assert "。" not in problem["title"]
        assert f"{chinese_ordinal(number)}、{problem['title']}。{problem['description']}" == paragraph


def test_lead_in_and_reports_rebuild_every_outcome(
    plan: dict[str, Any], reports: dict[str, Any], notice_problems: list[tuple[str, str]]
) -> None:
    report_text = {report["measure"]: report["text"] for report in reports["reports"]}
    for number, (problem, (_, outcome)) in enumerate(zip(plan["problems"], notice_problems, strict=True), 1):
        rebuilt = problem.get("outcome_lead_in", "") + "".join(
            measure["marker"] + report_text[measure["code"]] for measure in problem["measures"]
        )
        assert rebuilt == outcome, f"problem {number}"


def test_markers_are_those_the_notice_prints(plan: dict[str, Any]) -> None:
    markers = [[measure["marker"] for measure in problem["measures"]] for problem in plan["problems"]]
    assert markers == [
        ["", "", "", ""],  # 四个到位
        ["一是", "二是"],
        ["一是", "二是", "三要"],
        ["一是", "二是", "三是", "四是"],
        ["一是", "二是", "三是", "四是", "五是", "六是", "七是", "八是"],
        [""],
        ["一是", "二是", "三是"],
        ["一是", "二是"],
        [""],
    ]
    assert [bool(problem.get("outcome_lead_in")) for problem in plan["problems"]] == [
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        False,
    ]


def test_codes_are_unique_and_follow_the_scheme(plan: dict[str, Any]) -> None:
    measures = _measures(plan)
    codes = [measure["code"] for measure in measures]
    assert len(codes) == len(set(codes)) == 28
    for number, problem in enumerate(plan["problems"], 1):
        assert [m["code"] for m in problem["measures"]] == [
            f"XH-{number:02d}-{k}" for k in range(1, len(problem["measures"]) + 1)
        ]
    unit_codes = [unit["code"] for unit in plan["units"]]
    contact_codes = [contact["code"] for contact in _contacts(plan)]
    assert not [code for code, n in Counter(unit_codes).items() if n > 1]
    assert not [code for code, n in Counter(contact_codes).items() if n > 1]


def test_references_name_units_and_contacts_of_the_file(plan: dict[str, Any]) -> None:
    units = {unit["code"] for unit in plan["units"]}
    contacts = {contact["code"] for contact in _contacts(plan)}
    assert plan["round"]["coordinator"] in contacts
    assert plan["round"]["head"] in contacts
    for unit in plan["units"]:
        assert unit.get("parent") in units | {None}
    for contact in plan["contacts"]:
        assert contact.get("unit") in units | {None}
    for measure in _measures(plan):
        assert measure["lead_unit"] in units, measure["code"]
        assert set(measure.get("co_units", [])) <= units, measure["code"]
        assert measure["lead_unit"] not in measure.get("co_units", []), measure["code"]
        assert measure.get("leader") in contacts, measure["code"]


def test_units_named_in_the_notice_are_owners(plan: dict[str, Any], notice_text: str) -> None:
    names = {unit["name"]: unit["kind"] for unit in plan["units"]}
    for name, kind in {
        "局党组": "leadership",
        "局办公室": "department",
        "各街道办事处": "collective",
        "各街道综合执法队": "collective",
        "区卫生队": "department",
        "区分类办": "department",
        "市容大队机动中队": "enforcement_team",
        "民族路步行街管委会": "committee",
        "局督查机构": "department",
        "区公安分局": "external",
        "区交警大队": "external",
    }.items():
        assert names.get(name) == kind, name
    for name in (
        "各街道办事处",
        "区卫生队",
        "市容大队机动中队",
        "民族路步行街管委会",
        "局督查机构",
        "区交警大队",
    ):
        assert name in notice_text


def test_cadences_and_deadlines(plan: dict[str, Any]) -> None:
    measures = {measure["code"]: measure for measure in _measures(plan)}
    assert {code: m["cadence"] for code, m in measures.items() if m.get("cadence")} == CADENCES
    for code, measure in measures.items():
        deadline = measure["deadline"]
        if code in CADENCES:
            assert deadline == "长期坚持", code
        assert (
            (isinstance(deadline, date) and plan["round"]["feedback_date"] < deadline)
            or deadline == "长期坚持"
            or re.fullmatch(r"\d+个工作日", str(deadline))
        ), code
        assert measure.get("status", "planned") in {"planned", "in_progress", "done", "closed"}


def test_one_report_per_measure_submitted_on_a_working_day(
    plan: dict[str, Any], reports: dict[str, Any]
) -> None:
    assert reports["round"] == plan["round"]["code"]
    measures = {measure["code"]: measure for measure in _measures(plan)}
    unit_names = {unit["code"]: unit["name"] for unit in plan["units"]}
    assert [report["measure"] for report in reports["reports"]] == list(measures)
    calendar = ChinaCalendar()
    for report in reports["reports"]:
        measure = measures[report["measure"]]
        submitted = report["submitted_at"]
        assert isinstance(submitted, datetime) and submitted.utcoffset() == timedelta(hours=8)
        local = submitted.astimezone(SHANGHAI)
        assert local.date() == date(2023, 12, 15) and calendar.is_workday(local.date())
        assert time(9) <= local.time() <= time(17)
        assert report["author"] in {unit_names[measure["lead_unit"]], "局办公室"}
        assert report["status"] in {"in_progress", "done"}
        # A measure the plan already marks done is reported done, and vice versa.
        assert (report["status"] == "done") == (measure.get("status") == "done"), report["measure"]
        start, end = (date.fromisoformat(part) for part in report["period"].split(".."))
        assert plan["round"]["feedback_date"] == start <= end == local.date()


def test_metrics_are_figures_the_reports_state(reports: dict[str, Any]) -> None:
    metrics = {
        (report["measure"], metric["name"]): (metric["value"], metric["unit"])
        for report in reports["reports"]
        for metric in report.get("metrics", [])
    }
    assert metrics[("XH-08-1", "宣传一封信发放")] == (40000, "份")
    assert metrics[("XH-08-1", "倡议书发放")] == (35000, "份")
    assert metrics[("XH-04-3", "上报试点小区")] == (5, "个")
    for report in reports["reports"]:
        for metric in report.get("metrics", []):
            value, unit = metric["value"], metric["unit"]
            assert isinstance(value, int) and value > 0
            # The figure as the text writes it: 5个, 40000余份, 一家.
            written = [f"{value}{unit}", f"{value}余{unit}"]
            if value < 10:
                written.append(f"{chinese_ordinal(value)}{unit}")
            assert any(form in report["text"] for form in written), (report["measure"], metric)


def test_every_apprise_url_loads_and_stays_on_loopback(plan: dict[str, Any]) -> None:
    urls = [url for contact in _contacts(plan) for url in contact["urls"]]
    assert urls
    for url in urls:
        assert urlsplit(url).hostname == LOOPBACK, url
        notifier = apprise.Apprise()
        assert notifier.add(url) is True, url
        (plugin,) = list(notifier)
        assert plugin.host == LOOPBACK, url
        assert getattr(plugin, "smtp_host", LOOPBACK) == LOOPBACK, url
