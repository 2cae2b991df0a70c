"""The desk's preview of a cadence: the next ten runs, the holidays skipped, 调休 days and provisional dates."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from models.cadence import preview_runs
from models.errors import InvalidSchedule
from models.holiday_arrangement import HolidayArrangement, HolidayPeriod, MakeupWorkday
from models.workdays import ChinaCalendar, WeekdayCalendar

# 2023's 国庆: 09-29…10-06 off, Saturday 10-07 and Sunday 10-08 worked (国办发明电〔2022〕16号).
CHINA = ChinaCalendar()


def test_a_weekly_check_skips_the_holiday_monday_and_names_it() -> None:
    runs = preview_runs("每周一 09:00", CHINA, date(2023, 6, 1), datetime(2023, 9, 25))

    assert [r.at.date() for r in runs if not r.skipped][:3] == [
        date(2023, 9, 25),
        date(2023, 10, 9),
        date(2023, 10, 16),
    ]
    assert len([r for r in runs if not r.skipped]) == 10
    (skipped,) = [r for r in runs if r.skipped]
    assert skipped.at == datetime(2023, 10, 2, 9, 0)
    assert skipped.note == "国庆节"
    assert not any(r.provisional for r in runs)


def test_every_working_day_runs_on_the_tiaoxiu_saturday_and_says_so() -> None:
    runs = preview_runs("每个工作日 08:30", CHINA, date(2023, 6, 1), datetime(2023, 10, 6), count=3)

    assert [(r.at, r.note) for r in runs if not r.skipped] == [
        (datetime(2023, 10, 7, 8, 30), "调休上班"),
        (datetime(2023, 10, 8, 8, 30), "调休上班"),
        (datetime(2023, 10, 9, 8, 30), ""),
    ]
    # 10-06 (a Friday of the holiday) is what the plain rule would run on: shown as skipped.
    assert [r.at.date() for r in runs if r.skipped] == [date(2023, 10, 6)]


def test_dates_the_calendar_only_guesses_are_provisional() -> None:
    calendar = ChinaCalendar(fallback="weekends")
    year = calendar.last_published_year() + 1

    runs = preview_runs("每月第一个工作日", calendar, date(year, 1, 1), datetime(year, 1, 1), count=2)

    assert all(r.provisional for r in runs)


def test_an_imported_holiday_is_skipped_by_name() -> None:
    arrangement = HolidayArrangement(
        year=2027,
        holidays=(HolidayPeriod("元旦", date(2027, 1, 1), date(2027, 1, 3)),),
        workdays=(MakeupWorkday(date(2027, 1, 9), "元旦"),),
    )
    calendar = ChinaCalendar(fallback="weekends", imported=(arrangement,))

    runs = preview_runs("每周五 10:00", calendar, date(2026, 6, 1), datetime(2026, 12, 28), count=2)

    assert [(r.at.date(), r.skipped, r.note) for r in runs] == [
        (date(2027, 1, 1), True, "元旦"),
        (date(2027, 1, 8), False, ""),
        (date(2027, 1, 15), False, ""),
    ]


def test_cron_and_rrule_text_run_as_written_and_a_wrong_phrase_is_refused() -> None:
    runs = preview_runs("0 9 * * 1", WeekdayCalendar(), date(2023, 1, 1), datetime(2023, 10, 1), count=2)
    assert [r.at for r in runs] == [datetime(2023, 10, 2, 9), datetime(2023, 10, 9, 9)]
    assert not any(r.skipped for r in runs)
    with pytest.raises(InvalidSchedule, match="unknown cadence"):
        preview_runs("每周八", CHINA, date(2023, 1, 1), datetime(2023, 10, 1))


def test_a_run_earlier_today_is_past() -> None:
    runs = preview_runs("每个工作日 09:00", CHINA, date(2023, 6, 1), datetime(2023, 10, 9, 13, 5), count=1)

    assert [r.at for r in runs] == [datetime(2023, 10, 10, 9, 0)]
