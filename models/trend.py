"""The weekly trend of a round: how many measures were done, overdue and missing a report at each week's end.

Pure rules over each measure's history (its status changes and its reports with their times), replayed
as of each week's last instant by the rules the overview and the notice use: the status then is
``models.rules.status_as_of``, 逾期 is ``models.rules.is_overdue``, a missing report is
``models.periods.missing_period`` for each party that owes reports (the measure, or each member of the
collective that owns it). The current week is judged at the clock's now with the stored status, so the
last point is the overview's counts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.clock import Clock
from models.enums import MeasureStatus
from models.periods import missing_period
from models.rules import LaterReport, is_finished, is_overdue, status_as_of

# The series of the trend, in the order drawn, with their Chinese names.
TREND_SERIES = {"done": "已完成", "overdue": "逾期", "missing": "未按期报送"}


@dataclass(frozen=True)
class ReportFact:
    """A report as the trend replays it: when it was submitted and what it claimed."""

    at: datetime  # aware
    claimed_done: bool = False
    retracts_done_claim: bool = False  # it supersedes a report that claimed done


@dataclass(frozen=True)
class MeasureHistory:
    """What the trend needs of one measure: its facts now and its history, each sequence sorted by time.

    ``owed`` holds, per party that owes reports, the submission times of that party's reports: one entry
    (all the measure's reports) for a measure a unit owns; one per member for a collective's measure
    (and the measure's own reports too when the collective is only a co-owner).
    """

    status: MeasureStatus  # stored now
    deadline: date | None
    cadence: str | None
    since: date  # the round's feedback date
    status_changes: tuple[tuple[datetime, MeasureStatus], ...] = ()
    reports: tuple[ReportFact, ...] = ()
    owed: tuple[tuple[datetime, ...], ...] = ()


@dataclass(frozen=True)
class WeekPoint:
    """One week of the trend: its Monday, the moment judged, and the counts then."""

    monday: date
    judged_at: datetime
    done: int
    overdue: int
    missing: int

    @property
    def label(self) -> str:
        """The week as the chart's axis writes it: its Monday, ``11/24``."""
        return f"{self.monday.month}/{self.monday.day}"

    def count(self, series: str) -> int:
        """The count of one of ``TREND_SERIES``."""
        return int(getattr(self, series))


def week_mondays(start: date, today: date) -> list[date]:
    """The Mondays of the weeks from the one holding ``start`` to the one holding ``today``."""
    first = start - timedelta(days=start.weekday())
    last = today - timedelta(days=today.weekday())
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def status_then(history: MeasureHistory, moment: datetime) -> MeasureStatus:
    """The measure's status at ``moment``: its last status change by then, moved by the reports after it."""
    times = [at for at, _ in history.status_changes]
    index = bisect_right(times, moment)
    last = history.status_changes[index - 1] if index else None
    later = [
        LaterReport(r.claimed_done, r.retracts_done_claim)
        for r in history.reports
        if r.at <= moment and (last is None or r.at > last[0])
    ]
    return status_as_of(last[1].value if last else None, later)


def _missing_then(history: MeasureHistory, clock: Clock) -> bool:
    for times in history.owed:
        index = bisect_right(times, clock.now)
        last = times[index - 1] if index else None
        if missing_period(history.cadence, since=history.since, last_report_at=last, clock=clock):
            return True
    return False


def weekly_trend(histories: Sequence[MeasureHistory], clock: Clock, start: date) -> tuple[WeekPoint, ...]:
    """Done, overdue and missing at the end of each week from ``start``'s (the feedback date) to now's."""
    if start > clock.today:
        return ()
    points = []
    for monday in week_mondays(start, clock.today):
        sunday = monday + timedelta(days=6)
        current = sunday >= clock.today
        judged = clock if current else clock.on(sunday)
        done = overdue = missing = 0
        for history in histories:
            status = history.status if current else status_then(history, judged.now)
            done += is_finished(status)
            overdue += is_overdue(status, history.deadline, judged.today)
            missing += _missing_then(history, judged)
        points.append(WeekPoint(monday, judged.now, done, overdue, missing))
    return tuple(points)
