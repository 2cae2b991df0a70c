"""Who is told what and when: keys, reminder steps, the escalation ladder, quiet hours, masking."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from models.clock import Clock
from models.enums import MeasureStatus, MessageKind
from models.measure_view import MeasureView
from models.notifications import (
    DigestLine,
    Level,
    Policy,
    Recipient,
    Recipients,
    escalation_level,
    next_allowed,
    plan_digest,
    plan_measure,
)
from models.workdays import WeekdayCalendar, workdays_in
from tasks.notify.render import render, render_message

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar(holidays=frozenset({date(2024, 1, 1)}))
POLICY = Policy()
UNIT = Recipient(
    1,
    "jiedao-liaison",
    "街道联络员",
    "联络员",
    ("json://127.0.0.1:8089/jiedao", "mailto://127.0.0.1:2525?to=a@b.org"),
    10,
)
LEADER = Recipient(2, "leader-li", "李某某", "分管副局长", ("json://127.0.0.1:8089/leader",))
COORD = Recipient(3, "duban-office", "督办室", "督办室", ("json://127.0.0.1:8089/duban",))
HEAD = Recipient(4, "bureau-head", "王某某", "局长", ("json://127.0.0.1:8089/head",))


PEOPLE = Recipients(unit=(UNIT,), leader=LEADER, coordinator=COORD, head=HEAD)


def facts(**overrides: object) -> MeasureView:
    values: dict[str, object] = {
        "id": 7,
        "code": "XH-08-1",
        "text": "开展市容环境集中整治，发放宣传一封信",
        "marker": "一是",
        "status": MeasureStatus.IN_PROGRESS,
        "deadline": date(2023, 12, 29),  # a Friday
        "deadline_spec": "2023-12-29",
        "problem_ordinal": 8,
        "problem_title": "市容秩序管理不到位",
        "lead_unit_id": 10,
        "lead_unit": "各街道办事处",
        "leader_code": LEADER.code,
        "leader_person": LEADER.person,
        "leader_role": LEADER.role,
    }
    values.update(overrides)
    return MeasureView(**values)  # type: ignore[arg-type]


def clock(moment: datetime, zone: str = "Asia/Shanghai") -> Clock:
    return Clock(CAL, zone, moment)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def test_reminders_follow_the_offsets_and_catch_up_once() -> None:
    # 5 working days before Fri 2023-12-29 is Fri 12-22; 3 before is Tue 12-26; 1 before Thu 12-28.
    plan = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 21))), POLICY)
    assert plan.messages == []
    plan = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 22))), POLICY)
    assert {m.kind for m in plan.messages} == {MessageKind.REMINDER}
    assert {m.key for m in plan.messages} == {
        "XH-08-1|reminder|jiedao-liaison#0|2023-12-29/-5",
        "XH-08-1|reminder|jiedao-liaison#1|2023-12-29/-5",
    }
    assert plan.messages[0].context["workdays_left"] == 5
    # Monday 12-25 still asks for step -5 (same keys: the log sends it once), Tuesday for step -3.
    assert {m.key for m in plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 25))), POLICY).messages} == {
        m.key for m in plan.messages
    }
    tuesday = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 26))), POLICY).messages
    assert {m.key.rsplit("|", 1)[1] for m in tuesday} == {"2023-12-29/-3"}
    due = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 29))), POLICY).messages
    assert {m.kind for m in due} == {MessageKind.DUE_TODAY}


def test_a_measure_with_its_own_reminders_is_reminded_on_those() -> None:
    # Its own offsets (set at the desk): 2 working days before Fri 12-29 is Wed 12-27, not the default 5 or 3.
    own = facts(reminder_offsets=(2, 0))
    assert plan_measure(own, PEOPLE, clock(at(date(2023, 12, 26))), POLICY).messages == []
    wednesday = plan_measure(own, PEOPLE, clock(at(date(2023, 12, 27))), POLICY).messages
    assert {m.key.rsplit("|", 1)[1] for m in wednesday} == {"2023-12-29/-2"}
    assert (
        plan_measure(facts(reminder_offsets=()), PEOPLE, clock(at(date(2023, 12, 28))), POLICY).messages == []
    )


def test_a_changed_deadline_starts_the_reminders_over() -> None:
    old = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 22))), POLICY).messages
    new = plan_measure(
        facts(deadline=date(2024, 1, 5)), PEOPLE, clock(at(date(2023, 12, 29))), POLICY
    ).messages
    assert not {m.key for m in old} & {m.key for m in new}


def test_deadline_on_a_weekend_is_due_the_working_day_before() -> None:
    plan = plan_measure(facts(deadline=date(2023, 12, 30)), PEOPLE, clock(at(date(2023, 12, 29))), POLICY)
    assert {m.kind for m in plan.messages} == {MessageKind.DUE_TODAY}


def test_done_and_closed_measures_ask_for_nothing() -> None:
    for status in (MeasureStatus.DONE, MeasureStatus.CLOSED):
        assert plan_measure(facts(status=status), PEOPLE, clock(at(date(2024, 2, 1))), POLICY).messages == []


def test_ongoing_measures_are_only_chased_for_missing_reports() -> None:
    assert plan_measure(facts(deadline=None), PEOPLE, clock(at(date(2024, 2, 1))), POLICY).messages == []
    start = at(date(2024, 1, 22), 9)
    plan = plan_measure(
        facts(deadline=None, cadence="每周一 09:00", missing_period=(start, start + timedelta(days=7))),
        PEOPLE,
        clock(at(date(2024, 1, 29))),
        POLICY,
    )
    assert {m.key.split("|", 2)[1] for m in plan.messages} == {"missing_report"}
    assert plan.messages[0].key.endswith("|2024-01-22T09:00")
    title, body = render_message(plan.messages[0])
    assert "本期进展尚未报送" in title and "每周一 09:00" in body and "2024年1月22日09:00" in body


def test_moments_are_shown_in_the_configured_zone() -> None:
    start = at(date(2024, 1, 22), 9)  # 09:00 in Shanghai is 01:00 UTC
    ongoing = facts(deadline=None, cadence="每周一 09:00", missing_period=(start, start + timedelta(days=7)))
    line = DigestLine(
        "XH-08-1", "开展整治", "牵头", "2024-01-31", "推进中", "green", 3, at(date(2024, 1, 26), 9, 30)
    )
    for zone, shown in (("Asia/Shanghai", ("09:00", "09:30")), ("UTC", ("01:00", "01:30"))):
        monday = clock(at(date(2024, 1, 29)), zone)
        [missing, *_] = plan_measure(ongoing, PEOPLE, monday, POLICY).messages
        assert f"2024年1月22日{shown[0]}至2024年1月29日{shown[0]}" in render_message(missing)[1]
        [digest, *_] = plan_digest("jiedao", 10, "街道", (UNIT,), [line], monday, POLICY)
        assert f"最新进展：2024年1月26日{shown[1]}" in render_message(digest)[1]
    without_zone = {k: v for k, v in missing.context.items() if k != "timezone"}
    with pytest.raises(UndefinedError):  # no zone is assumed: the planner passes the clock's
        render("missing_report", without_zone)


def test_the_environment_is_read_only_through_settings() -> None:
    root = Path(__file__).resolve().parents[3]
    planning = [root / "models" / "notifications.py", root / "models" / "urls.py"]
    readers = [
        str(path.relative_to(root))
        for path in [*planning, *sorted((root / "tasks" / "notify").glob("*.py"))]
        if re.search(r"os\.environ|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_escalation_level_thresholds() -> None:
    assert escalation_level(0, POLICY) is None
    assert escalation_level(1, POLICY) == Level.UNIT
    assert escalation_level(3, POLICY) == Level.BLUE
    assert escalation_level(6, POLICY) == Level.BLUE
    assert escalation_level(7, POLICY) == Level.YELLOW
    assert escalation_level(15, POLICY) == Level.RED


def test_the_ladder_over_a_month_of_working_days_reaches_each_step_on_its_day() -> None:
    policy = Policy(escalate_leader_after=3, escalate_coordinator_after=7, escalate_head_after=15)
    seen: dict[str, date] = {}
    steps: dict[Level, date] = {}
    days = workdays_in(CAL, date(2024, 1, 2), date(2024, 2, 2))  # 1 Jan is a holiday here
    for day in days:
        plan = plan_measure(facts(), PEOPLE, clock(at(day)), policy)
        for message in plan.messages:
            seen.setdefault(message.key, day)
        for step in plan.escalations:
            steps.setdefault(step.level, day)
    escalations = {k: d for k, d in seen.items() if "|escalation|" in k}
    # Deadline Fri 12-29; overdue working days: 1 on 01-02, 3 on 01-04, 7 on 01-10, 15 on 01-22.
    assert escalations == {
        "XH-08-1|escalation|leader-li#0|2023-12-29/blue": date(2024, 1, 4),
        "XH-08-1|escalation|duban-office#0|2023-12-29/yellow": date(2024, 1, 10),
        "XH-08-1|escalation|bureau-head#0|2023-12-29/red": date(2024, 1, 22),
    }
    assert steps == {
        Level.UNIT: date(2024, 1, 2),
        Level.BLUE: date(2024, 1, 4),
        Level.YELLOW: date(2024, 1, 10),
        Level.RED: date(2024, 1, 22),
    }
    overdue_days = sorted(d for k, d in seen.items() if "|overdue|jiedao-liaison#0|" in k)
    assert overdue_days == days  # the unit is chased every working day


def test_quiet_hours_and_days_hold_messages_to_the_next_allowed_moment() -> None:
    friday = date(2023, 12, 29)
    assert next_allowed(clock(at(friday, 10)), POLICY) == at(friday, 10)
    assert next_allowed(clock(at(friday, 7)), POLICY) == at(friday, 8, 30)
    assert next_allowed(clock(at(friday, 18)), POLICY) == at(date(2024, 1, 2), 8, 30)  # weekend + holiday
    assert next_allowed(clock(at(date(2023, 12, 30), 10)), POLICY) == at(date(2024, 1, 2), 8, 30)
    # A Saturday sweep plans Tuesday's messages, held, with Tuesday's facts: Tuesday's sweep plans the same keys.
    saturday = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 30), 10)), POLICY)
    tuesday = plan_measure(facts(), PEOPLE, clock(at(date(2024, 1, 2), 9)), POLICY)
    assert saturday.messages and all(
        m.held and m.due_at == at(date(2024, 1, 2), 8, 30) for m in saturday.messages
    )
    assert {m.key for m in saturday.messages} == {m.key for m in tuesday.messages}


def test_reminder_renders_measure_deadline_and_remaining_working_days() -> None:
    message = plan_measure(facts(), PEOPLE, clock(at(date(2023, 12, 26))), POLICY).messages[0]
    title, body = render_message(message)
    assert title == "【整改提醒】XH-08-1 距完成时限还有3个工作日"
    assert "一是开展市容环境集中整治，发放宣传一封信" in body
    assert "完成时限：2023年12月29日" in body
    assert "剩余工作日：3 个" in body
    assert "八、市容秩序管理不到位" in body
    assert "zhenggai report add --measure XH-08-1" in body


def test_escalation_message_names_the_colour() -> None:
    plan = plan_measure(facts(), PEOPLE, clock(at(date(2024, 1, 10))), POLICY)
    yellow = [m for m in plan.messages if m.key.endswith("/yellow")]
    title, body = render_message(yellow[0])
    assert title.startswith("【黄色督办】XH-08-1 逾期7个工作日")
    assert body.startswith("抄送：督办室\n下列整改措施已逾期 7 个工作日") and "责任单位：各街道办事处" in body


def test_the_daily_digests_fall_due_at_their_hour_within_the_working_hours() -> None:
    from models.notifications import digest_hour_of_day

    assert digest_hour_of_day(Policy()) == time(9, 0)
    assert digest_hour_of_day(Policy(digest_hour=time(7, 0))) == time(8, 30)  # the quiet hours' end
    assert digest_hour_of_day(Policy(digest_hour=time(15, 45))) == time(15, 45)
    assert digest_hour_of_day(Policy(digest_hour=time(18, 0))) is None  # the next morning's
