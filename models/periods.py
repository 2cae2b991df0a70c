"""Report periods of a cadence: the period that has closed at a moment, the one that lacks its report, and
how each period that fell due in a stretch of time was answered (on time, late, missing).
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from models.cadence import cadence_schedule
from models.clock import Clock
from models.schedules import ScheduleSpec

if TYPE_CHECKING:
    from models.workdays import WorkingCalendar


def due_period(spec: ScheduleSpec, at: datetime, since: date) -> tuple[datetime, datetime] | None:
    """The cadence period that has closed by ``at``: (previous occurrence, latest occurrence ≤ at).

    A report is due for it. None while no whole period has passed since ``since`` (the feedback date).
    Naive wall-clock times in the schedule's timezone.
    """
    latest = spec.previous(at, inclusive=True)
    if latest is None:
        return None
    start = spec.previous(latest, inclusive=False)
    if start is None or start.date() < since:
        return None
    return start, latest


def missing_period(
    cadence: str | None, *, since: date, last_report_at: datetime | None, clock: Clock
) -> tuple[datetime, datetime] | None:
    """The cadence period that had closed by the clock's now and has no report: (start, end), aware local.

    The rule ("missing report for the current cadence period"): at each occurrence of the cadence the
    period since the previous occurrence must have a report, submitted at or after that previous
    occurrence (a late report still counts once it arrives). Periods starting before the round's
    feedback date (``since``) ask for nothing. ``last_report_at`` is aware.
    """
    if not cadence:
        return None
    at = clock.local(clock.now).replace(tzinfo=None)
    try:
        period = _cached_due_period(cadence, cast("Hashable", clock.calendar), since, at)
    except TypeError:  # a calendar that is not a value (a test double)
        period = due_period(cadence_schedule(cadence, clock.calendar, since, until=year_end(at)), at, since)
    if period is None:
        return None
    start, end = (moment.replace(tzinfo=clock.zone) for moment in period)
    return None if reported_in((start, end), last_report_at) else (start, end)


def reported_in(period: tuple[datetime, datetime], last_report_at: datetime | None) -> bool:
    """Whether a period owed a report has it: the latest report came at or after the period's start."""
    return last_report_at is not None and last_report_at >= period[0]


def missed_periods(
    cadence: str | None, *, since: date | None, last_report_at: datetime | None, clock: Clock
) -> tuple[int, datetime] | None:
    """The consecutive closed periods without a report up to the clock's now, and the start of the first:
    (count, start), or None when the latest closed period has its report (``missing_period``'s rule).

    A period is missing when no report came at or after its start; the run of missing periods is every
    closed period that started after the last report (or since the feedback date when there is none).
    """
    if since is None:  # a measure read without its round (plain values): no run to count
        return None
    missing = missing_period(cadence, since=since, last_report_at=last_report_at, clock=clock)
    if missing is None or not cadence:
        return None
    begin = (
        last_report_at if last_report_at is not None else datetime.combine(since, time(0), tzinfo=clock.zone)
    )
    run = [
        period
        for period in cadence_periods(
            cadence, since=since, start=begin, end=clock.now + timedelta(microseconds=1), clock=clock
        )
        if last_report_at is None or period.start > last_report_at
    ]
    return (len(run), run[0].start) if run else (1, missing[0])


def year_end(moment: datetime, *, years_after: int = 0) -> date:
    """31 December of ``moment``'s year (or of a later one): how far a question about ``moment`` needs the
    working days (the previous occurrence before it never lies later)."""
    return date(moment.year + years_after, 12, 31)


@lru_cache(maxsize=1024)
def _cached_due_period(
    cadence: str, calendar: Hashable, since: date, at: datetime
) -> tuple[datetime, datetime] | None:
    """``due_period`` of a cadence at a moment: measures sharing a cadence and round ask it once."""
    spec = cadence_schedule(cadence, cast("WorkingCalendar", calendar), since, until=year_end(at))
    return due_period(spec, at, since)


class ReportOutcome(enum.StrEnum):
    """How a cadence period was answered."""

    ON_TIME = "on_time"  # a report submitted within the period
    LATE = "late"  # none within it; one arrived while it was the period due (before the next fell due)
    MISSING = "missing"  # none by the time the next period fell due (or by the moment judged)


@dataclass(frozen=True)
class CadencePeriod:
    """A cadence period: from one occurrence (``start``) to the next (``due``); aware moments.

    ``next_due`` is the occurrence after ``due``: until then this period is the one ``missing_period``
    judges, so a report arriving before it still answers it (late).
    """

    start: datetime
    due: datetime
    next_due: datetime | None


def cadence_periods(
    cadence: str, *, since: date, start: datetime, end: datetime, clock: Clock
) -> tuple[CadencePeriod, ...]:
    """The cadence periods falling due in [start, end) (aware), cut as ``due_period`` cuts them: periods
    starting before the feedback date (``since``) ask for nothing. The clock gives calendar and zone."""
    zone = clock.zone
    # The period falling due last may end early next year: its next occurrence is asked for too.
    spec = cadence_schedule(cadence, clock.calendar, since, until=year_end(end, years_after=1))
    local = (start.astimezone(zone).replace(tzinfo=None), end.astimezone(zone).replace(tzinfo=None))
    try:
        periods = _cached_periods(spec, since, *local)
    except TypeError:  # pragma: no cover - a schedule that is not a value: nothing to share
        periods = _periods(spec, since, *local)
    return tuple(
        CadencePeriod(
            s.replace(tzinfo=zone), d.replace(tzinfo=zone), n.replace(tzinfo=zone) if n is not None else None
        )
        for s, d, n in periods
    )


def _periods(
    spec: ScheduleSpec, since: date, start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime, datetime | None], ...]:
    dues = [moment for moment in spec.occurrences(start, end) if moment < end]
    if not dues:
        return ()
    previous = spec.previous(dues[0], inclusive=False)
    following = spec.next(dues[-1], 1)
    chain = [previous, *dues, following[0] if following else None]
    out = []
    for index, due in enumerate(dues, start=1):
        begin = chain[index - 1]
        if begin is None or begin.date() < since:
            continue
        out.append((begin, due, chain[index + 1]))
    return tuple(out)


# A city round shares a handful of cadence texts: the periods of a week or month are cut once per text.
_cached_periods = lru_cache(maxsize=4096)(_periods)


def report_outcome(
    period: CadencePeriod, report_times: Sequence[datetime], as_of: datetime
) -> tuple[ReportOutcome, datetime | None]:
    """How ``period`` was answered as of ``as_of``, and by which report (its submission moment).

    The rule of ``missing_period``: the period's report is the first one submitted at or after its
    start; on time when that is by ``due``; late when it came after ``due`` but while the period was
    still the one due (before ``next_due``); missing otherwise. Reports after ``as_of`` are not seen
    yet. ``report_times`` are aware and sorted.
    """
    index = bisect_left(report_times, period.start)
    first = report_times[index] if index < len(report_times) else None
    if first is not None and first > as_of:
        first = None
    if first is None:
        return ReportOutcome.MISSING, None
    if first <= period.due:
        return ReportOutcome.ON_TIME, first
    if period.next_due is None or first < period.next_due:
        return ReportOutcome.LATE, first
    return ReportOutcome.MISSING, None
