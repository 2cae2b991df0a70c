"""Silence climbs the ladder: consecutive missed report periods take the unit to 蓝/黄/红 (pure rules on plain
objects), and a weekly check that never reports no longer gets one identical reminder per period forever."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models.clock import Clock
from models.enums import MessageKind
from models.measure_view import MeasureView
from models.notifications import Level, Policy, plan_measure, silence_level
from models.periods import missed_periods, missing_period
from models.workdays import WeekdayCalendar
from tasks.notify.render import render_message
from tests.unit.models.test_notifications import PEOPLE, facts

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar(holidays=frozenset({date(2024, 1, 1)}))
POLICY = Policy()
WEEKLY = "每周一 09:00"
SINCE = date(2024, 1, 8)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def clock(moment: datetime) -> Clock:
    return Clock(CAL, "Asia/Shanghai", moment)


def weekly(moment: datetime, last_report_at: datetime | None = None) -> MeasureView:
    """A 长期坚持 measure on a weekly cadence, as the ledger reads it at ``moment``."""
    missing = missing_period(WEEKLY, since=SINCE, last_report_at=last_report_at, clock=clock(moment))
    return facts(
        deadline=None,
        deadline_spec="长期坚持",
        cadence=WEEKLY,
        feedback_date=SINCE,
        last_report_at=last_report_at,
        missing_period=missing,
    )


def test_missed_periods_counts_the_run_since_the_last_report() -> None:
    monday = clock(at(date(2024, 1, 29)))
    # Periods 1/8–1/15, 1/15–1/22, 1/22–1/29 have closed; none has a report.
    assert missed_periods(WEEKLY, since=SINCE, last_report_at=None, clock=monday) == (
        3,
        at(date(2024, 1, 8), 9),
    )
    # A report on 1/16 answers the period that started 1/15: only 1/22–1/29 is missing.
    assert missed_periods(WEEKLY, since=SINCE, last_report_at=at(date(2024, 1, 16)), clock=monday) == (
        1,
        at(date(2024, 1, 22), 9),
    )
    # A report in the current period: nothing is missing.
    assert missed_periods(WEEKLY, since=SINCE, last_report_at=at(date(2024, 1, 23)), clock=monday) is None
    assert missed_periods(None, since=SINCE, last_report_at=None, clock=monday) is None


def test_silence_levels_follow_the_thresholds() -> None:
    assert [silence_level(n, POLICY) for n in range(6)] == [
        None,
        Level.UNIT,
        Level.BLUE,
        Level.YELLOW,
        Level.RED,
        Level.RED,
    ]
    strict = Policy(silence_leader_after=3, silence_coordinator_after=5, silence_head_after=8)
    assert [silence_level(n, strict) for n in (2, 3, 5, 8)] == [
        Level.UNIT,
        Level.BLUE,
        Level.YELLOW,
        Level.RED,
    ]


def test_the_first_missed_period_is_the_units_missing_report_then_the_ladder_speaks() -> None:
    first = plan_measure(weekly(at(date(2024, 1, 15))), PEOPLE, clock(at(date(2024, 1, 15))), POLICY)
    assert {m.kind for m in first.messages} == {MessageKind.MISSING_REPORT} and first.escalations == []

    second = plan_measure(weekly(at(date(2024, 1, 22))), PEOPLE, clock(at(date(2024, 1, 22))), POLICY)
    assert {m.kind for m in second.messages} == {MessageKind.ESCALATION}
    (step,) = second.escalations
    assert (step.level, step.missed_periods, step.silent_since) == (Level.BLUE, 2, at(date(2024, 1, 8), 9))
    assert step.dedupe_key == "escalation|XH-08-1|silence-2024-01-08T09:00|blue"
    assert step.issues_sheet and step.unit == "各街道办事处" and step.reply_by == date(2024, 1, 29)
    # The leader is told, and the unit the sheet addresses.
    assert sorted(m.key for m in second.messages) == [
        "XH-08-1|escalation|jiedao-liaison#0|silence-2024-01-08T09:00/blue",
        "XH-08-1|escalation|jiedao-liaison#1|silence-2024-01-08T09:00/blue",
        "XH-08-1|escalation|leader-li#0|silence-2024-01-08T09:00/blue",
    ]
    title, body = render_message(second.messages[0])
    assert title == "【蓝色督办】XH-08-1 已连续2期未报送进展"
    assert "自2024年1月8日09:00起已连续 2 个报送周期（每周一 09:00）未报送进展（满 2 期）" in body

    fourth = plan_measure(weekly(at(date(2024, 2, 5))), PEOPLE, clock(at(date(2024, 2, 5))), POLICY)
    assert [(s.level, s.previous) for s in fourth.escalations] == [
        (Level.BLUE, Level.UNIT),
        (Level.YELLOW, Level.BLUE),
        (Level.RED, Level.YELLOW),
    ]
    assert {m.recipient.code for m in fourth.messages} == {
        "jiedao-liaison",
        "leader-li",
        "duban-office",
        "bureau-head",
    }


def test_a_weekly_check_that_never_reports_is_not_sent_the_same_reminder_every_week() -> None:
    keys: list[str] = []
    mondays = [date(2024, 1, 15), date(2024, 1, 22), date(2024, 1, 29), date(2024, 2, 5)]
    mondays += [date(2024, 2, 19), date(2024, 2, 26), date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18)]
    for monday in mondays:
        keys += [m.key for m in plan_measure(weekly(at(monday)), PEOPLE, clock(at(monday)), POLICY).messages]
    distinct = set(keys)
    # One missing_report (two URLs), then the three steps: nothing new after the 红色督办 however long it lasts.
    assert len([k for k in distinct if "|missing_report|" in k]) == 2
    assert len([k for k in distinct if "|escalation|" in k]) == 3 * 2 + 3
    late = plan_measure(weekly(at(date(2024, 3, 18))), PEOPLE, clock(at(date(2024, 3, 18))), POLICY)
    assert {m.key for m in late.messages} <= {k for k in keys[: len(keys) - len(late.messages)]}


def test_a_report_ends_the_run_and_a_new_silence_starts_over() -> None:
    reported = at(date(2024, 2, 6))
    calm = plan_measure(weekly(at(date(2024, 2, 7)), reported), PEOPLE, clock(at(date(2024, 2, 7))), POLICY)
    assert calm.messages == [] and calm.escalations == []
    once = plan_measure(weekly(at(date(2024, 2, 19)), reported), PEOPLE, clock(at(date(2024, 2, 19))), POLICY)
    assert {m.kind for m in once.messages} == {MessageKind.MISSING_REPORT}  # 2/12–2/19: the first missed
    again = plan_measure(
        weekly(at(date(2024, 2, 26)), reported), PEOPLE, clock(at(date(2024, 2, 26))), POLICY
    )
    (step,) = again.escalations
    assert step.dedupe_key == "escalation|XH-08-1|silence-2024-02-12T09:00|blue"
