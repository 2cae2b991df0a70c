"""A 督办单 without a reply by its deadline moves the ladder on (pure rules on plain objects): the next step on
the sheet's own ladder, told to its target and the unit, never past red, never once replied or finished."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from models.clock import Clock
from models.duban import moves_on, number_ref, sheet_ref
from models.enums import MeasureStatus, MessageKind
from models.follow_ups import Signer, UnansweredSheet, plan_unanswered, plan_unsigned
from models.notifications import Level, Policy, Recipient, Recipients
from models.workdays import WeekdayCalendar
from tasks.notify.render import render_message
from tests.unit.models.test_notifications import PEOPLE, facts

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar(holidays=frozenset({date(2024, 1, 1)}))
BLUE = UnansweredSheet("督办〔2024〕1号", "blue", date(2024, 1, 11), date(2023, 12, 29), None, None)


def clock(day: date, hour: int = 10) -> Clock:
    return Clock(CAL, "Asia/Shanghai", datetime.combine(day, time(hour), tzinfo=TZ))


def test_a_sheet_moves_on_only_after_its_reply_deadline_without_a_reply() -> None:
    reply_by = date(2024, 1, 11)
    kwargs = {"answered": False, "finished": False}
    assert moves_on("blue", reply_by, today=date(2024, 1, 11), **kwargs) is None  # the deadline's own day
    assert moves_on("blue", reply_by, today=date(2024, 1, 12), **kwargs) == "yellow"
    assert moves_on("yellow", reply_by, today=date(2024, 1, 12), **kwargs) == "red"
    assert moves_on("red", reply_by, today=date(2024, 1, 12), **kwargs) is None  # the top step
    assert moves_on("blue", reply_by, today=date(2024, 1, 12), answered=True, finished=False) is None
    assert moves_on("blue", reply_by, today=date(2024, 1, 12), answered=False, finished=True) is None


def test_a_sheets_reference_in_urls() -> None:
    assert sheet_ref(2024, 12) == "2024-12"
    assert number_ref("督办〔2024〕12号") == "2024-12" == number_ref("新城执督〔2024〕12号")
    assert number_ref("2024-12") is None and number_ref(None) is None


def test_the_next_step_keeps_the_sheets_ladder_and_tells_its_target_and_the_unit() -> None:
    policy = Policy(escalate_coordinator_after=30, escalate_head_after=40)
    assert plan_unanswered(facts(), PEOPLE, clock(date(2024, 1, 11)), policy, BLUE).escalations == []
    plan = plan_unanswered(facts(), PEOPLE, clock(date(2024, 1, 12)), policy, BLUE)
    [step] = plan.escalations
    assert (step.level, step.previous, step.dedupe_key) == (
        Level.YELLOW,
        Level.BLUE,
        "escalation|XH-08-1|2023-12-29|yellow",  # the key the ladder's own 黄色督办 would have
    )
    assert step.reply_by == date(2024, 1, 19) and step.day == date(2024, 1, 12)
    assert sorted(m.key for m in plan.messages) == [
        "XH-08-1|escalation|duban-office#0|2023-12-29/yellow",  # the key the ladder's own would have
        "XH-08-1|escalation|jiedao-liaison#0|2023-12-29/yellow",
        "XH-08-1|escalation|jiedao-liaison#1|2023-12-29/yellow",
    ]
    assert all(m.kind == MessageKind.ESCALATION for m in plan.messages)
    unit = next(m for m in plan.messages if m.recipient == PEOPLE.unit[0])
    title, body = render_message(unit)
    assert title == "【黄色督办】XH-08-1 督办单逾期未回复"
    assert (
        "收到督办单督办〔2024〕1号后，未在回复时限2024年1月11日前回复，按规定提请黄色督办，请立即签收并回复督办单"
        in body
    )
    office = next(m for m in plan.messages if m.recipient == PEOPLE.coordinator)
    assert render_message(office)[1].startswith("抄送：") and "请督促落实" in render_message(office)[1]


def test_a_silence_sheet_moves_on_its_silence_ladder_and_a_finished_measure_does_not() -> None:
    since = datetime(2024, 1, 8, 9, 0)
    sheet = UnansweredSheet("督办〔2024〕2号", "yellow", date(2024, 1, 11), None, since, 3)
    [step] = plan_unanswered(
        facts(deadline=None), PEOPLE, clock(date(2024, 1, 12)), Policy(), sheet
    ).escalations
    assert step.dedupe_key == "escalation|XH-08-1|silence-2024-01-08T09:00|red"
    assert step.missed_periods == 3 and step.overdue_workdays == 0
    done = facts(status=MeasureStatus.DONE)
    assert plan_unanswered(done, PEOPLE, clock(date(2024, 1, 12)), Policy(), BLUE).escalations == []


def test_a_pending_sign_off_gets_one_reminder_then_the_ladder() -> None:
    from models.assignments import unsigned_lateness

    assert [unsigned_lateness(n, 3) for n in (0, 2, 3, 4, 9)] == [0, 0, 1, 2, 7]
    assert unsigned_lateness(50, 0) == 0  # chasing off
    policy = Policy(ack_chase_after=3)
    since = date(2024, 1, 2)  # assigned on a Tuesday

    def plan(day: date) -> Any:
        return plan_unsigned(facts(), PEOPLE, clock(day), policy, assignment="ab" * 32, since=since)

    assert plan(date(2024, 1, 4)).messages == []  # 2 working days: not yet
    reminder = plan(date(2024, 1, 5))  # 3 working days: the unit is reminded, once per assignment
    assert {m.key for m in reminder.messages} == {
        "XH-08-1|ack_reminder|jiedao-liaison#0|unsigned-abababababab",
        "XH-08-1|ack_reminder|jiedao-liaison#1|unsigned-abababababab",
    } and reminder.escalations == []
    title, body = render_message(reminder.messages[0])
    assert title == "【签收提醒】XH-08-1 任务下达3个工作日未签收"
    assert "您单位牵头的整改措施下达已 3 个工作日，您单位尚未签收，请登录整改系统签收任务。" in body
    blue = plan(date(2024, 1, 9))  # late 3 working days: 蓝色督办 to the leader and the unit
    [step] = blue.escalations
    assert (step.level, step.dedupe_key, step.shortfall) == (
        Level.BLUE,
        "escalation|XH-08-1|unsigned-abababababab|blue",
        "任务下达5个工作日未签收",
    )
    leader = next(m for m in blue.messages if m.recipient == PEOPLE.leader)
    assert "责任单位尚未签收，按规定提请蓝色督办，请督促签收落实" in render_message(leader)[1]
    done = plan_unsigned(
        facts(status=MeasureStatus.CLOSED),
        PEOPLE,
        clock(date(2024, 1, 9)),
        policy,
        assignment="x",
        since=since,
    )
    assert done.messages == []


STREET = Recipient(21, "street-2-liaison", "街道二联络员", "联络员", ("json://127.0.0.1:8089/s2",), 22)


def test_a_collectives_member_is_chased_on_its_own_and_a_co_unit_is_reminded_only() -> None:
    policy = Policy(ack_chase_after=3)
    since, late = date(2024, 1, 2), clock(date(2024, 1, 9))  # 5 working days unsigned: 蓝色督办 for a lead
    member = plan_unsigned(
        facts(lead_unit="示例街道二", lead_unit_id=22),  # the member's share
        Recipients(unit=(STREET,), leader=PEOPLE.leader, coordinator=PEOPLE.coordinator, head=PEOPLE.head),
        late,
        policy,
        assignment="ab" * 32,
        since=since,
        signer=Signer(22, member="street-2"),
    )
    assert sorted(m.key for m in member.messages) == [
        "XH-08-1@street-2|ack_reminder|street-2-liaison#0|unsigned-abababababab",
        "XH-08-1@street-2|escalation|leader-li#0|unsigned-abababababab/blue",
        "XH-08-1@street-2|escalation|street-2-liaison#0|unsigned-abababababab/blue",
    ]
    [step] = member.escalations
    assert step.dedupe_key == "escalation|XH-08-1@street-2|unsigned-abababababab|blue"
    assert (step.member, step.unit) == ("street-2", "示例街道二")  # its 督办单 addresses the member
    assert {m.unit_id for m in member.messages} == {22}
    co = plan_unsigned(
        facts(),
        Recipients(unit=(STREET,), leader=PEOPLE.leader, coordinator=PEOPLE.coordinator, head=PEOPLE.head),
        clock(date(2024, 1, 30)),  # however late: a co-unit is reminded, never escalated
        policy,
        assignment="ab" * 32,
        since=since,
        signer=Signer(22, co=True),
    )
    [reminder] = co.messages
    assert co.escalations == []
    assert (reminder.key, reminder.unit_id) == (
        "XH-08-1|ack_reminder|street-2-liaison#0|unsigned-abababababab",
        22,
    )
    _title, body = render_message(reminder)
    assert "您单位配合的整改措施下达已 20 个工作日，您单位尚未签收，请登录整改系统签收任务。" in body
    linked = render_message(
        replace(
            reminder,
            context={**reminder.context, "portal_link": "https://zg.example/signin/x?next=/m/XH-08-1"},
        )
    )[1]
    assert "请打开 https://zg.example/signin/x?next=/m/XH-08-1 签收任务。" in linked
