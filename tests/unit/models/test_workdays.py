"""The official working-day calendar: holidays, 调休 days, and years not yet published."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from models.errors import CalendarNotPublished
from models.workdays import ChinaCalendar, WeekdayCalendar, add_workdays, workdays_between, workdays_in


def test_national_day_2023_is_off_and_its_make_up_weekend_is_worked() -> None:
    calendar = ChinaCalendar()
    assert not calendar.is_workday(date(2023, 9, 29))
    assert not calendar.is_workday(date(2023, 10, 6))
    assert calendar.is_workday(date(2023, 10, 7))  # Saturday 调休
    assert calendar.is_workday(date(2023, 10, 8))  # Sunday 调休


def test_spring_festival_2024() -> None:
    days = workdays_in(ChinaCalendar(), date(2024, 2, 4), date(2024, 2, 19))
    # 2-4 (Sunday) and 2-18 (Sunday) are make-up workdays; 2-10…2-17 are off.
    assert days == [date(2024, 2, d) for d in (4, 5, 6, 7, 8, 9, 18, 19)]


def test_counting_working_days_both_ways() -> None:
    calendar = ChinaCalendar()
    assert add_workdays(calendar, date(2023, 10, 19), 10) == date(2023, 11, 2)
    assert add_workdays(calendar, date(2023, 10, 9), -1) == date(2023, 10, 8)
    assert workdays_between(calendar, date(2023, 9, 28), date(2023, 10, 9)) == 3
    assert workdays_between(calendar, date(2023, 10, 9), date(2023, 9, 28)) == -3
    assert add_workdays(calendar, date(2023, 10, 1), 0) == date(2023, 10, 1)


def test_an_unpublished_year_is_an_error_that_says_what_to_do() -> None:
    calendar = ChinaCalendar()
    year = calendar.last_published_year() + 1

    with pytest.raises(CalendarNotPublished, match="ZHENGGAI_CALENDAR_FALLBACK=weekends"):
        calendar.is_workday(date(year, 3, 2))


def test_the_weekend_fallback_is_explicit_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    calendar = ChinaCalendar(fallback="weekends")
    year = calendar.last_published_year() + 1
    first_monday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 0)

    with caplog.at_level(logging.WARNING):
        assert calendar.is_workday(first_monday)
        assert not calendar.is_workday(date(year, 3, 7 + (5 - date(year, 3, 7).weekday()) % 7))

    assert sum("not published" in r.message for r in caplog.records) == 1


def test_the_plain_weekday_calendar() -> None:
    calendar = WeekdayCalendar(
        holidays=frozenset({date(2023, 12, 25)}), extra_workdays=frozenset({date(2023, 12, 30)})
    )
    assert not calendar.is_workday(date(2023, 12, 25))
    assert calendar.is_workday(date(2023, 12, 30))
    assert not calendar.is_workday(date(2023, 12, 31))
