"""A memo of the desk's heavy reads (the overview of a round, its weekly trend, the charts drawn from them),
so that the pages and charts asked for one after another are not each computed anew.

An entry is kept under the ledger's write stamp and the minute: every report, status change, escalation,
plan edit, unit, contact, round or calendar change moves the stamp (``ledger_stamp``: the newest id or
``updated_at`` of each table the overview reads, and their row counts), so an entry is never used after a
write; and the derived states move with the clock only at whole minutes (cadences and deadlines are
written to the minute), so an entry is never used past its minute. One process keeps its own memo.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.clock import Clock
from models.tables import (
    CalendarImport,
    Contact,
    ImportedDay,
    Measure,
    Problem,
    Report,
    Round,
    StatusEvent,
    Unit,
    measure_co_units,
)
from models.trend import WeekPoint, week_mondays
from tasks.reports.desk import Overview, overview_round, round_overview
from tasks.reports.desk_trend import round_trend

T = TypeVar("T")
SIZE = 24  # entries: a few rounds and filters (a city round's overview is a few MB) and the charts
_lock = threading.Lock()
_memo: OrderedDict[Hashable, Any] = OrderedDict()


def ledger_stamp(session: Session) -> tuple[Any, ...]:
    """What any write to the tables the overview reads changes (one statement): their newest ids or
    ``updated_at``, their row counts, and a sum over the co-owners' links."""
    co = measure_co_units.c
    columns: list[Any] = [
        func.max(Report.id),
        func.max(StatusEvent.id),
        func.max(Measure.updated_at),
        func.count(Measure.id),
        func.max(Problem.updated_at),
        func.count(Problem.id),
        func.max(Round.updated_at),
        func.max(Unit.updated_at),
        func.count(Unit.id),
        func.max(Contact.updated_at),
        func.max(CalendarImport.id),
        func.count(ImportedDay.id),
    ]
    subqueries: list[Any] = [select(column).scalar_subquery() for column in columns]
    subqueries.append(select(func.count()).select_from(measure_co_units).scalar_subquery())
    subqueries.append(select(func.sum(co.measure_id * 65_537 + co.unit_id)).scalar_subquery())
    return tuple(session.execute(select(*subqueries)).one())


def remembered(session: Session, clock: Clock, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave for ``key`` earlier in this minute with the ledger unchanged since."""
    bind = session.get_bind()
    minute = clock.now.replace(second=0, microsecond=0)
    return kept((str(bind.engine.url), clock.timezone, minute, ledger_stamp(session), key), compute)


def kept(full: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave for the same ``full`` key (which names everything it depends on)."""
    with _lock:
        if full in _memo:
            _memo.move_to_end(full)
            return _memo[full]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _memo[full] = value
        while len(_memo) > SIZE:
            _memo.popitem(last=False)
    return value


def forget() -> None:
    """Empty the memo (tests that time or count computations)."""
    with _lock:
        _memo.clear()


def overview_of(session: Session, clock: Clock, round_code: str | None, **filters: str | None) -> Overview:
    """``tasks.reports.desk.round_overview``, remembered; a filtered one is kept from the round's
    remembered measures (a click on a number reads no measure anew)."""
    given = {key: value for key, value in filters.items() if value}
    if not given:
        # Kept under the round it shows: /desk (no round named) and /desk/r/<its code> are one entry.
        code, _codes = overview_round(session, round_code)
        return remembered(session, clock, ("overview", code), lambda: round_overview(session, clock, code))
    whole = overview_of(session, clock, round_code)
    key = ("overview", whole.round_code, tuple(sorted(given.items())))
    return remembered(
        session,
        clock,
        key,
        lambda: round_overview(session, clock, whole.round_code, views=whole.views, **given),
    )


def trend_of(session: Session, clock: Clock, overview: Overview) -> tuple[WeekPoint, ...]:
    """The weekly trend of the overview's round (``tasks.reports.desk_trend.round_trend``).

    The current week is the overview's counts (the trend's rule gives them: tested). The past weeks are
    kept while what they are computed from stays: the reports and status changes up to the last
    Sunday (``history_stamp``), each measure's deadline, cadence, feedback date and owing members, and
    the calendar; a report today does not change them, so the trend after it costs the overview alone.
    """
    views = overview.views
    start = min((v.feedback_date for v in views if v.feedback_date is not None), default=None)
    if start is None or start > clock.today:
        return ()
    mondays = week_mondays(start, clock.today)
    counts = overview.counts
    current = WeekPoint(mondays[-1], clock.now, counts["done"], counts["overdue"], counts["missing"])
    if len(mondays) == 1:
        return (current,)
    cutoff = clock.end_of_day(mondays[-1] - timedelta(days=1))
    facts = tuple(
        (v.id, v.deadline, v.cadence, v.feedback_date, tuple((s.unit_id, s.role) for s in v.members))
        for v in views
    )
    bind = session.get_bind()
    key = (
        "trend-past",
        str(bind.engine.url),
        clock.timezone,
        overview.round_code,
        mondays[-2],
        history_stamp(session, {v.round_id for v in views if v.round_id is not None}, cutoff),
        facts,
    )
    past = kept(key, lambda: round_trend(session, clock, overview.round_code, views, past_only=True))
    return (*past, current)


def history_stamp(session: Session, round_ids: set[int], cutoff: datetime) -> tuple[Any, ...]:
    """What a write to the rounds' history up to ``cutoff`` changes (one statement): the count and newest
    id of their reports and status changes by then, and the calendar's imports."""
    in_rounds = Measure.problem_id.in_(select(Problem.id).where(Problem.round_id.in_(round_ids)))
    reports = (
        select(Report.id)
        .join(Measure, Measure.id == Report.measure_id)
        .where(in_rounds, Report.submitted_at <= cutoff)
        .subquery()
    )
    events = (
        select(StatusEvent.id)
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .where(in_rounds, StatusEvent.at <= cutoff)
        .subquery()
    )
    subqueries: list[Any] = [
        select(func.count()).select_from(reports).scalar_subquery(),
        select(func.max(reports.c.id)).scalar_subquery(),
        select(func.count()).select_from(events).scalar_subquery(),
        select(func.max(events.c.id)).scalar_subquery(),
        select(func.max(CalendarImport.id)).scalar_subquery(),
        select(func.count(ImportedDay.id)).scalar_subquery(),
    ]
    return tuple(session.execute(select(*subqueries)).one())
