"""Report periods of a cadence: the period that has closed at a moment, and whether it lacks its report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from models.cadence import cadence_schedule
from models.schedules import ScheduleSpec
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
    cadence: str | None,
    *,
    since: date,
    last_report_at: datetime | None,
    as_of: datetime,
    calendar: WorkingCalendar,
    timezone: str,
) -> tuple[datetime, datetime] | None:
    """The cadence period that had closed by ``as_of`` and has no report: (start, end), aware in ``timezone``.

    The rule ("missing report for the current cadence period"): at each occurrence of the cadence the
    period since the previous occurrence must have a report, submitted at or after that previous
    occurrence (a late report still counts once it arrives). Periods starting before the round's
    feedback date (``since``) ask for nothing. ``as_of`` and ``last_report_at`` are aware datetimes.
    """
    if not cadence:
        return None
    zone = ZoneInfo(timezone)
    spec = cadence_schedule(cadence, calendar, since)
    period = due_period(spec, as_of.astimezone(zone).replace(tzinfo=None), since)
    if period is None:
        return None
    start, end = (moment.replace(tzinfo=zone) for moment in period)
    if last_report_at is not None and last_report_at >= start:
        return None
    return start, end


def report_missing(
    cadence: str | None,
    *,
    since: date,
    last_report_at: datetime | None,
    as_of: datetime,
    calendar: WorkingCalendar,
    timezone: str,
) -> bool:
    """Whether the cadence period that closed by ``as_of`` has no report (``missing_period`` is not None)."""
    period = missing_period(
        cadence, since=since, last_report_at=last_report_at, as_of=as_of, calendar=calendar, timezone=timezone
    )
    return period is not None


def report_missing_rule(calendar: WorkingCalendar, timezone: str) -> Callable[[Any, Any, date], bool]:
    """``report_missing`` as the status overview calls it: (measure, latest report, day) → bool.

    The day is judged at its end (23:59:59 local), with the round's feedback date as ``since``.
    """

    def rule(measure: Any, report: Any, day: date) -> bool:
        cadence = getattr(measure, "cadence", None)
        if not cadence:
            return False
        return report_missing(
            cadence,
            since=measure.problem.round.feedback_date,
            last_report_at=report.submitted_at if report is not None else None,
            as_of=datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(timezone)),
            calendar=calendar,
            timezone=timezone,
        )

    return rule
