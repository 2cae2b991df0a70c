"""China's official working-day calendar: holidays and make-up workdays (调休) included.

One value answers for every year, in layers:

1. **imported**: the State Council's arrangement of a year as the bureau imported it
   (``zhenggai calendar import``, stored in the ledger, passed in as ``HolidayArrangement`` values);
2. **package**: the arrangements ``chinesecalendar`` ships (2004 up to the last year of its release);
3. **fallback** for a year neither has (``ZHENGGAI_CALENDAR_FALLBACK``): ``statutory`` (default: the
   holidays fixed by law, as the ``holidays`` package computes them, and weekends), ``weekends``
   (Monday–Friday) or ``error`` (``CalendarNotPublished``). Days answered by a fallback are
   *provisional*: every place that shows a date computed on them says so.

Library choice: ``chinesecalendar`` for the official data rather than ``holidays``: both match the
State Council for 2023–2026 day by day, but ``holidays`` silently answers unpublished years with
rules and no make-up days, whereas here that guess is a named, provisional layer.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Literal, NamedTuple, Protocol, cast

from models.errors import CalendarNotPublished
from models.holiday_arrangement import (
    HolidayArrangement,
    package_arrangement,
    package_version,
    package_years,
    statutory_holidays,
)

log = logging.getLogger(__name__)

Fallback = Literal["statutory", "weekends", "error"]
FALLBACKS: tuple[Fallback, ...] = ("statutory", "weekends", "error")


class WorkingCalendar(Protocol):
    """What the domain rules need to know about working days."""

    def is_workday(self, day: date) -> bool: ...


class CalendarSource(enum.StrEnum):
    """Where a year's working days come from."""

    IMPORTED = "imported"  # the State Council's notice, imported by the bureau
    PACKAGE = "package"  # chinesecalendar's data
    STATUTORY = "statutory"  # provisional: the holidays fixed by law, and weekends
    WEEKENDS = "weekends"  # provisional: Monday–Friday
    MISSING = "missing"  # no data and ZHENGGAI_CALENDAR_FALLBACK=error

    @property
    def official(self) -> bool:
        return self in (CalendarSource.IMPORTED, CalendarSource.PACKAGE)


class DayKind(enum.StrEnum):
    """What a day is in the calendar."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a day of a holiday period (weekends inside it included)
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班


@dataclass(frozen=True)
class CalendarDay:
    """One day as the calendar sees it: its kind, festival and whether the answer is official."""

    day: date
    kind: DayKind
    festival: str | None
    source: CalendarSource

    @property
    def workday(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)

    @property
    def provisional(self) -> bool:
        return not self.source.official


class _Listed(NamedTuple):
    """A day an arrangement names: off or worked, for which festival, in which year's arrangement."""

    workday: bool
    festival: str | None
    year: int


def _listed_days(arrangement: HolidayArrangement) -> dict[date, _Listed]:
    days = {d: _Listed(False, name, arrangement.year) for d, name in arrangement.holiday_days().items()}
    days.update({d: _Listed(True, name, arrangement.year) for d, name in arrangement.workday_days().items()})
    return days


@cache
def _package_days() -> dict[date, _Listed]:
    """Every day chinesecalendar lists (static: built once per process)."""
    days: dict[date, _Listed] = {}
    for year in sorted(package_years()):
        arrangement = package_arrangement(year)
        assert arrangement is not None
        days.update(_listed_days(arrangement))
    return days


@dataclass(frozen=True)
class ChinaCalendar:
    """The official calendar: imported years over chinesecalendar's, then the fallback (see module doc).

    A value: two calendars with the same fallback and imported years are equal and hash alike, so
    schedules computed on one serve the other (see ``models.cadence.cadence_schedule``).
    """

    fallback: Fallback = "statutory"
    imported: tuple[HolidayArrangement, ...] = ()
    # Derived from ``imported`` (not part of the value).
    _imported_days: dict[date, _Listed] = field(default_factory=dict, init=False, compare=False, repr=False)
    _imported_years: frozenset[int] = field(default=frozenset(), init=False, compare=False, repr=False)
    _hash: int = field(default=0, init=False, compare=False, repr=False)
    # Years already warned about; not part of the value (equality, hashing).
    _warned_years: set[int] = field(default_factory=set, compare=False, repr=False)
    # Answers already given: a round's overview asks about the same few hundred days thousands of times.
    _workdays: dict[date, bool] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.fallback not in FALLBACKS:
            raise ValueError(f"calendar fallback '{self.fallback}' is not one of {', '.join(FALLBACKS)}")
        ordered = tuple(sorted(self.imported, key=lambda a: a.year))
        years = [a.year for a in ordered]
        if len(set(years)) != len(years):
            raise ValueError(f"one arrangement per year: {years}")
        days: dict[date, _Listed] = {}
        for arrangement in ordered:
            for day, listed in _listed_days(arrangement).items():
                # A day two arrangements name (a December day of 元旦): its own year's arrangement wins.
                if day not in days or listed.year == day.year:
                    days[day] = listed
        object.__setattr__(self, "imported", ordered)
        object.__setattr__(self, "_imported_days", days)
        object.__setattr__(self, "_imported_years", frozenset(years))
        object.__setattr__(self, "_hash", hash((self.fallback, ordered)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[ChinaCalendar], tuple[Fallback, tuple[HolidayArrangement, ...]]]:
        # Rebuilt from the value alone: the cached hash of strings differs from process to process.
        return (type(self), (self.fallback, self.imported))

    # -- the questions the rules ask --------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            official = self._official(day)
            known = official.workday if official is not None else self._fallback_day(day).workday
            self._workdays[day] = known
        return known

    def is_provisional(self, day: date) -> bool:
        """Whether the answer for ``day`` is the fallback's guess rather than official data."""
        return self._official(day) is None

    def provisional_from(self, start: date, end: date) -> date | None:
        """The first day from ``start`` to ``end`` whose answer is provisional (per year), or None."""
        for year in range(start.year, end.year + 1):
            if not self.source(year).official:
                return max(start, date(year, 1, 1))
        return None

    def last_published_year(self) -> int:
        """The last year with official data, imported or packaged: schedules carry exceptions up to it."""
        return max(package_years() | self._imported_years)

    def horizon_year(self) -> int:
        """The last year schedules carry working-day exceptions for: the last official year, and with the
        ``statutory`` fallback the year after it too (its holidays fixed by law, provisional, so that a
        run is not registered on 元旦 or 春节 of a year not yet published; 调休 days come with the import)."""
        return self.last_published_year() + (1 if self.fallback == "statutory" else 0)

    def source(self, year: int) -> CalendarSource:
        """Where the working days of ``year`` come from."""
        if year in self._imported_years:
            return CalendarSource.IMPORTED
        if year in package_years():
            return CalendarSource.PACKAGE
        return {
            "statutory": CalendarSource.STATUTORY,
            "weekends": CalendarSource.WEEKENDS,
            "error": CalendarSource.MISSING,
        }[self.fallback]

    def imported_years(self) -> frozenset[int]:
        return self._imported_years

    def day(self, day: date) -> CalendarDay:
        """``day`` in full: kind, festival, source (the fallback's guess when there is no official data)."""
        official = self._official(day)
        if official is None:
            return self._fallback_day(day)
        listed, source = official.listed, official.source
        if listed is not None:
            kind = DayKind.MAKEUP_WORKDAY if listed.workday else DayKind.HOLIDAY
            return CalendarDay(day, kind, listed.festival, source)
        kind = DayKind.WORKDAY if day.weekday() < 5 else DayKind.WEEKEND
        return CalendarDay(day, kind, None, source)

    # -- layers --------------------------------------------------------------------------------------

    def _official(self, day: date) -> _Official | None:
        listed = self._imported_days.get(day)
        if listed is not None:
            return _Official(listed.workday, listed, CalendarSource.IMPORTED)
        listed = _package_days().get(day)
        # A day chinesecalendar lists for a year the bureau imported is that import's to decide.
        if listed is not None and listed.year not in self._imported_years:
            return _Official(listed.workday, listed, CalendarSource.PACKAGE)
        if day.year in self._imported_years:
            return _Official(day.weekday() < 5, None, CalendarSource.IMPORTED)
        if day.year in package_years():
            return _Official(day.weekday() < 5, None, CalendarSource.PACKAGE)
        return None

    def _fallback_day(self, day: date) -> CalendarDay:
        source = self.source(day.year)
        if source is CalendarSource.MISSING:
            raise CalendarNotPublished(
                f"the official working days of {day.year} are not published: chinesecalendar "
                f"{package_version()} covers up to {max(package_years())}"
                + (
                    f" and the imported years are {', '.join(map(str, sorted(self._imported_years)))}"
                    if self._imported_years
                    else " and no arrangement was imported"
                )
                + f"; import the State Council's notice for {day.year} (zhenggai calendar import FILE), "
                "or set ZHENGGAI_CALENDAR_FALLBACK=statutory (holidays fixed by law, provisional) or weekends"
            )
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            log.warning(
                "working days of %s are not published: %s (calendar_fallback=%s, provisional)",
                day.year,
                "holidays fixed by law and weekends"
                if source is CalendarSource.STATUTORY
                else "Monday–Friday",
                self.fallback,
            )
        festival = statutory_holidays(day.year).get(day) if source is CalendarSource.STATUTORY else None
        if festival is not None:
            return CalendarDay(day, DayKind.HOLIDAY, festival, source)
        return CalendarDay(day, DayKind.WORKDAY if day.weekday() < 5 else DayKind.WEEKEND, None, source)


class _Official(NamedTuple):
    workday: bool
    listed: _Listed | None
    source: CalendarSource


@dataclass(frozen=True)
class WeekdayCalendar:
    """Monday to Friday, no holidays: for tests and for places without an official calendar."""

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def counted_provisionally(calendar: WorkingCalendar, start: date, end: date) -> bool:
    """Whether working days from ``start`` to ``end`` (either order) are counted on a fallback's guess:
    a date computed over them (a deadline's 工作日 left, its reminders) is shown as provisional (暂定)."""
    provisional_from = getattr(calendar, "provisional_from", None)
    if provisional_from is None:
        return False
    low, high = min(start, end), max(start, end)
    return provisional_from(low, high) is not None


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
    """Working days in (start, end] — negative when ``end`` is before ``start``.

    Remembered per (calendar, start, end) when the calendar is a value: a unit's overview asks the same
    (today, deadline) question for many measures."""
    if end == start:
        return 0
    try:
        return _cached_workdays_between(cast("Hashable", calendar), start, end)
    except TypeError:  # a calendar that is not a value (a test double): count each time
        return _workdays_between(calendar, start, end)


def _workdays_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    sign, low, high = (1, start, end) if end > start else (-1, end, start)
    count, day = 0, low
    while day < high:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
    return sign * count


_cached_workdays_between = lru_cache(maxsize=8192)(_workdays_between)


def workdays_in(calendar: WorkingCalendar, start: date, end: date) -> list[date]:
    """Every working day from ``start`` to ``end`` inclusive."""
    days, day = [], start
    while day <= end:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


# -- the year boundary ---------------------------------------------------------------------------

WARN_FROM_MONTH = 11  # the State Council publishes next year's arrangement in November or December


@dataclass(frozen=True)
class CalendarWarning:
    """A year's official working days are missing: what the coordinator is told, once a week."""

    year: int
    week: str  # ISO week of ``today`` (2026-W45): one message per week
    title: str
    body: str
    command: str  # how to add the data

    @property
    def key(self) -> str:
        """The delivery key that makes the message once a week."""
        return f"calendar-missing|{self.year}|{self.week}"


def missing_calendar_warning(today: date, calendar: ChinaCalendar) -> CalendarWarning | None:
    """From 1 November, a warning when next year has no official data; all year when this year has none."""
    years = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
    year = next((y for y in years if not calendar.source(y).official), None)
    if year is None:
        return None
    iso = today.isocalendar()
    command = f"zhenggai calendar import {year}.txt"
    meanwhile = {
        CalendarSource.STATUTORY: (
            f"在导入之前，{year}年的工作日按法定节假日（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）"
            "和周末推算，调休上班日无法推算，据此算出的日期均标为“暂定”。"
        ),
        CalendarSource.WEEKENDS: f"在导入之前，{year}年的工作日按周一至周五推算（不含任何节假日），据此算出的日期均标为“暂定”。",
        CalendarSource.MISSING: f"在导入之前，涉及{year}年的完成时限、催办和周期检查都无法计算（ZHENGGAI_CALENDAR_FALLBACK=error）。",
    }[calendar.source(year)]
    body = (
        f"{year}年的节假日和调休安排尚无官方数据：chinesecalendar {package_version()} 只到"
        f"{max(package_years())}年，也未导入{year}年的安排。{meanwhile}"
        f"国务院办公厅通常在每年11月至12月印发《国务院办公厅关于{year}年部分节假日安排的通知》。"
        f"印发后，请将通知全文保存为文本文件（如 {year}.txt），先运行 {command} --dry-run 核对，"
        f"再运行 {command} 导入；也可以升级 chinesecalendar。"
    )
    return CalendarWarning(
        year=year,
        week=f"{iso.year}-W{iso.week:02d}",
        title=f"{year}年节假日安排尚未导入",
        body=body,
        command=command,
    )
