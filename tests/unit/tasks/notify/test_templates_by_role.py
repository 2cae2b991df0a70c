"""Each message speaks to its recipient: every kind rendered for every recipient role (the lead unit, a
co-unit, the leader, the coordinator's office as a 抄送 copy, the head), compared with the expected text;
each fact once in a body."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.notifications import DigestLine, Policy, Recipient, Recipients, plan_measure
from tasks.notify.render import render
from tests.unit.models.test_notifications import PEOPLE, at, clock, facts

TZ = ZoneInfo("Asia/Shanghai")
ROLES = ("owner", "co", "leader", "office", "head")
BASE: dict[str, Any] = {
    "code": "XH-08-1",
    "round_code": "r",
    "measure_text": "一是开展市容环境集中整治",
    "problem_ordinal": 8,
    "problem_title": "市容秩序管理不到位",
    "lead_unit": "第一街道办事处",
    "co_units": ["第二街道办事处"],
    "leader": "分管副局长",
    "deadline": date(2023, 12, 29),
    "deadline_spec": "2023-12-29",
    "provisional": False,
    "workdays_left": 3,
    "overdue_workdays": 0,
    "today": date(2023, 12, 26),
    "timezone": "Asia/Shanghai",
    "recipient": "联络员",
}
ONGOING: dict[str, Any] = {
    "deadline": None,
    "deadline_spec": "长期坚持",
    "workdays_left": None,
    "cadence": "每周一 09:00",
}
BLUE: dict[str, Any] = {"level": "blue", "level_label": "蓝色督办", "duban_number": "督办〔2024〕1号"}
KINDS: dict[str, dict[str, Any]] = {
    "reminder": {},
    "due_today": {"workdays_left": 0, "today": date(2023, 12, 29)},
    "overdue": {"workdays_left": -3, "overdue_workdays": 3, "level": "blue", "level_label": "蓝色督办"},
    "missing_report": {
        **ONGOING,
        "period_start": datetime(2024, 1, 22, 9, tzinfo=TZ),
        "period_end": datetime(2024, 1, 29, 9, tzinfo=TZ),
    },
    "escalation": {**BLUE, "workdays_left": -3, "overdue_workdays": 3, "threshold": 3},
    "silence": {
        **ONGOING,
        **BLUE,
        "threshold": 2,
        "missed_periods": 2,
        "silent_since": datetime(2024, 1, 8, 9, tzinfo=TZ),
    },
    "unsigned": {"unsigned_workdays": 3, "level_label": ""},
    "duban_unanswered": {
        **BLUE,
        "level": "yellow",
        "level_label": "黄色督办",
        "duban_number": "督办〔2024〕2号",
        "previous_number": "督办〔2024〕1号",
        "reply_by": date(2024, 1, 11),
    },
    "digest": {
        "unit": "第一街道办事处",
        "week": "2024年第1周",
        "counts": {"red": 1},
        "lines": [DigestLine("XH-08-1", "开展整治", "牵头", "2023-12-29", "逾期", "red", -3, None)],
    },
}
OPENINGS: dict[tuple[str, str], list[str]] = {
    ("digest", "co"): [
        "联络员：",
        "截至2023年12月26日，您单位牵头或配合的整改措施共 1 项：红灯 1 项，黄灯 0 项，绿灯 0 项。",
    ],
    ("digest", "head"): [
        "联络员：",
        "截至2023年12月26日，第一街道办事处牵头或配合的整改措施共 1 项：红灯 1 项，黄灯 0 项，绿灯 0 项。",
    ],
    ("digest", "leader"): [
        "联络员：",
        "截至2023年12月26日，第一街道办事处牵头或配合的整改措施共 1 项：红灯 1 项，黄灯 0 项，绿灯 0 项。",
    ],
    ("digest", "office"): [
        "抄送：联络员",
        "截至2023年12月26日，第一街道办事处牵头或配合的整改措施共 1 项：红灯 1 项，黄灯 0 项，绿灯 0 项。",
    ],
    ("digest", "owner"): [
        "联络员：",
        "截至2023年12月26日，您单位牵头或配合的整改措施共 1 项：红灯 1 项，黄灯 0 项，绿灯 0 项。",
    ],
    ("due_today", "co"): [
        "联络员：",
        "您单位配合的整改措施今日（2023年12月29日）到期，请配合牵头单位于今日报送完成情况。",
    ],
    ("due_today", "head"): ["联络员：", "下列整改措施今日（2023年12月29日）到期，请督促落实。"],
    ("due_today", "leader"): ["联络员：", "您分管的整改措施今日（2023年12月29日）到期，请督促落实。"],
    ("due_today", "office"): ["抄送：联络员", "下列整改措施今日（2023年12月29日）到期，请督促落实。"],
    ("due_today", "owner"): [
        "联络员：",
        "您单位牵头的整改措施今日（2023年12月29日）到期，请于今日报送完成情况。",
    ],
    ("escalation", "co"): [
        "联络员：",
        "您单位配合的整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请督促落实。",
    ],
    ("escalation", "head"): [
        "联络员：",
        "下列整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请督促落实。",
    ],
    ("escalation", "leader"): [
        "联络员：",
        "您分管的整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请督促落实。",
    ],
    ("escalation", "office"): [
        "抄送：联络员",
        "下列整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请督促落实。",
    ],
    ("escalation", "owner"): [
        "联络员：",
        "您单位牵头的整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请立即推进并按督办单要求回复。",
    ],
    ("missing_report", "co"): [
        "联络员：",
        "您单位配合的整改措施按“每周一 09:00”报送进展，2024年1月22日09:00至2024年1月29日09:00这一期尚未报送，请督促报送。",
    ],
    ("missing_report", "head"): [
        "联络员：",
        "下列整改措施按“每周一 09:00”报送进展，2024年1月22日09:00至2024年1月29日09:00这一期尚未报送，请督促报送。",
    ],
    ("missing_report", "leader"): [
        "联络员：",
        "您分管的整改措施按“每周一 09:00”报送进展，2024年1月22日09:00至2024年1月29日09:00这一期尚未报送，请督促报送。",
    ],
    ("missing_report", "office"): [
        "抄送：联络员",
        "下列整改措施按“每周一 09:00”报送进展，2024年1月22日09:00至2024年1月29日09:00这一期尚未报送，请督促报送。",
    ],
    ("missing_report", "owner"): [
        "联络员：",
        "您单位牵头的整改措施按“每周一 09:00”报送进展，2024年1月22日09:00至2024年1月29日09:00这一期尚未报送，请尽快报送。",
    ],
    ("overdue", "co"): [
        "联络员：",
        "您单位配合的整改措施已逾期，请配合牵头单位立即推进。该措施已进入蓝色督办程序。",
    ],
    ("overdue", "head"): ["联络员：", "下列整改措施已逾期，请督促落实。该措施已进入蓝色督办程序。"],
    ("overdue", "leader"): ["联络员：", "您分管的整改措施已逾期，请督促落实。该措施已进入蓝色督办程序。"],
    ("overdue", "office"): ["抄送：联络员", "下列整改措施已逾期，请督促落实。该措施已进入蓝色督办程序。"],
    ("overdue", "owner"): [
        "联络员：",
        "您单位牵头的整改措施已逾期，请立即推进并报送进展。该措施已进入蓝色督办程序。",
    ],
    ("reminder", "co"): ["联络员：", "您单位配合的整改措施临近完成时限，请配合牵头单位抓紧推进。"],
    ("reminder", "head"): ["联络员：", "下列整改措施临近完成时限，请督促落实。"],
    ("reminder", "leader"): ["联络员：", "您分管的整改措施临近完成时限，请督促落实。"],
    ("reminder", "office"): ["抄送：联络员", "下列整改措施临近完成时限，请督促落实。"],
    ("reminder", "owner"): ["联络员：", "您单位牵头的整改措施临近完成时限，请抓紧推进。"],
    ("silence", "co"): [
        "联络员：",
        "您单位配合的整改措施自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期），按规定提请蓝色督办，请督促落实。",
    ],
    ("silence", "head"): [
        "联络员：",
        "下列整改措施自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期），按规定提请蓝色督办，请督促落实。",
    ],
    ("silence", "leader"): [
        "联络员：",
        "您分管的整改措施自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期），按规定提请蓝色督办，请督促落实。",
    ],
    ("silence", "office"): [
        "抄送：联络员",
        "下列整改措施自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期），按规定提请蓝色督办，请督促落实。",
    ],
    ("silence", "owner"): [
        "联络员：",
        "您单位牵头的整改措施自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期），按规定提请蓝色督办，请立即报送进展并按督办单要求回复。",
    ],
    ("unsigned", "co"): [
        "联络员：",
        "您单位配合的整改措施下达已 3 个工作日，您单位尚未签收，请登录整改系统签收任务。",
    ],
    ("unsigned", "head"): ["联络员：", "下列整改措施下达已 3 个工作日，责任单位尚未签收，请督促签收落实。"],
    ("unsigned", "leader"): [
        "联络员：",
        "您分管的整改措施下达已 3 个工作日，责任单位尚未签收，请督促签收落实。",
    ],
    ("unsigned", "office"): [
        "抄送：联络员",
        "下列整改措施下达已 3 个工作日，责任单位尚未签收，请督促签收落实。",
    ],
    ("unsigned", "owner"): [
        "联络员：",
        "您单位牵头的整改措施下达已 3 个工作日，您单位尚未签收，请登录整改系统签收任务。",
    ],
    ("duban_unanswered", "co"): [
        "联络员：",
        "您单位配合的整改措施收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请督促落实。",
    ],
    ("duban_unanswered", "head"): [
        "联络员：",
        "下列整改措施收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请督促落实。",
    ],
    ("duban_unanswered", "leader"): [
        "联络员：",
        "您分管的整改措施收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请督促落实。",
    ],
    ("duban_unanswered", "office"): [
        "抄送：联络员",
        "下列整改措施收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请督促落实。",
    ],
    ("duban_unanswered", "owner"): [
        "联络员：",
        "您单位牵头的整改措施收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请立即签收并回复督办单。",
    ],
}

MEASURE_BLOCK = [
    "整改措施：一是开展市容环境集中整治（XH-08-1）",
    "所属问题：八、市容秩序管理不到位",
    "责任单位：第一街道办事处；配合单位：第二街道办事处",
    "责任领导：分管副局长",
]
HOWTO = (
    "如何报送进展：登录整改系统或执行 zhenggai report add --measure XH-08-1 填报本期进展（附台账材料）；"
    "如已完成请报送完成情况，待督办室审核销号。"
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_speaks_to_every_role(kind: str, role: str) -> None:
    _title, body = render(kind, {**BASE, **KINDS[kind], "audience": role})
    assert body.splitlines()[:2] == OPENINGS[(kind, role)]
    # Only the lead unit is told how to report; the others oversee, co-operate or are copied.
    assert (HOWTO in body) == (role == "owner" and kind != "digest")


def test_the_lead_units_reminder_in_full_gives_each_fact_once() -> None:
    title, body = render("reminder", {**BASE, "audience": "owner"})
    assert title == "【整改提醒】XH-08-1 距完成时限还有3个工作日"
    assert body.splitlines() == [
        "联络员：",
        "您单位牵头的整改措施临近完成时限，请抓紧推进。",
        *MEASURE_BLOCK,
        "完成时限：2023年12月29日",
        "剩余工作日：3 个",
        HOWTO,
    ]
    assert body.count("3 个") == 1 and body.count("第一街道办事处") == 1


PAGE = "https://zg.example/duban/2024-1"  # the sheet's page, as the planner gives the leader, office and head
SIGN_IN = "https://zg.example/signin/12.1796000000.***?next=/duban/2024-1"  # the unit's sign-in to it


def test_the_leaders_escalation_in_full_names_its_sheet_with_its_page() -> None:
    _title, body = render(
        "escalation", {**BASE, **KINDS["escalation"], "audience": "leader", "duban_page": PAGE}
    )
    assert body.splitlines() == [
        "联络员：",
        "您分管的整改措施已逾期 3 个工作日（满 3 个工作日），按规定提请蓝色督办，请督促落实。",
        *MEASURE_BLOCK,
        "完成时限：2023年12月29日",
        f"督办单：督办〔2024〕1号（查看：{PAGE}）",
    ]


SHEET_LINE = {
    "owner": f"（查看、签收和回复：{SIGN_IN}）",  # the unit it addresses signs for it and replies
    "co": "",  # a co-unit reads it in the portal, through its own sign-in
    "leader": f"（查看：{PAGE}）",
    "office": f"（查看：{PAGE}）",
    "head": f"（查看：{PAGE}）",
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["overdue", "escalation", "silence", "duban_unanswered", "unsigned"])
def test_every_message_naming_a_sheet_links_its_page_for_the_role(kind: str, role: str) -> None:
    context = {**BASE, **KINDS[kind], **BLUE, "audience": role, "duban_link": SIGN_IN, "duban_page": PAGE}
    _title, body = render(kind, context)
    assert f"督办单：督办〔2024〕1号{SHEET_LINE[role]}" in body.splitlines()


CO = Recipient(5, "co-liaison", "配合单位联络员", "联络员", ("json://127.0.0.1:8089/co",), 11)


def test_the_planner_addresses_each_recipient_in_its_role() -> None:
    people = Recipients(
        unit=PEOPLE.unit,
        leader=PEOPLE.leader,
        coordinator=PEOPLE.coordinator,
        head=PEOPLE.head,
        co_units=(CO,),
    )
    # Co-units hear of the deadline only when asked to.
    assert all(
        m.recipient.code != "co-liaison"
        for m in plan_measure(facts(), people, clock(at(date(2023, 12, 26))), Policy()).messages
    )
    reminded = plan_measure(
        facts(), people, clock(at(date(2023, 12, 26))), Policy(notify_co_units=True)
    ).messages
    assert {(m.recipient.code, m.context["audience"], m.unit_id) for m in reminded} == {
        ("jiedao-liaison", "owner", 10),
        ("co-liaison", "co", 11),  # the co-unit's own: its log line and sign-in link are never the lead's
    }
    chased = plan_measure(facts(), people, clock(at(date(2024, 1, 22))), Policy()).messages
    assert {(m.recipient.code, m.context["audience"]) for m in chased if m.kind.value == "escalation"} == {
        ("leader-li", "leader"),
        ("duban-office", "office"),
        ("bureau-head", "head"),
    }
