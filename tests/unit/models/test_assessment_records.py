"""Facts a share is scored on: cadence periods answered on time/late/missing (the missing-report rule's
home, models.periods), overdue working days from the status history, 签收 delay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.assessment import StatusTimeline, ack_late_days, overdue_days, parse_period
from models.clock import Clock
from models.enums import MeasureStatus
from models.periods import CadencePeriod, ReportOutcome, cadence_periods, missing_period, report_outcome
from models.workdays import WeekdayCalendar

ZONE = "Asia/Shanghai"
CST = ZoneInfo(ZONE)
CAL = WeekdayCalendar()
CLOCK = Clock(CAL, ZONE, datetime(2026, 12, 1, tzinfo=CST))


def local(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=CST)


def periods(
    cadence: str, period: str, calendar: WeekdayCalendar = CAL, since: date = date(2026, 1, 5)
) -> tuple[CadencePeriod, ...]:
    p = parse_period(period)
    clock = Clock(calendar, ZONE, p.end(ZONE))
    return cadence_periods(cadence, since=since, start=p.start(ZONE), end=p.end(ZONE), clock=clock)


def test_a_weekly_cadence_falls_due_once_a_week_with_its_start_and_next_due() -> None:
    [period] = periods("每周一 09:00", "2026-W48")
    assert (period.start, period.due, period.next_due) == (
        local(2026, 11, 16, 9),
        local(2026, 11, 23, 9),
        local(2026, 11, 30, 9),
    )


def test_a_holiday_monday_asks_no_weekly_report_that_week() -> None:
    calendar = WeekdayCalendar(holidays=frozenset({date(2026, 11, 23)}))
    assert periods("每周一 09:00", "2026-W48", calendar) == ()
    [next_week] = periods("每周一 09:00", "2026-W49", calendar)
    assert next_week.start == local(2026, 11, 16, 9)  # the period since the last Monday that was worked


def test_periods_before_the_feedback_date_ask_for_nothing() -> None:
    dues = [p.due.date() for p in periods("每个工作日 09:00", "2026-W48", since=date(2026, 11, 25))]
    assert dues == [date(2026, 11, 26), date(2026, 11, 27)]


def test_week_53_daily_periods_stop_at_new_years_day() -> None:
    calendar = WeekdayCalendar(holidays=frozenset({date(2027, 1, 1)}))
    dues = [p.due.date() for p in periods("每个工作日 09:00", "2026-W53", calendar)]
    assert dues == [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]


def test_report_outcomes() -> None:
    [period] = periods("每周一 09:00", "2026-W48")
    as_of = local(2026, 12, 7)
    assert report_outcome(period, [local(2026, 11, 20)], as_of) == (
        ReportOutcome.ON_TIME,
        local(2026, 11, 20),
    )
    assert report_outcome(period, [local(2026, 11, 10), local(2026, 11, 25)], as_of) == (
        ReportOutcome.LATE,
        local(2026, 11, 25),
    )
    assert report_outcome(period, [local(2026, 11, 30, 9)], as_of) == (ReportOutcome.MISSING, None)
    assert report_outcome(period, [local(2026, 11, 25)], local(2026, 11, 24)) == (ReportOutcome.MISSING, None)


def test_report_outcome_agrees_with_the_missing_report_rule_at_every_moment() -> None:
    reports = [local(2026, 11, 18), local(2026, 11, 25, 15), local(2026, 12, 9, 8)]
    since = date(2026, 1, 5)
    moment = local(2026, 11, 23, 8)
    while moment < local(2026, 12, 15):
        seen = [r for r in reports if r <= moment]
        missing = missing_period(
            "每周一 09:00",
            since=since,
            last_report_at=seen[-1] if seen else None,
            clock=Clock(CAL, ZONE, moment),
        )
        due = [
            p
            for p in periods("每周一 09:00", "2026-11", since=since)
            + periods("每周一 09:00", "2026-12", since=since)
            if p.due <= moment
        ]
        outcome, _ = report_outcome(due[-1], seen, moment)
        assert (missing is not None) == (outcome == ReportOutcome.MISSING), moment
        moment += timedelta(hours=7)


def test_overdue_days_stop_when_done_and_resume_when_returned() -> None:
    timeline = StatusTimeline(
        (
            (local(2026, 11, 2), MeasureStatus.IN_PROGRESS),
            (local(2026, 11, 24, 16), MeasureStatus.DONE),
            (local(2026, 11, 26, 11), MeasureStatus.IN_PROGRESS),
        )
    )
    days = parse_period("2026-W48").workdays(CAL)
    assert overdue_days(date(2026, 11, 20), timeline, days, CLOCK) == (
        date(2026, 11, 23),
        date(2026, 11, 26),
        date(2026, 11, 27),
    )
    assert overdue_days(None, timeline, days, CLOCK) == ()
    assert timeline.finished_since(local(2026, 11, 25)) == local(2026, 11, 24, 16)
    assert timeline.finished_since(local(2026, 11, 27)) is None


def test_finished_since_spans_done_then_closed() -> None:
    timeline = StatusTimeline(
        ((local(2026, 11, 2), MeasureStatus.DONE), (local(2026, 11, 5), MeasureStatus.CLOSED))
    )
    assert timeline.finished_since(local(2026, 11, 30)) == local(2026, 11, 2)
    assert timeline.status_at(datetime(2026, 11, 1, tzinfo=UTC)) == MeasureStatus.PLANNED


def test_a_pending_acknowledgement_is_late_after_its_allowance() -> None:
    days = parse_period("2026-W48").workdays(CAL)
    late = ack_late_days(local(2026, 11, 23, 9), None, 1, days, CLOCK)
    assert late == (date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27))
    assert ack_late_days(local(2026, 11, 23, 9), local(2026, 11, 25, 17), 1, days, CLOCK) == ()
    assert ack_late_days(local(2026, 11, 23, 9), local(2026, 11, 26, 17), 1, days, CLOCK) == (
        date(2026, 11, 25),
    )
