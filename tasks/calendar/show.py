"""The calendar as text for the terminal: an arrangement item by item, a year month by month.

Rendering returns lines; the command prints them.
"""

from __future__ import annotations

import calendar as monthgrid
from datetime import date, timedelta

from models.holiday_arrangement import WEEKDAY_NAMES, DayDifference, HolidayArrangement
from models.workdays import CalendarSource, ChinaCalendar, DayKind

SOURCE_LABEL = {
    CalendarSource.IMPORTED: "official (imported notice)",
    CalendarSource.PACKAGE: "official (chinesecalendar)",
    CalendarSource.STATUTORY: "provisional: holidays fixed by law and weekends, no 调休 days",
    CalendarSource.WEEKENDS: "provisional: Monday–Friday, no holidays",
    CalendarSource.MISSING: "missing: dates in this year cannot be computed (ZHENGGAI_CALENDAR_FALLBACK=error)",
}
MARK = {DayKind.HOLIDAY: "休", DayKind.MAKEUP_WORKDAY: "班"}


def cn_date(day: date) -> str:
    """2027年2月5日（周五）"""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAY_NAMES[day.weekday()]}）"


def describe_arrangement(arrangement: HolidayArrangement) -> list[str]:
    """One line per holiday period and make-up working day, in date order."""
    lines = []
    for period in arrangement.holidays:
        span = (
            cn_date(period.first)
            if period.length == 1
            else f"{cn_date(period.first)}至{cn_date(period.last)}"
        )
        lines.append(f"  休 {period.name}：{span}，{period.length}日")
    for worked in arrangement.workdays:
        festival = f"（{worked.festival}）" if worked.festival else ""
        lines.append(f"  班 {cn_date(worked.day)}调休上班{festival}")
    return lines


def describe_differences(differences: list[DayDifference], first: str, second: str) -> list[str]:
    """``2026-02-14 (周六): chinesecalendar at work (调休，春节), imported weekend``."""
    return [f"  {d.day} ({d.weekday}): {first} {d.first}, {second} {d.second}" for d in differences]


def render_year(calendar: ChinaCalendar, year: int) -> list[str]:
    """The year month by month: 休 a day off, 班 a 调休 working day, ? a provisional answer."""
    source = calendar.source(year)
    lines = [f"{year}年 — {SOURCE_LABEL[source]}"]
    lines.append("休 = 放假, 班 = 调休上班" + (", ? = provisional (暂定)" if not source.official else ""))
    header = " ".join(f"   {name[1]}" for name in WEEKDAY_NAMES)
    for month in range(1, 13):
        lines += ["", f"{year}年{month}月", header]
        for week in monthgrid.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(" " * 5)
                    continue
                info = calendar.day(day)
                mark = MARK.get(info.kind, "")
                if mark and info.provisional:
                    mark += "?"
                cells.append(f"{day.day:>2}{mark:<{3 - len(mark)}}")
            lines.append(" ".join(cells).rstrip())
        lines += _month_notes(calendar, year, month)
    return lines


def _month_notes(calendar: ChinaCalendar, year: int, month: int) -> list[str]:
    """The month's holidays by festival, and its 调休 working days."""
    notes: list[str] = []
    day = date(year, month, 1)
    run: list[date] = []
    festival: str | None = None
    while day.month == month:
        info = calendar.day(day)
        if info.kind is DayKind.HOLIDAY and info.festival == festival and run:
            run.append(day)
        else:
            if run:
                notes.append(_holiday_note(festival, run, calendar))
            run, festival = ([day], info.festival) if info.kind is DayKind.HOLIDAY else ([], None)
        if info.kind is DayKind.MAKEUP_WORKDAY:
            name = f"（{info.festival}）" if info.festival else ""
            notes.append(f"  班 {month}月{day.day}日（{WEEKDAY_NAMES[day.weekday()]}）调休上班{name}")
        day += timedelta(days=1)
    if run:
        notes.append(_holiday_note(festival, run, calendar))
    return notes


def _holiday_note(festival: str | None, run: list[date], calendar: ChinaCalendar) -> str:
    first, last = run[0], run[-1]
    span = f"{first.month}月{first.day}日" + (f"至{last.day}日" if last != first else "")
    provisional = "（暂定）" if calendar.is_provisional(first) else ""
    return f"  休 {festival or '节假日'}：{span}{provisional}"
