"""The clock every date rule reads: local days, the ends of a day, judging a whole day (models.clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from models.clock import Clock
from models.settings import Settings
from models.workdays import ChinaCalendar, WeekdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_today_is_the_local_day_of_now() -> None:
    late = Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2023, 12, 31, 17, tzinfo=UTC))
    assert late.today == date(2024, 1, 1)  # 01:00 on New Year's Day in Shanghai
    assert Clock(WeekdayCalendar(), "UTC", late.now).today == date(2023, 12, 31)
    assert late.local(late.now) == datetime(2024, 1, 1, 1, tzinfo=SHANGHAI)


def test_a_day_runs_from_its_first_to_its_last_local_instant() -> None:
    clock = Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2024, 1, 2, tzinfo=UTC))
    assert clock.start_of_day(date(2024, 1, 2)) == datetime(2024, 1, 2, tzinfo=SHANGHAI)
    assert clock.end_of_day(date(2024, 1, 2)) == datetime.combine(date(2024, 1, 2), time.max, tzinfo=SHANGHAI)
    assert clock.end_of_day(date(2024, 1, 2)).astimezone(UTC).date() == date(2024, 1, 2)


def test_judging_a_day_moves_now_to_its_end_and_keeps_the_rest() -> None:
    clock = Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2024, 3, 1, tzinfo=UTC), due_soon_workdays=3)
    day = clock.on(date(2023, 12, 29))
    assert day.today == date(2023, 12, 29) and day.now == clock.end_of_day(date(2023, 12, 29))
    assert (day.calendar, day.timezone, day.due_soon_workdays) == (clock.calendar, "Asia/Shanghai", 3)
    assert clock.at(day.now) == day


def test_a_clock_is_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2024, 1, 2, 9))


def test_settings_build_the_clock_on_their_calendar_or_a_given_one() -> None:
    settings = Settings(timezone="UTC", due_soon_workdays=2, calendar_fallback="weekends")
    moment = datetime(2024, 1, 2, 9, tzinfo=UTC)
    clock = settings.clock(moment)
    assert clock == Clock(ChinaCalendar(fallback="weekends"), "UTC", moment, due_soon_workdays=2)
    other = WeekdayCalendar(holidays=frozenset({date(2024, 1, 2)}))
    assert settings.clock(moment, calendar=other).calendar is other
    assert settings.clock().now.tzinfo is not None
