"""Unit assessment (考评): periods, the records a unit is scored on, and the scored result. Pure, no I/O.

A period is an ISO week (``2026-W48``) or a month (``2026-11``) of local days in the configured zone;
its working days come from the working-day calendar, so a week that straddles a holiday or the year
end (``2026-W53`` runs 2026-12-28 … 2027-01-03) counts the working days the calendar says.

The records are plain values built from the ledger by ``tasks.assessment.gather``: one
``ShareRecord`` per unit and measure it owns (lead or co-unit; a collective's members one by one),
holding what happened in the period. ``models.assessment_formula`` turns them into points.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from models.clock import Clock
from models.enums import MeasureStatus
from models.errors import InvalidPeriod
from models.periods import ReportOutcome
from models.rules import format_chinese_date, is_finished, is_overdue
from models.workdays import WorkingCalendar, add_workdays, workdays_in


class PeriodKind(enum.StrEnum):
    """How long an assessment period is."""

    WEEK = "week"
    MONTH = "month"


PERIOD_KIND_LABEL = {PeriodKind.WEEK: "周", PeriodKind.MONTH: "月"}
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, order=True)
class Period:
    """An ISO week or a calendar month: its first and last local day."""

    first: date
    last: date
    kind: PeriodKind

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        try:
            first = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise InvalidPeriod(f"{year} has no ISO week {week}") from None
        return cls(first, first + timedelta(days=6), PeriodKind.WEEK)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"'{year}-{month:02d}' is not a month (01–12)")
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1), PeriodKind.MONTH)

    @classmethod
    def containing(cls, day: date, kind: PeriodKind) -> Period:
        """The week or month ``day`` falls in."""
        if kind == PeriodKind.WEEK:
            year, week, _ = day.isocalendar()
            return cls.week(year, week)
        return cls.month(day.year, day.month)

    @property
    def label(self) -> str:
        """``2026-W48`` or ``2026-11``: how the CLI and the ledger name the period."""
        if self.kind == PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first.year}-{self.first.month:02d}"

    @property
    def title(self) -> str:
        """``2026年第48周（11月23日至11月29日）`` or ``2026年11月``: how documents name it."""
        if self.kind == PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            last = (
                format_chinese_date(self.last)
                if self.last.year != year
                else f"{self.last.month}月{self.last.day}日"
            )
            return f"{year}年第{week}周（{self.first.month}月{self.first.day}日至{last}）"
        return f"{self.first.year}年{self.first.month}月"

    def previous(self) -> Period:
        return Period.containing(self.first - timedelta(days=1), self.kind)

    def next(self) -> Period:
        return Period.containing(self.last + timedelta(days=1), self.kind)

    def start(self, timezone: str) -> datetime:
        """The first instant of the period (local midnight of its first day), aware."""
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(timezone))

    def end(self, timezone: str) -> datetime:
        """The instant the period ends (local midnight after its last day; exclusive), aware."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=ZoneInfo(timezone))

    def workdays(self, calendar: WorkingCalendar) -> list[date]:
        """The working days of the period, on the official calendar (holidays out, 调休 days in)."""
        return workdays_in(calendar, self.first, self.last)

    def __str__(self) -> str:
        return self.label


def parse_period(text: str) -> Period:
    """``2026-W48`` (ISO week) or ``2026-11`` (month); raise ``InvalidPeriod`` otherwise."""
    value = (text or "").strip()
    if match := _WEEK.match(value):
        return Period.week(int(match.group(1)), int(match.group(2)))
    if match := _MONTH.match(value):
        return Period.month(int(match.group(1)), int(match.group(2)))
    raise InvalidPeriod(f"'{text}' is not a period: write an ISO week (2026-W48) or a month (2026-11)")


def last_closed(today: date, kind: PeriodKind) -> Period:
    """The latest week or month that has ended before ``today``."""
    return Period.containing(today, kind).previous()


# -- the records ------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    """A unit's share of a measure."""

    LEAD = "lead"  # 牵头
    CO = "co"  # 配合


ROLE_LABEL = {Role.LEAD: "牵头", Role.CO: "配合"}


class Colour(enum.StrEnum):
    """The colour of an escalation step (督办)."""

    BLUE = "blue"  # 蓝色督办
    YELLOW = "yellow"  # 黄色督办
    RED = "red"  # 红色督办


COLOUR_LABEL = {Colour.BLUE: "蓝", Colour.YELLOW: "黄", Colour.RED: "红"}


@dataclass(frozen=True)
class ReportPeriodRecord:
    """A cadence period whose report fell due in the assessment period."""

    start: datetime
    due: datetime
    outcome: ReportOutcome
    reported_at: datetime | None = None


@dataclass(frozen=True)
class EscalationRecord:
    """An escalation step reached (a ``StatusEvent`` of kind ``escalation``)."""

    at: datetime
    colour: Colour


class ReviewDecision(enum.StrEnum):
    """What a review decided about a done claim."""

    RETURNED = "returned"  # 退回
    CLOSED = "closed"  # 销号


@dataclass(frozen=True)
class ReviewRecord:
    """A coordinator's decision on the measure's done claim."""

    at: datetime
    decision: ReviewDecision


@dataclass(frozen=True)
class ExtensionRecord:
    """An approved extension (延期): the deadline it replaced, the new one, when it was approved."""

    approved_at: datetime
    original: date
    new: date


@dataclass(frozen=True)
class ShareRecord:
    """One unit's share of one measure, with what the measure asked of it in the period.

    ``deadline`` is the deadline in force (after any approved extension); ``original_deadline`` the one
    first set (equal when never extended). ``overdue_days`` are the period's working days on which the
    measure was overdue; ``ack_late_days`` the working days a 签收 was pending past its allowance.
    """

    measure_code: str
    unit_code: str
    role: Role
    deadline: date | None = None
    original_deadline: date | None = None
    report_periods: tuple[ReportPeriodRecord, ...] = ()
    completed_at: datetime | None = None  # finished (claimed done, standing) within the period
    overdue_days: tuple[date, ...] = ()
    escalations: tuple[EscalationRecord, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    extensions: tuple[ExtensionRecord, ...] = ()
    ack_late_days: tuple[date, ...] = ()
    due_in_period: bool = False  # the deadline in force falls in the period
    collective: str | None = None  # the collective unit whose member holds this share

    @property
    def asked(self) -> bool:
        """Whether the measure asked anything of the unit in the period (only then is it scored on it)."""
        return bool(
            self.report_periods
            or self.completed_at
            or self.overdue_days
            or self.escalations
            or self.reviews
            or self.extensions
            or self.ack_late_days
            or self.due_in_period
        )


@dataclass(frozen=True)
class Adjustment:
    """A bonus or deduction (加减分) a coordinator recorded, shown apart from the base score."""

    points: Decimal
    reason: str
    actor: str
    at: datetime
    id: int | None = None


@dataclass(frozen=True)
class UnitRecord:
    """A unit to score in a period: its shares of measures and its 加减分."""

    code: str
    name: str
    kind: str  # a UnitKind value
    shares: tuple[ShareRecord, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    collective: str | None = None  # set for a member of a collective

    @property
    def asked(self) -> tuple[ShareRecord, ...]:
        return tuple(share for share in self.shares if share.asked)


# -- deriving a share's facts from the measure's history -----------------------------------------


@dataclass(frozen=True)
class StatusTimeline:
    """A measure's stored status over time: (moment, status) moves in order, ``planned`` before the first."""

    moves: tuple[tuple[datetime, MeasureStatus], ...] = ()
    _moments: tuple[datetime, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_moments", tuple(moment for moment, _ in self.moves))

    def status_at(self, moment: datetime) -> MeasureStatus:
        """The status standing at ``moment`` (moves at that very moment included)."""
        index = bisect_right(self._moments, moment)
        return self.moves[index - 1][1] if index else MeasureStatus.PLANNED

    def finished_since(self, moment: datetime) -> datetime | None:
        """When the finished stretch standing at ``moment`` began (done or closed since), or None."""
        index = bisect_right(self._moments, moment)
        if not index or not is_finished(self.moves[index - 1][1]):
            return None
        since = self.moves[index - 1][0]
        for at, status in reversed(self.moves[: index - 1]):
            if not is_finished(status):
                break
            since = at
        return since


def overdue_days(
    deadline: date | None, timeline: StatusTimeline, workdays: Sequence[date], clock: Clock
) -> tuple[date, ...]:
    """The working days on which the measure was overdue (``models.rules.is_overdue``, status at day's end)."""
    if deadline is None:
        return ()
    days = []
    for day in workdays:
        if is_overdue(timeline.status_at(clock.end_of_day(day)), deadline, day):
            days.append(day)
    return tuple(days)


def ack_late_days(
    assigned_at: datetime,
    acknowledged_at: datetime | None,
    allowance: int,
    workdays: Sequence[date],
    clock: Clock,
) -> tuple[date, ...]:
    """The working days a 签收 was still pending after its allowance of ``allowance`` working days."""
    due = add_workdays(clock.calendar, clock.local_day(assigned_at), allowance)
    late = []
    for day in workdays:
        if day <= due:
            continue
        if acknowledged_at is None or acknowledged_at > clock.end_of_day(day):
            late.append(day)
    return tuple(late)


# -- the result -------------------------------------------------------------------------------------


class ListKind(enum.StrEnum):
    """The ranking lists: 红榜 commends, 黑榜 names for slipping."""

    RED = "red"
    BLACK = "black"


LIST_LABEL = {ListKind.RED: "红榜", ListKind.BLACK: "黑榜"}


@dataclass(frozen=True)
class Line:
    """One record that moved a unit's score: which measure, which day, which rule, how many points."""

    measure_code: str
    day: date
    rule: str
    points: Decimal
    detail: str = ""


@dataclass(frozen=True)
class UnitScore:
    """A unit's score in a period: base score from its lines, 加减分 apart, the total that ranks."""

    code: str
    name: str
    kind: str
    asked: int  # measures that asked something of the unit in the period
    base_score: Decimal
    adjustment: Decimal
    lines: tuple[Line, ...]
    adjustments: tuple[Adjustment, ...] = ()
    ranked: bool = True
    unranked_reason: str = ""
    rank: int | None = None
    tied: bool = False
    list: ListKind | None = None
    list_reason: str = ""
    change: Decimal | None = None  # total minus the previous period's total
    collective: str | None = None

    @property
    def total(self) -> Decimal:
        return self.base_score + self.adjustment


@dataclass(frozen=True)
class Ranking:
    """A round's assessment for one period under one formula version."""

    round_code: str
    period: Period
    formula_name: str
    formula_version: str
    scores: tuple[UnitScore, ...]
    notes: tuple[str, ...] = ()

    @property
    def ranked(self) -> list[UnitScore]:
        """The ranked units, best first (ties by unit name)."""
        return sorted(
            (s for s in self.scores if s.ranked and s.rank is not None), key=lambda s: (s.rank, s.name)
        )

    def on_list(self, kind: ListKind) -> list[UnitScore]:
        return [s for s in self.ranked if s.list == kind]

    def score_of(self, unit_code: str) -> UnitScore | None:
        return next((s for s in self.scores if s.code == unit_code), None)
