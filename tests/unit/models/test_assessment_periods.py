"""Assessment periods: ISO weeks and months, their working days at holidays and at the year end."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.assessment import Period, PeriodKind, last_closed, parse_period
from models.errors import InvalidPeriod
from models.workdays import WeekdayCalendar

ZONE = "Asia/Shanghai"


def test_an_iso_week_runs_monday_to_sunday() -> None:
    period = parse_period("2026-W48")
    assert (period.first, period.last, period.kind) == (
        date(2026, 11, 23),
        date(2026, 11, 29),
        PeriodKind.WEEK,
    )
    assert period.label == "2026-W48"
    assert period.title == "2026年第48周（11月23日至11月29日）"


def test_week_53_of_2026_crosses_the_year_end() -> None:
    period = parse_period("2026-W53")
    assert (period.first, period.last) == (date(2026, 12, 28), date(2027, 1, 3))
    assert period.title == "2026年第53周（12月28日至2027年1月3日）"
    assert period.next().label == "2027-W01"
    assert parse_period("2027-W01").previous() == period
    assert Period.containing(date(2027, 1, 2), PeriodKind.WEEK) == period


def test_a_year_without_week_53_refuses_it() -> None:
    with pytest.raises(InvalidPeriod, match="2025 has no ISO week 53"):
        parse_period("2025-W53")


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "W48", "2026/11", "", "2026-W0"])
def test_a_wrong_period_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_a_month_and_its_neighbours() -> None:
    period = parse_period("2026-12")
    assert (period.first, period.last, period.title) == (date(2026, 12, 1), date(2026, 12, 31), "2026年12月")
    assert period.next().label == "2027-01"
    assert parse_period("2026-1").previous().label == "2025-12"


def test_moments_are_local_midnights_in_the_configured_zone() -> None:
    period = parse_period("2026-W48")
    assert period.start(ZONE) == datetime(2026, 11, 23, tzinfo=ZoneInfo(ZONE))
    assert period.end(ZONE) == datetime(2026, 11, 30, tzinfo=ZoneInfo(ZONE))


def test_working_days_follow_the_calendar_across_a_holiday_and_a_make_up_saturday() -> None:
    # National Day style: Thursday and Friday off, the Saturday worked (调休).
    calendar = WeekdayCalendar(
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
        extra_workdays=frozenset({date(2026, 10, 10)}),
    )
    assert parse_period("2026-W40").workdays(calendar) == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
    ]
    assert date(2026, 10, 10) in parse_period("2026-W41").workdays(calendar)


def test_working_days_of_week_53_take_new_years_day_off() -> None:
    calendar = WeekdayCalendar(holidays=frozenset({date(2027, 1, 1)}))
    days = parse_period("2026-W53").workdays(calendar)
    assert days == [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]


def test_the_last_closed_period_is_the_one_before_today() -> None:
    assert last_closed(date(2026, 11, 30), PeriodKind.WEEK).label == "2026-W48"
    assert last_closed(date(2027, 1, 4), PeriodKind.WEEK).label == "2026-W53"
    assert last_closed(date(2026, 12, 1), PeriodKind.MONTH).label == "2026-11"
