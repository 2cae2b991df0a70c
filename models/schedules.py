"""Schedules as Prefect carries them: a cron expression, or an RRule set corrected to the working-day calendar.

Working days. A schedule that follows the official calendar carries it inside itself: the RRule set
is a plain weekday rule (the calendar-naive approximation) plus ``EXDATE`` for the occurrences the
calendar removes (holidays) and ``RDATE`` for the ones it adds (调休 make-up workdays, a month whose
first working day is a Saturday).

Horizon. The exceptions cover DTSTART to the last day of the last year with official data, imported
years included, and with the ``statutory`` fallback one year more (``ChinaCalendar.horizon_year``:
the holidays fixed by law, provisional); beyond it the plain weekday rule continues.
``zhenggai sync`` recomputes the set every time, so after upgrading ``chinesecalendar`` (a new year
is published each November or so) the next sync extends the horizon and updates the schedules in
place. The RRule text is capped below Prefect's limit (6,500 characters); when a long-running round
would exceed it, the oldest exceptions are dropped first (they lie in the past).

Pure: no Prefect, no I/O. All datetimes here are naive wall-clock times in the schedule's timezone
(that is how Prefect reads DTSTART/EXDATE/RDATE: it labels them with the schedule's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

from dateutil.rrule import rrule, rruleset, rrulestr

from models.workdays import WorkingCalendar

# Prefect refuses RRule strings longer than 6,500 characters; keep a margin.
MAX_RRULE_TEXT = 6000
WORKWEEK = "MO,TU,WE,TH,FR"


@lru_cache(maxsize=1024)
def _parsed_rule(text: str) -> rrule | rruleset:
    # dateutil rules are not changed by querying them, so one parse serves every measure sharing the text.
    return rrulestr(text, forceset=True)


@dataclass(frozen=True)
class ScheduleSpec:
    """What a Prefect schedule carries: a cron expression or an RRule (set) text with DTSTART."""

    kind: Literal["cron", "rrule"]
    value: str
    # The window over which working-day exceptions (EXDATE/RDATE) were generated, if any.
    exceptions_from: date | None = None
    exceptions_until: date | None = None

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """Wall-clock occurrences in [start, end] (naive, in the schedule's timezone)."""
        if self.kind == "cron":
            from cronsim import CronSim

            out: list[datetime] = []
            for moment in CronSim(self.value, start - timedelta(seconds=1)):
                if moment > end:
                    break
                if moment >= start:
                    out.append(moment)
            return out
        return list(self._rule().between(start, end, inc=True))

    def previous(self, moment: datetime, *, inclusive: bool = True) -> datetime | None:
        """The latest occurrence at or before ``moment`` (strictly before when not inclusive)."""
        if self.kind == "cron":
            from cronsim import CronSim

            probe = moment + timedelta(seconds=1) if inclusive else moment
            try:
                found: datetime = next(CronSim(self.value, probe, reverse=True))
            except StopIteration:  # pragma: no cover - cron always has a previous time
                return None
            return found
        found_rule: datetime | None = self._rule().before(moment, inc=inclusive)
        return found_rule

    def next(self, moment: datetime, count: int = 3) -> list[datetime]:
        """The next ``count`` occurrences strictly after ``moment``."""
        out: list[datetime] = []
        if self.kind == "cron":
            from cronsim import CronSim

            for found in CronSim(self.value, moment):
                out.append(found)
                if len(out) == count:
                    break
            return out
        rule = self._rule()
        current = moment
        while len(out) < count:
            found_rule = rule.after(current, inc=False)
            if found_rule is None:
                break
            out.append(found_rule)
            current = found_rule
        return out

    def _rule(self) -> rrule | rruleset:
        return _parsed_rule(self.value)


def rrule_with_exceptions(
    head: str, true_days: list[date], at: time, start: date, end: date, *, extra: list[date] | None = None
) -> ScheduleSpec:
    """``head`` (DTSTART + RRULE) corrected to fall on ``true_days`` (plus ``extra``) in [start, end].

    EXDATE removes what the plain rule has and the calendar does not; RDATE adds the reverse.
    ``extra`` days are always added (deadline reminders before a rule's DTSTART). When the text would
    exceed ``MAX_RRULE_TEXT``, the window start moves forward (oldest exceptions dropped first).
    """
    base = rrulestr(head, forceset=True)
    planned = {
        d.date() for d in base.between(datetime.combine(start, time.min), datetime.combine(end, time.max))
    }
    wanted = set(true_days)
    extra_days = sorted(set(extra or []) - planned)
    exdates = sorted(planned - wanted)
    rdates = sorted((wanted - planned) | set(extra_days))
    window_start = start
    while True:
        text = head
        if rdates:
            text += "\nRDATE:" + ",".join(stamp(datetime.combine(d, at)) for d in rdates)
        if exdates:
            text += "\nEXDATE:" + ",".join(stamp(datetime.combine(d, at)) for d in exdates)
        if len(text) <= MAX_RRULE_TEXT:
            return ScheduleSpec("rrule", text, window_start, end)
        # Drop the oldest exception (from whichever list starts earlier) and move the window past it.
        if exdates and (not rdates or exdates[0] <= rdates[0]):
            window_start = exdates.pop(0) + timedelta(days=1)
        else:
            window_start = rdates.pop(0) + timedelta(days=1)


def stamp(moment: datetime) -> str:
    """A wall-clock moment as RRULE text writes it: ``20231019T090000``."""
    return moment.strftime("%Y%m%dT%H%M%S")


def anchor_for(feedback_date: date) -> date:
    """DTSTART of a round's schedules: 1 January of its feedback year (stable, covers every period)."""
    return date(feedback_date.year, 1, 1)


def horizon_end(calendar: WorkingCalendar, anchor: date) -> date:
    """Last day of the working-day exceptions: the end of the calendar's horizon year (its last published
    year, imported years included, and with the statutory fallback the year after:
    ``ChinaCalendar.horizon_year``).

    A calendar without published data (``WeekdayCalendar``) gets three years after the anchor's year.
    """
    last_year = getattr(calendar, "horizon_year", None)
    if callable(last_year):
        return date(int(last_year()), 12, 31)
    return date(anchor.year + 3, 12, 31)


def exceptions_start(today: date | None) -> date | None:
    """Where registered phrase schedules start (DTSTART and exceptions): the 1st of ``today``'s month.

    Past occurrences and exceptions change no future run but cost the Prefect server work on every
    request that validates the schedule (it parses every EXDATE/RDATE date three to four times per
    create or update) or computes runs (it walks occurrences from DTSTART), so sync registers schedules
    that start this month: half the text of a start on 1 January for the city's working-day sets, and
    about a tenth less server CPU per create (docs/benchmarks.md). The start moves once a month: the
    first sync of a month updates them once (the same future runs, a later start).
    """
    return date(today.year, today.month, 1) if today is not None else None
