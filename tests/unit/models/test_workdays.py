"""The official working-day calendar: holidays, 调休 days, and years not yet published."""

from __future__ import annotations

import logging
import pickle
from datetime import date, timedelta

import chinese_calendar
import pytest

from models.errors import CalendarNotPublished
from models.holiday_arrangement import HolidayArrangement, HolidayPeriod, MakeupWorkday
from models.workdays import (
    CalendarDay,
    CalendarSource,
    ChinaCalendar,
    DayKind,
    WeekdayCalendar,
    add_workdays,
    missing_calendar_warning,
    workdays_between,
    workdays_in,
)


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
    calendar = ChinaCalendar(fallback="error")
    year = calendar.last_published_year() + 1

    with pytest.raises(CalendarNotPublished, match=r"zhenggai calendar import FILE.*FALLBACK=statutory"):
        calendar.is_workday(date(year, 3, 2))
    with pytest.raises(CalendarNotPublished):
        calendar.day(date(year, 3, 2))
    assert calendar.is_provisional(date(year, 3, 2))
    assert calendar.source(year) is CalendarSource.MISSING


def test_the_weekend_fallback_is_explicit_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    calendar = ChinaCalendar(fallback="weekends")
    year = calendar.last_published_year() + 1
    first_monday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 0)

    with caplog.at_level(logging.WARNING):
        assert calendar.is_workday(first_monday)
        assert not calendar.is_workday(date(year, 3, 7 + (5 - date(year, 3, 7).weekday()) % 7))

    assert sum("not published" in r.message for r in caplog.records) == 1


def test_a_calendar_remembers_its_answers_without_changing_them() -> None:
    """``is_workday`` is asked thousands of times a round: the remembered answer is the computed one, a
    year with no data still refuses every time, and equal calendars stay equal."""
    calendar, fresh = ChinaCalendar(fallback="statutory"), ChinaCalendar(fallback="statutory")
    days = [date(2023, 9, 25) + timedelta(days=n) for n in range(60)]  # 中秋、国庆 and the 调休 Saturdays
    first = [calendar.is_workday(day) for day in days]

    assert [calendar.is_workday(day) for day in days] == first == [fresh.is_workday(day) for day in days]
    assert calendar == ChinaCalendar(fallback="statutory") and hash(calendar) == hash(fresh)
    refusing = ChinaCalendar(fallback="error")
    year = refusing.last_published_year() + 1
    for _ in range(2):
        with pytest.raises(CalendarNotPublished):
            refusing.is_workday(date(year, 3, 2))


def test_the_plain_weekday_calendar() -> None:
    calendar = WeekdayCalendar(
        holidays=frozenset({date(2023, 12, 25)}), extra_workdays=frozenset({date(2023, 12, 30)})
    )
    assert not calendar.is_workday(date(2023, 12, 25))
    assert calendar.is_workday(date(2023, 12, 30))
    assert not calendar.is_workday(date(2023, 12, 31))


def test_package_years_answer_as_chinesecalendar_does_day_by_day() -> None:
    calendar = ChinaCalendar()
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        assert not calendar.is_provisional(day)
        day += timedelta(days=1)
    assert calendar.day(date(2026, 2, 14)) == CalendarDay(
        date(2026, 2, 14), DayKind.MAKEUP_WORKDAY, "春节", CalendarSource.PACKAGE
    )
    assert calendar.day(date(2026, 2, 21)).kind is DayKind.HOLIDAY  # a Saturday inside 春节


def test_the_statutory_fallback_skips_the_holidays_fixed_by_law_and_marks_them_provisional() -> None:
    calendar = ChinaCalendar()  # statutory is the default

    for off in ("2027-01-01", "2027-02-05", "2027-02-08", "2027-02-10", "2027-05-04", "2027-10-05"):
        assert not calendar.is_workday(date.fromisoformat(off)), off
    assert calendar.is_workday(date(2027, 1, 4))
    assert not calendar.is_workday(date(2027, 1, 9))  # a Saturday: no make-up days are guessed
    assert calendar.is_provisional(date(2027, 1, 4))
    assert calendar.day(date(2027, 2, 5)) == CalendarDay(
        date(2027, 2, 5), DayKind.HOLIDAY, "春节", CalendarSource.STATUTORY
    )
    assert calendar.source(2027) is CalendarSource.STATUTORY
    assert calendar.provisional_from(date(2026, 12, 1), date(2027, 3, 1)) == date(2027, 1, 1)
    assert calendar.provisional_from(date(2026, 1, 1), date(2026, 12, 31)) is None
    # 每月第一个工作日 in January 2027 is not 元旦.
    assert add_workdays(calendar, date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_the_weekend_fallback_is_provisional_too() -> None:
    calendar = ChinaCalendar(fallback="weekends")

    assert calendar.is_workday(date(2027, 1, 1))
    assert calendar.day(date(2027, 1, 1)).provisional
    assert calendar.source(2027) is CalendarSource.WEEKENDS


ARRANGEMENT_2027 = HolidayArrangement(
    year=2027,
    holidays=(
        HolidayPeriod("元旦", date(2027, 1, 1), date(2027, 1, 3)),
        HolidayPeriod("春节", date(2027, 2, 5), date(2027, 2, 13)),
    ),
    workdays=(MakeupWorkday(date(2027, 2, 20), "春节"),),
)


def test_an_imported_year_is_official_and_extends_the_published_years() -> None:
    calendar = ChinaCalendar(fallback="error", imported=(ARRANGEMENT_2027,))

    assert not calendar.is_workday(date(2027, 2, 12))
    assert calendar.is_workday(date(2027, 2, 20))  # 调休 Saturday
    assert calendar.is_workday(date(2027, 5, 4))  # the import lists no 劳动节: a plain Tuesday
    assert not calendar.is_provisional(date(2027, 5, 4))
    assert calendar.last_published_year() == 2027
    assert calendar.source(2027) is CalendarSource.IMPORTED
    assert calendar.day(date(2027, 2, 20)) == CalendarDay(
        date(2027, 2, 20), DayKind.MAKEUP_WORKDAY, "春节", CalendarSource.IMPORTED
    )
    with pytest.raises(CalendarNotPublished, match="imported years are 2027"):
        calendar.is_workday(date(2028, 3, 1))


def test_an_imported_year_replaces_the_package_for_that_year() -> None:
    # A corrected 2026 (say the State Council moved a day): the package's own days no longer count.
    corrected = HolidayArrangement(
        year=2026,
        holidays=(HolidayPeriod("春节", date(2026, 2, 16), date(2026, 2, 20)),),
    )
    calendar = ChinaCalendar(imported=(corrected,))

    assert calendar.is_workday(date(2026, 2, 23))  # off in the package
    assert not calendar.is_workday(date(2026, 2, 14))  # worked in the package
    assert calendar.is_workday(date(2026, 10, 5))  # the import lists no 国庆节: a plain Monday
    assert calendar.source(2025) is CalendarSource.PACKAGE


def test_new_year_days_in_december_belong_to_the_next_years_arrangement() -> None:
    arrangement_2028 = HolidayArrangement(
        year=2028,
        holidays=(HolidayPeriod("元旦", date(2027, 12, 31), date(2028, 1, 2)),),
        workdays=(MakeupWorkday(date(2027, 12, 25), "元旦"),),
    )
    calendar = ChinaCalendar(imported=(ARRANGEMENT_2027, arrangement_2028))

    assert calendar.is_workday(date(2027, 12, 25))  # a Saturday, worked for 2028's 元旦
    assert not calendar.is_workday(date(2027, 12, 31))
    assert not calendar.is_provisional(date(2027, 12, 31))


def test_a_calendar_is_a_value_that_hashes_by_its_data() -> None:
    one = ChinaCalendar(imported=(ARRANGEMENT_2027,))
    same = ChinaCalendar(imported=(ARRANGEMENT_2027,))

    assert one == same and hash(one) == hash(same)
    assert one != ChinaCalendar() and one != ChinaCalendar(fallback="weekends", imported=(ARRANGEMENT_2027,))
    assert {one: 1}[same] == 1
    revived = pickle.loads(pickle.dumps(one))
    assert revived == one and hash(revived) == hash(one) and revived.is_workday(date(2027, 2, 20))
    with pytest.raises(ValueError, match="one arrangement per year"):
        ChinaCalendar(imported=(ARRANGEMENT_2027, ARRANGEMENT_2027))


def test_from_1_november_a_missing_next_year_is_warned_about_once_a_week() -> None:
    calendar = ChinaCalendar()  # chinesecalendar 1.11.0 ends with 2026

    assert missing_calendar_warning(date(2026, 10, 31), calendar) is None
    warning = missing_calendar_warning(date(2026, 11, 1), calendar)
    assert warning is not None
    assert warning.year == 2027 and warning.title == "2027年节假日安排尚未导入"
    assert "zhenggai calendar import 2027.txt --dry-run" in warning.body and "暂定" in warning.body
    assert warning.command == "zhenggai calendar import 2027.txt"
    monday, friday = (
        missing_calendar_warning(date(2026, 11, 2), calendar),
        missing_calendar_warning(date(2026, 11, 6), calendar),
    )
    next_week = missing_calendar_warning(date(2026, 11, 9), calendar)
    assert monday is not None and friday is not None and next_week is not None
    assert monday.key == friday.key == "calendar-missing|2027|2026-W45"
    assert next_week.key == "calendar-missing|2027|2026-W46"


def test_the_warning_stops_once_the_year_is_imported_and_says_what_failing_means() -> None:
    assert missing_calendar_warning(date(2026, 12, 1), ChinaCalendar(imported=(ARRANGEMENT_2027,))) is None
    in_the_year = missing_calendar_warning(date(2027, 3, 1), ChinaCalendar(fallback="error"))
    assert in_the_year is not None and in_the_year.year == 2027
    assert "无法计算" in in_the_year.body
    weekends = missing_calendar_warning(date(2026, 11, 2), ChinaCalendar(fallback="weekends"))
    assert weekends is not None and "周一至周五" in weekends.body
