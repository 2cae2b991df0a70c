"""The weekly trend of a round: how many measures were done, overdue and missing a report at each week's end.

Pure rules over each measure's history (its status changes and its reports with their times), replayed
as of each week's last instant by the rules the overview and the notice use: the status then as
``models.rules.status_as_of`` reads it, 逾期 is ``models.rules.is_overdue``, a missing report is
``models.periods.missing_period`` for each party that owes reports (the measure, or each member of the
collective that owns it). The current week is judged at the clock's now with the stored status, so the
last point is the overview's counts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.clock import Clock
from models.enums import MeasureStatus
from models.periods import missing_period, reported_in
from models.rules import is_finished, is_overdue, status_after_report

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


def statuses_then(history: MeasureHistory, moments: Sequence[datetime]) -> list[MeasureStatus]:
    """The measure's status at each of ``moments`` (ascending), in one pass over its history: as
    ``models.rules.status_as_of`` reads it, each status change sets the status and each report after it
    moves it by ``models.rules.status_after_report`` (a report at the very moment of a change is before it)."""
    if not history.reports and not history.status_changes:
        return [MeasureStatus.PLANNED] * len(moments)
    # (when, a change after a report at the same moment, the report's claims, the change's status)
    events: list[tuple[datetime, int, bool, bool, MeasureStatus | None]] = [
        (r.at, 0, r.claimed_done, r.retracts_done_claim, None) for r in history.reports
    ] + [(at, 1, False, False, changed) for at, changed in history.status_changes]
    events.sort(key=lambda event: (event[0], event[1]))
    status, index, out, count = MeasureStatus.PLANNED, 0, [], len(events)
    for moment in moments:
        while index < count and events[index][0] <= moment:
            _at, _order, claimed_done, retracts, changed = events[index]
            if changed is not None:
                status = changed
            else:
                status = status_after_report(status, claimed_done, retracts_done_claim=retracts)
            index += 1
        out.append(status)
    return out


def _missing(
    history: MeasureHistory, owed: Mapping[tuple[str, date], tuple[datetime, datetime] | None], at: datetime
) -> bool:
    period = owed.get((history.cadence or "", history.since))
    if period is None:
        return False
    for times in history.owed:
        index = bisect_right(times, at)
        if not reported_in(period, times[index - 1] if index else None):
            return True
    return False


def weekly_trend(
    histories: Sequence[MeasureHistory], clock: Clock, start: date, *, past_only: bool = False
) -> tuple[WeekPoint, ...]:
    """Done, overdue and missing at the end of each week from ``start``'s (the feedback date) to now's
    (``past_only``: the weeks before the current one)."""
    if start > clock.today:
        return ()
    clocks = []
    mondays = week_mondays(start, clock.today)
    for monday in mondays[:-1] if past_only else mondays:
        sunday = monday + timedelta(days=6)
        clocks.append((monday, clock if sunday >= clock.today else clock.on(sunday)))
    # The current week reads the stored status; the past weeks replay the history.
    moments = [judged.now for monday, judged in clocks if monday != mondays[-1]]
    past = [statuses_then(h, moments) for h in histories]
    cadences = {(h.cadence, h.since) for h in histories if h.cadence}
    points = []
    for week, (monday, judged) in enumerate(clocks):
        current = week == len(mondays) - 1
        # The period each cadence owes then: one question per cadence, not per measure.
        owed = {
            (cadence, since): missing_period(cadence, since=since, last_report_at=None, clock=judged)
            for cadence, since in cadences
        }
        done = overdue = missing = 0
        day, moment = judged.today, judged.now
        for history, statuses in zip(histories, past, strict=True):
            status = history.status if current else statuses[week]
            done += is_finished(status)
            overdue += is_overdue(status, history.deadline, day)
            missing += _missing(history, owed, moment)
        points.append(WeekPoint(monday, judged.now, done, overdue, missing))
    return tuple(points)
