"""Report periods of a cadence: the period that has closed at a moment, and the one that lacks its report."""

from __future__ import annotations

from datetime import date, datetime

from models.cadence import cadence_schedule
from models.clock import Clock
from models.schedules import ScheduleSpec


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
    spec = cadence_schedule(cadence, clock.calendar, since)
    period = due_period(spec, clock.local(clock.now).replace(tzinfo=None), since)
    if period is None:
        return None
    start, end = (moment.replace(tzinfo=clock.zone) for moment in period)
    if last_report_at is not None and last_report_at >= start:
        return None
    return start, end
