"""A year's official holiday arrangement (放假调休安排) as a value, and the other sources of such years.

Each year the State Council's General Office publishes which days are off (holiday periods, weekends
inside them included) and which weekend days are worked instead (调休上班). A ``HolidayArrangement``
holds one year of that; ``models.holiday_notice`` reads it from the published notice.

Two other sources describe a year: the data ``chinesecalendar`` ships (``package_arrangement``,
official, but only up to the last year of its release) and the holidays fixed by law
(《全国年节及纪念日放假办法》: 元旦, 春节 from 除夕, 清明节, 劳动节, 端午节, 中秋节, 国庆节, a holiday on a weekend
made up on the next working day), which the ``holidays`` package computes for any year
(``statutory_holidays``, tabled in ``models.statutory_days``): a guess, without make-up working days,
for years nobody has published yet.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from typing import Generic, TypeVar

import chinese_calendar
from chinese_calendar.constants import Holiday

from models.errors import InvalidHolidayArrangement, PlanIssue

T = TypeVar("T")

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# chinesecalendar's festivals by the names the notice uses.
PACKAGE_FESTIVAL_NAMES = {
    Holiday.new_years_day.value: "元旦",
    Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节",
    Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节",
    Holiday.national_day.value: "国庆节",
    Holiday.mid_autumn_festival.value: "中秋节",
    Holiday.anti_fascist_70th_day.value: Holiday.anti_fascist_70th_day.chinese,
}

# The holidays fixed by law, as the ``holidays`` package names them (zh_CN), by the names the notice uses.
STATUTORY_NAMES = {
    "元旦": "元旦",
    "农历除夕": "春节",
    "春节": "春节",
    "清明节": "清明节",
    "劳动节": "劳动节",
    "端午节": "端午节",
    "中秋节": "中秋节",
    "国庆节": "国庆节",
}


@dataclass(frozen=True)
class HolidayPeriod:
    """Consecutive days off for one festival, ``first`` to ``last`` inclusive (weekends inside included)."""

    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class MakeupWorkday:
    """A weekend day worked instead of a weekday off (调休上班), with the festival it belongs to."""

    day: date
    festival: str | None = None


@dataclass(frozen=True)
class HolidayArrangement:
    """One year's official arrangement: its holiday periods and make-up working days (a hashable value).

    A period of 元旦 may begin in the previous December, and so may a make-up working day: dates are
    what the notice says, the ``year`` is the notice's.
    """

    year: int
    holidays: tuple[HolidayPeriod, ...]
    workdays: tuple[MakeupWorkday, ...] = ()

    def holiday_days(self) -> dict[date, str]:
        """Every day off of the arrangement and its festival."""
        return {day: period.name for period in self.holidays for day in period.days()}

    def workday_days(self) -> dict[date, str | None]:
        """Every make-up working day and its festival."""
        return {w.day: w.festival for w in self.workdays}

    def is_workday(self, day: date) -> bool:
        """The arrangement's answer: off on its holidays, at work on its make-up days, else Monday–Friday."""
        if day in self.workday_days():
            return True
        return day.weekday() < 5 and day not in self.holiday_days()

    def span(self) -> tuple[date, date]:
        """The first and last day the arrangement decides: its year, and a December before it if named."""
        named = [p.first for p in self.holidays] + [w.day for w in self.workdays]
        return min([date(self.year, 1, 1), *named]), date(self.year, 12, 31)


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A value read from an input, with where it was read (``notice.txt:7``, ``2027.yaml:4``)."""

    where: str
    value: T


def build_arrangement(
    year: int,
    holidays: Sequence[Entry[HolidayPeriod]],
    workdays: Sequence[Entry[MakeupWorkday]],
    *,
    source: str,
    issues: Sequence[PlanIssue] = (),
) -> HolidayArrangement:
    """Check the periods and make-up days of one year together; every problem at once, or the value.

    ``issues`` already found by the reader are reported with these. Raises ``InvalidHolidayArrangement``.
    """
    ordered = sorted(holidays, key=lambda held: held.value.first)
    found = [
        *issues,
        *_period_issues(year, holidays),
        *_workday_issues(year, workdays),
        *_overlap_issues(ordered),
        *_worked_when_off_issues(holidays, workdays),
    ]
    if not holidays and not found:
        found.append(PlanIssue(source, "", f"no holiday of {year} was found"))
    if found:
        raise InvalidHolidayArrangement(found, source)
    return HolidayArrangement(
        year=year,
        holidays=tuple(held.value for held in ordered),
        workdays=tuple(sorted((worked.value for worked in workdays), key=lambda w: w.day)),
    )


def _in_year(day: date, year: int) -> bool:
    """Whether ``day`` may belong to ``year``'s arrangement (元旦 may start, and be made up, in December)."""
    return date(year - 1, 12, 1) <= day <= date(year, 12, 31)


def _period_issues(year: int, holidays: Sequence[Entry[HolidayPeriod]]) -> list[PlanIssue]:
    """Holiday periods that end before they start or reach outside the year."""
    found = []
    for held in holidays:
        period = held.value
        if period.last < period.first:
            found.append(PlanIssue(held.where, period.name, f"ends ({period.last}) before it starts"))
        for day in (period.first, period.last):
            if not _in_year(day, year):
                found.append(PlanIssue(held.where, period.name, f"{day} is not in {year}"))
    return found


def _workday_issues(year: int, workdays: Sequence[Entry[MakeupWorkday]]) -> list[PlanIssue]:
    """Make-up working days outside the year or on a weekday."""
    found = []
    for worked in workdays:
        day = worked.value.day
        if not _in_year(day, year):
            found.append(PlanIssue(worked.where, "workdays", f"{day} is not in {year}"))
        elif day.weekday() < 5:
            weekday = WEEKDAY_NAMES[day.weekday()]
            found.append(
                PlanIssue(
                    worked.where,
                    "workdays",
                    f"{day} is a {weekday}: a make-up working day (调休上班) is a Saturday or Sunday",
                )
            )
    return found


def _overlap_issues(ordered: Sequence[Entry[HolidayPeriod]]) -> list[PlanIssue]:
    """Holiday periods (ordered by their first day) that overlap the one before."""
    return [
        PlanIssue(
            after.where,
            after.value.name,
            f"{after.value.first}…{after.value.last} overlaps {before.value.name} "
            f"{before.value.first}…{before.value.last} ({before.where})",
        )
        for before, after in pairwise(ordered)
        if after.value.first <= before.value.last
    ]


def _worked_when_off_issues(
    holidays: Sequence[Entry[HolidayPeriod]], workdays: Sequence[Entry[MakeupWorkday]]
) -> list[PlanIssue]:
    """Make-up working days inside a holiday period, or listed twice."""
    found = []
    off = {day: held for held in holidays for day in held.value.days()}
    seen: dict[date, str] = {}
    for worked in workdays:
        day = worked.value.day
        if day in off:
            found.append(
                PlanIssue(
                    worked.where,
                    "workdays",
                    f"{day} is worked here but off in {off[day].value.name} ({off[day].where})",
                )
            )
        if day in seen:
            found.append(PlanIssue(worked.where, "workdays", f"{day} is listed twice (also {seen[day]})"))
        seen.setdefault(day, worked.where)
    return found


def arrangement_from_days(
    year: int, holidays: dict[date, str], workdays: dict[date, str | None]
) -> HolidayArrangement:
    """The arrangement whose days these are: consecutive days off of one festival make one period."""
    periods: list[HolidayPeriod] = []
    for day in sorted(holidays):
        name = holidays[day]
        last = periods[-1] if periods else None
        if last is not None and last.name == name and last.last + timedelta(days=1) == day:
            periods[-1] = HolidayPeriod(name, last.first, day)
        else:
            periods.append(HolidayPeriod(name, day, day))
    return HolidayArrangement(
        year=year,
        holidays=tuple(periods),
        workdays=tuple(MakeupWorkday(day, workdays[day]) for day in sorted(workdays)),
    )


# -- chinesecalendar's data ----------------------------------------------------------------------


@cache
def package_years() -> frozenset[int]:
    """The years whose official arrangement ``chinesecalendar`` ships."""
    return frozenset(day.year for day in chinese_calendar.holidays)


def package_version() -> str:
    return str(chinese_calendar.__version__)


@cache
def package_arrangement(year: int) -> HolidayArrangement | None:
    """The State Council's arrangement of ``year`` as ``chinesecalendar`` ships it, or None."""
    if year not in package_years():
        return None
    start, end = date(year - 1, 12, 1), date(year, 12, 31)

    def belongs(day: date, festival: str) -> bool:
        # Days of 元旦 (off or worked) in a December belong to the next year's arrangement.
        new_year = festival == Holiday.new_years_day.value and day.month == 12
        return (day.year + 1 if new_year else day.year) == year

    holidays = {
        day: PACKAGE_FESTIVAL_NAMES.get(name, name)
        for day, name in chinese_calendar.holidays.items()
        if start <= day <= end and belongs(day, name)
    }
    workdays: dict[date, str | None] = {
        day: PACKAGE_FESTIVAL_NAMES.get(name, name)
        for day, name in chinese_calendar.workdays.items()
        if start <= day <= end and belongs(day, name)
    }
    return arrangement_from_days(year, holidays, workdays)


@dataclass(frozen=True)
class DayDifference:
    """A day two arrangements of the same year decide differently: worked in one, off in the other."""

    day: date
    first: (
        str  # what the first arrangement makes of the day: "off (春节)", "at work (调休，春节)", "weekend"…
    )
    second: str

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.day.weekday()]


def describe_day(day: date, arrangement: HolidayArrangement) -> str:
    """What an arrangement makes of a day, in a few words."""
    holidays, workdays = arrangement.holiday_days(), arrangement.workday_days()
    if day in holidays:
        return f"off ({holidays[day]})"
    if day in workdays:
        festival = workdays[day]
        return f"at work (调休{'，' + festival if festival else ''})"
    return "at work" if day.weekday() < 5 else "weekend"


def compare_arrangements(first: HolidayArrangement, second: HolidayArrangement) -> list[DayDifference]:
    """The days of the year (and a December before it either names) worked in one and off in the other.

    Only whether a day is worked counts: a weekend day inside a holiday period is off either way, and
    festivals are worded differently by different sources.
    """
    day = min(first.span()[0], second.span()[0])
    out = []
    while day <= date(max(first.year, second.year), 12, 31):
        if first.is_workday(day) != second.is_workday(day):
            out.append(DayDifference(day, describe_day(day, first), describe_day(day, second)))
        day += timedelta(days=1)
    return out


def compare_with_package(arrangement: HolidayArrangement) -> list[DayDifference] | None:
    """The days ``chinesecalendar`` (first) and the arrangement (second) decide differently.

    None when the package has no data for the year.
    """
    package = package_arrangement(arrangement.year)
    if package is None:
        return None
    return compare_arrangements(package, arrangement)


# -- the holidays fixed by law -------------------------------------------------------------------


@cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The days off fixed by law in ``year`` (with a weekend holiday's 补假), by festival; no make-up days.

    Read from ``models.statutory_days`` (the package's answers, checked by a test) for the years it
    holds, so that a command does not import the ``holidays`` package; computed for the others.
    """
    from models.statutory_days import days_of

    tabled = days_of(year)
    return tabled if tabled is not None else computed_statutory_holidays(year)


def computed_statutory_holidays(year: int) -> dict[date, str]:
    """``statutory_holidays`` as the ``holidays`` package computes it.

    Only the festivals of the law are kept: one-off days off the ``holidays`` package also knows of
    (its copy of past notices' 调休) belong to an official arrangement, not to this guess.
    """
    from holidays import country_holidays

    computed = country_holidays("CN", years=year, language="zh_CN", categories=("public",))
    out: dict[date, str] = {}
    for day in sorted(computed):
        for name in computed.get_list(day):
            base = name.split("（", 1)[0]  # 春节（补假）, 中秋节（推定）
            if base in STATUTORY_NAMES:
                out[day] = STATUTORY_NAMES[base]
                break
    return out
