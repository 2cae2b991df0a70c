"""The clock every date rule reads: the working calendar, the zone, the moment judged and the due-soon days.

One value instead of a calendar, a timezone, a "today" and a number of days handed around apart:
``Settings.clock()`` builds it (the only factory, with the calendar as an argument so that it may come
from elsewhere than the package's official one), tests build it from plain values. ``today`` is always
the local day of ``now``; a whole local day is judged at its last instant (``Clock.on``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models.workdays import WorkingCalendar


@dataclass(frozen=True)
class Clock:
    """Where and when the rules judge: ``now`` (aware) in ``timezone`` on ``calendar``."""

    calendar: WorkingCalendar
    timezone: str
    now: datetime
    due_soon_workdays: int = 5  # a deadline this many working days ahead or fewer is 临近时限

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("a clock's now is aware (tz-aware datetime)")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def today(self) -> date:
        """The local day of ``now``: deadlines, periods and notices count local days."""
        return self.local_day(self.now)

    def local_day(self, moment: datetime) -> date:
        """The calendar day an aware ``moment`` falls on in this clock's zone."""
        return moment.astimezone(self.zone).date()

    def local(self, moment: datetime) -> datetime:
        """An aware ``moment`` as this zone's wall clock shows it (still aware)."""
        return moment.astimezone(self.zone)

    def start_of_day(self, day: date) -> datetime:
        """The first instant of a local day (aware)."""
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def end_of_day(self, day: date) -> datetime:
        """The last instant of a local day (aware): what was submitted by then counts for that day."""
        return datetime.combine(day, time.max, tzinfo=self.zone)

    def at(self, now: datetime) -> Clock:
        """The same clock at another moment."""
        return replace(self, now=now)

    def on(self, day: date) -> Clock:
        """The same clock judging a whole local day: at its last instant."""
        return self.at(self.end_of_day(day))
