"""Pure domain rules: a measure's derived state, its traffic light, and allowed status transitions.

Rules that depend on the day take a ``models.clock.Clock`` (the moment, zone and working calendar) and
do no I/O, so they are tested with plain objects.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from models.clock import Clock
from models.enums import MeasureStatus
from models.errors import InvalidDeadline, InvalidTransition
from models.workdays import WorkingCalendar, add_workdays, workdays_between


class MeasureState(enum.StrEnum):
    """Where a measure stands on a given day, derived from status, deadline and reports."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    MISSING_REPORT = "missing_report"  # the current cadence period has no report yet
    DONE = "done"  # claimed done, awaiting review
    CLOSED = "closed"  # 销号


class Light(enum.StrEnum):
    """红黄绿灯."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LIGHT_LABEL = {Light.GREEN: "绿灯", Light.YELLOW: "黄灯", Light.RED: "红灯"}
STATE_LABEL = {
    MeasureState.ON_TRACK: "正常推进",
    MeasureState.DUE_SOON: "临近时限",
    MeasureState.DUE_TODAY: "今日到期",
    MeasureState.OVERDUE: "逾期",
    MeasureState.MISSING_REPORT: "未按期报送",
    MeasureState.DONE: "待销号",
    MeasureState.CLOSED: "已销号",
}
STATUS_LABEL = {
    MeasureStatus.PLANNED: "未启动",
    MeasureStatus.IN_PROGRESS: "推进中",
    MeasureStatus.DONE: "已完成",
    MeasureStatus.CLOSED: "已销号",
}


class MeasureLike(Protocol):
    """The facts the rules read; an ORM ``Measure`` or any plain object with these attributes."""

    @property
    def status(self) -> MeasureStatus: ...
    @property
    def deadline(self) -> date | None: ...


@dataclass(frozen=True)
class Assessment:
    """A measure's derived state on a day, with the working days left (negative: overdue)."""

    state: MeasureState
    light: Light
    workdays_left: int | None  # None for 长期坚持 or when done/closed


FINISHED = frozenset({MeasureStatus.DONE, MeasureStatus.CLOSED})


def is_finished(status: MeasureStatus) -> bool:
    """Whether the unit's work is over: claimed done (awaiting review) or closed (销号)."""
    return status in FINISHED


def is_overdue(status: MeasureStatus, deadline: date | None, day: date) -> bool:
    """ "Overdue" (逾期) on ``day``: not finished and its deadline has passed (长期坚持 never is).

    The one rule behind the derived state, the reminder sweep's 逾期 messages and the notice's
    statistics.
    """
    return not is_finished(status) and deadline is not None and deadline < day


def is_newly_overdue(
    status: MeasureStatus, deadline: date | None, day: date, calendar: WorkingCalendar
) -> bool:
    """ "Newly overdue" (新增逾期) on ``day``: overdue (``is_overdue``) since the last working day before it.

    Its deadline is that working day or a later day before ``day`` (a weekend or holiday in between): on a
    Monday, deadlines of Friday, Saturday and Sunday became overdue since the desk last looked.
    """
    if not is_overdue(status, deadline, day):
        return False
    assert deadline is not None  # is_overdue: a deadline has passed
    return deadline >= add_workdays(calendar, day, -1)


def derive_state(measure: MeasureLike, clock: Clock, *, report_missing: bool = False) -> Assessment:
    """Derive a measure's state as of the clock's day.

    ``report_missing`` says whether the current cadence period lacks a report (the caller knows
    the cadence and the reports); it matters only while the measure is otherwise on track.
    """
    today = clock.today
    if measure.status == MeasureStatus.CLOSED:
        return Assessment(MeasureState.CLOSED, Light.GREEN, None)
    if measure.status == MeasureStatus.DONE:
        return Assessment(MeasureState.DONE, Light.GREEN, None)
    if measure.deadline is None:
        state = MeasureState.MISSING_REPORT if report_missing else MeasureState.ON_TRACK
        return Assessment(state, light_for(state), None)
    left = workdays_between(clock.calendar, today, measure.deadline)
    if is_overdue(measure.status, measure.deadline, today):
        state = MeasureState.OVERDUE
    elif measure.deadline == today:
        state = MeasureState.DUE_TODAY
    elif left <= clock.due_soon_workdays:
        state = MeasureState.DUE_SOON
    elif report_missing:
        state = MeasureState.MISSING_REPORT
    else:
        state = MeasureState.ON_TRACK
    return Assessment(state, light_for(state), left)


def light_for(state: MeasureState) -> Light:
    """Red when overdue; yellow near or at the deadline, or when a period's report is missing."""
    if state == MeasureState.OVERDUE:
        return Light.RED
    if state in (MeasureState.DUE_SOON, MeasureState.DUE_TODAY, MeasureState.MISSING_REPORT):
        return Light.YELLOW
    return Light.GREEN


# Who may move a measure where. Units claim progress and completion; coordinators review:
# accept (销号), send back (退回 → in progress) and reopen a closed measure.
ALLOWED_TRANSITIONS: dict[MeasureStatus, frozenset[MeasureStatus]] = {
    MeasureStatus.PLANNED: frozenset({MeasureStatus.IN_PROGRESS, MeasureStatus.DONE}),
    MeasureStatus.IN_PROGRESS: frozenset({MeasureStatus.DONE}),
    MeasureStatus.DONE: frozenset({MeasureStatus.IN_PROGRESS, MeasureStatus.CLOSED}),
    MeasureStatus.CLOSED: frozenset({MeasureStatus.IN_PROGRESS}),
}


def check_transition(current: MeasureStatus, target: MeasureStatus) -> None:
    """Raise ``InvalidTransition`` unless a measure may move from ``current`` to ``target``."""
    if target == current:
        return
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(
            f"a measure that is {STATUS_LABEL[current]} ({current}) cannot become "
            f"{STATUS_LABEL[target]} ({target})"
        )


def status_after_report(
    current: MeasureStatus, claimed_done: bool, *, retracts_done_claim: bool = False
) -> MeasureStatus:
    """The status a report leaves behind: a claim of done awaits review, anything else is progress.

    ``retracts_done_claim``: the report corrects (supersedes) the one that claimed done; a measure still
    awaiting review then goes back to in progress unless the correction claims done again.
    """
    if current == MeasureStatus.CLOSED:
        return current  # a report on a closed measure is history, not a reopening
    if claimed_done:
        return MeasureStatus.DONE
    if current == MeasureStatus.DONE and retracts_done_claim:
        return MeasureStatus.IN_PROGRESS
    return MeasureStatus.IN_PROGRESS if current == MeasureStatus.PLANNED else current


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一, 100 → 一百 (problem headings 一、二、…)."""
    if n <= 0:
        raise ValueError("ordinals start at 1")
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CHINESE_DIGITS[n // 10] + "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return CHINESE_DIGITS[hundreds] + "百"
    middle = "零" if rest < 10 else ""
    tail = chinese_ordinal(rest) if rest >= 20 or rest < 10 else "一" + chinese_ordinal(rest)
    return CHINESE_DIGITS[hundreds] + "百" + middle + tail


def format_chinese_date(day: date) -> str:
    """2023年10月19日: Arabic numerals, no zero padding (GB/T 9704)."""
    return f"{day.year}年{day.month}月{day.day}日"


WEEKDAY_NAMES = "一二三四五六日"


def format_chinese_day(day: date) -> str:
    """2026年12月3日（周四）: the date as the portal shows it, with its weekday."""
    return f"{format_chinese_date(day)}（周{WEEKDAY_NAMES[day.weekday()]}）"


ONGOING = "长期坚持"
_WORKDAYS_SPEC = re.compile(r"^\s*(\d{1,3})\s*个?工作日(?:内)?\s*$")


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline as written: a date, N working days after the feedback date, or 长期坚持."""

    on: date | None = None
    workdays: int | None = None

    def __str__(self) -> str:
        if self.on is not None:
            return self.on.isoformat()
        if self.workdays is not None:
            return f"{self.workdays}个工作日"
        return ONGOING

    def resolve(self, feedback_date: date, calendar: WorkingCalendar) -> date | None:
        """The deadline date, counting working days from the round's feedback date."""
        if self.workdays is not None:
            return add_workdays(calendar, feedback_date, self.workdays)
        return self.on


def parse_deadline(value: object) -> DeadlineSpec:
    """Read ``2023-12-31``, ``20个工作日`` or ``长期坚持``; raise ``InvalidDeadline`` otherwise."""
    if isinstance(value, datetime):
        return DeadlineSpec(on=value.date())
    if isinstance(value, date):
        return DeadlineSpec(on=value)
    text = str(value).strip() if value is not None else ONGOING
    if text in ("", ONGOING, "长期", "持续推进"):
        return DeadlineSpec()
    if match := _WORKDAYS_SPEC.match(text):
        days = int(match.group(1))
        if days == 0:
            raise InvalidDeadline("a deadline in working days needs at least 1 day")
        return DeadlineSpec(workdays=days)
    for pattern in ("%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return DeadlineSpec(on=datetime.strptime(text, pattern).date())
        except ValueError:
            continue
    raise InvalidDeadline(
        f"'{text}' is not a deadline: write a date (2023-12-31), N个工作日 (20个工作日) or 长期坚持"
    )


@dataclass(frozen=True)
class LaterReport:
    """A report submitted after its measure's last status change (up to the cutoff): what it claims."""

    claimed_done: bool
    retracts_done_claim: bool  # it supersedes a report that claimed done


def status_as_of(last_change: str | None, later_reports: Sequence[LaterReport]) -> MeasureStatus:
    """A measure's status as of a date: its last status change up to then (planned when none), then
    each report submitted after it, in order, through ``models.rules.status_after_report``: the rule
    ``record_report`` applies, so a report never reopens a closed measure nor undoes a done one.
    """
    status = MeasureStatus(last_change) if last_change is not None else MeasureStatus.PLANNED
    for report in later_reports:
        status = status_after_report(
            status, report.claimed_done, retracts_done_claim=report.retracts_done_claim
        )
    return status
