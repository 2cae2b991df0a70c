"""China's official working-day calendar: holidays and make-up workdays (调休) included.

Library choice: ``chinesecalendar`` rather than ``holidays``. Both match the State Council schedules
for 2023–2026 day by day, but for a year whose schedule is not yet published ``holidays`` silently
falls back to fixed-date rules without make-up days, whereas ``chinesecalendar`` raises. A deadline
computed on a guessed calendar is a wrong deadline, so we want the explicit failure; the fallback to
plain Monday–Friday is a setting (``ZHENGGAI_CALENDAR_FALLBACK=weekends``) and is logged every time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Literal, Protocol

import chinese_calendar

from models.errors import CalendarNotPublished

log = logging.getLogger(__name__)


class WorkingCalendar(Protocol):
    """What the domain rules need to know about working days."""

    def is_workday(self, day: date) -> bool: ...


@cache
def _official_workday(day: date) -> bool | None:
    """The State Council's answer for ``day``, or None where chinesecalendar has no data (static: cached)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class ChinaCalendar:
    """The State Council calendar from ``chinesecalendar``; outside its data, fail or assume Mon–Fri.

    A value: two calendars with the same fallback are equal and hash alike, so schedules computed on
    one serve the other (see ``models.cadence.cadence_schedule``).
    """

    fallback: Literal["error", "weekends"] = "error"
    # Years already warned about; not part of the value (equality, hashing).
    _warned_years: set[int] = field(default_factory=set, compare=False, repr=False)

    def is_workday(self, day: date) -> bool:
        official = _official_workday(day)
        if official is not None:
            return official
        if self.fallback == "error":
            raise CalendarNotPublished(
                f"the official working-day calendar for {day.year} is not in chinesecalendar "
                f"{chinese_calendar.__version__} (published years end with {self.last_published_year()}); "
                "upgrade chinesecalendar, or set ZHENGGAI_CALENDAR_FALLBACK=weekends to assume Monday–Friday"
            )
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            log.warning(
                "working days of %s are not published: assuming Monday–Friday (calendar_fallback=weekends)",
                day.year,
            )
        return day.weekday() < 5

    @staticmethod
    def last_published_year() -> int:
        """The last year whose State Council calendar the installed ``chinesecalendar`` holds."""
        holidays: dict[date, object] = chinese_calendar.holidays
        return max(day.year for day in holidays)


@dataclass(frozen=True)
class WeekdayCalendar:
    """Monday to Friday, no holidays: for tests and for places without an official calendar."""

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def add_workdays(calendar: WorkingCalendar, start: date, n: int) -> date:
    """The n-th working day after ``start`` (n > 0), before it (n < 0), or ``start`` itself (n == 0)."""
    step = 1 if n >= 0 else -1
    day, remaining = start, abs(n)
    while remaining:
        day += timedelta(days=step)
        if calendar.is_workday(day):
            remaining -= 1
    return day


def workdays_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days in (start, end] — negative when ``end`` is before ``start``."""
    if end == start:
        return 0
    sign, low, high = (1, start, end) if end > start else (-1, end, start)
    count, day = 0, low
    while day < high:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
    return sign * count


def workdays_in(calendar: WorkingCalendar, start: date, end: date) -> list[date]:
    """Every working day from ``start`` to ``end`` inclusive."""
    days, day = [], start
    while day <= end:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days
