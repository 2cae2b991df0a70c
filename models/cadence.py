"""Cadences in the coordinators' words, and the schedules Prefect runs them on.

A measure's cadence is written as a phrase (``每周一 09:00``, ``每月第一个工作日``, ``每季度末``,
``每个工作日``, ``每天``), a 5-field cron expression or an RRULE (with or without DTSTART).
``parse_cadence`` turns the text into a ``Cadence``; ``Cadence.schedule`` turns that into the cron
expression or RRule set a Prefect deployment schedule carries.

Working days. Phrases that name working days (每个工作日, 每月第一个工作日, 每季度末, and weekday
phrases such as 每周一, whose occurrences on a public holiday are skipped) follow the official
calendar inside the schedule itself (see ``models.schedules``).

``每天`` is every calendar day, holidays included; a daily check that should follow working days is
written ``每个工作日``. ``每月N日`` and cron/RRULE text are taken literally, with no working-day
adjustment.

Pure: no Prefect, no I/O. Datetimes are naive wall-clock times in the schedule's timezone.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import cast

from dateutil.rrule import rrulestr

from models.clock import Clock
from models.errors import InvalidSchedule
from models.schedules import (
    MAX_RRULE_TEXT,
    WORKWEEK,
    ScheduleSpec,
    anchor_for,
    exceptions_start,
    horizon_end,
    rrule_with_exceptions,
    stamp,
)
from models.workdays import WorkingCalendar

DEFAULT_AT = time(9, 0)

WEEKDAY_CHARS = "一二三四五六日"  # 周一 … 周日 (周天 is read as 周日)
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

ACCEPTED_FORMS = """accepted cadences:
  每天 09:00                  every calendar day (holidays included)
  每个工作日 09:00            every official working day (holidays skipped, 调休 days included)
  每周一 09:00, 每周一上午9点  a weekday each week (also 每周一、三、五); a holiday on that weekday is skipped
  每周第一个工作日 09:00       the first working day of each week, Monday to Sunday (also 最后一个)
  每月第一个工作日 09:00       the first working day of each month (also 第二个…, 最后一个; 每月初/每月末)
  每月15日 09:00              a calendar day of the month (1–28), as written
  每季度末 09:00              the last working day of each quarter (每季度初: the first)
  0 9 * * 1                   a 5-field cron expression (minute hour day month weekday), as written
  RRULE:FREQ=WEEKLY;BYDAY=MO  an RFC 5545 RRULE (DTSTART optional), as written
the time is optional (default 09:00): 09:00, 9:30, 9点, 9点半, 上午9点, 下午3点30分"""


class Pattern(enum.StrEnum):
    """The shape of a cadence."""

    DAILY = "daily"  # 每天
    WORKDAYS = "workdays"  # 每个工作日
    WEEKLY = "weekly"  # 每周一
    WEEK_WORKDAY = "week_workday"  # 每周第一个工作日 / 最后一个工作日
    MONTH_WORKDAY = "month_workday"  # 每月第一个工作日 / 最后一个工作日
    MONTH_DAY = "month_day"  # 每月15日
    QUARTER_WORKDAY = "quarter_workday"  # 每季度末 / 每季度初
    CRON = "cron"
    RRULE = "rrule"


@dataclass(frozen=True)
class Cadence:
    """A parsed cadence: its pattern, time of day and the text as written."""

    text: str
    pattern: Pattern
    at: time = DEFAULT_AT
    weekdays: tuple[int, ...] = ()  # 0 = Monday, for WEEKLY
    nth: int = 0  # working day within the month/quarter: 1, 2, … or -1 (last)
    month_day: int = 0  # for MONTH_DAY
    expression: str = field(default="", compare=False)  # cron or RRULE text, normalised

    # -- words ----------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The cadence in the coordinators' words, e.g. ``每周一 09:00``."""
        hhmm = f"{self.at.hour:02d}:{self.at.minute:02d}"
        if self.pattern == Pattern.DAILY:
            return f"每天 {hhmm}"
        if self.pattern == Pattern.WORKDAYS:
            return f"每个工作日 {hhmm}"
        if self.pattern == Pattern.WEEKLY:
            days = "、".join(WEEKDAY_CHARS[d] for d in self.weekdays)
            return f"每周{days} {hhmm}"
        if self.pattern == Pattern.WEEK_WORKDAY:
            return f"每周{_ordinal_words(self.nth)}工作日 {hhmm}"
        if self.pattern == Pattern.MONTH_WORKDAY:
            return f"每月{_ordinal_words(self.nth)}工作日 {hhmm}"
        if self.pattern == Pattern.MONTH_DAY:
            return f"每月{self.month_day}日 {hhmm}"
        if self.pattern == Pattern.QUARTER_WORKDAY:
            return f"每季度末 {hhmm}" if self.nth == -1 else f"每季度{_ordinal_words(self.nth)}工作日 {hhmm}"
        return self.expression.replace("\n", " ")  # cron and RRULE read back as written

    @property
    def follows_workdays(self) -> bool:
        """Whether the official working-day calendar adjusts the occurrences."""
        if self.pattern == Pattern.WEEKLY:
            return any(d < 5 for d in self.weekdays)
        return self.pattern in (
            Pattern.WORKDAYS,
            Pattern.WEEK_WORKDAY,
            Pattern.MONTH_WORKDAY,
            Pattern.QUARTER_WORKDAY,
        )

    # -- rules ----------------------------------------------------------------------------------

    def base_rule(self) -> str:
        """The calendar-naive RRULE line of a phrase (weekday approximation of working days)."""
        clock = f"BYHOUR={self.at.hour};BYMINUTE={self.at.minute};BYSECOND=0"
        if self.pattern == Pattern.DAILY:
            return f"RRULE:FREQ=DAILY;{clock}"
        if self.pattern == Pattern.WORKDAYS:
            return f"RRULE:FREQ=WEEKLY;BYDAY={WORKWEEK};{clock}"
        if self.pattern == Pattern.WEEKLY:
            days = ",".join(RRULE_DAYS[d] for d in self.weekdays)
            return f"RRULE:FREQ=WEEKLY;BYDAY={days};{clock}"
        if self.pattern == Pattern.WEEK_WORKDAY:
            return f"RRULE:FREQ=WEEKLY;WKST=MO;BYDAY={WORKWEEK};BYSETPOS={self.nth};{clock}"
        if self.pattern == Pattern.MONTH_WORKDAY:
            return f"RRULE:FREQ=MONTHLY;BYDAY={WORKWEEK};BYSETPOS={self.nth};{clock}"
        if self.pattern == Pattern.MONTH_DAY:
            return f"RRULE:FREQ=MONTHLY;BYMONTHDAY={self.month_day};{clock}"
        if self.pattern == Pattern.QUARTER_WORKDAY:
            months = "3,6,9,12" if self.nth < 0 else "1,4,7,10"
            return f"RRULE:FREQ=MONTHLY;BYMONTH={months};BYDAY={WORKWEEK};BYSETPOS={self.nth};{clock}"
        raise ValueError(f"{self.pattern} has no phrase rule")

    def true_dates(self, calendar: WorkingCalendar, start: date, end: date) -> list[date]:
        """The days in [start, end] on which a working-day phrase really falls."""
        days = _days(start, end)
        if self.pattern == Pattern.WORKDAYS:
            return [d for d in days if calendar.is_workday(d)]
        if self.pattern == Pattern.WEEKLY:
            return [
                d
                for d in days
                if d.weekday() in self.weekdays and (d.weekday() >= 5 or calendar.is_workday(d))
            ]
        if self.pattern in (Pattern.WEEK_WORKDAY, Pattern.MONTH_WORKDAY, Pattern.QUARTER_WORKDAY):
            out = []
            for first, last in _periods(self.pattern, start, end):
                if self.pattern == Pattern.WEEK_WORKDAY:
                    # An ISO week may run past the horizon (2026-W53 ends in 2027): judge the days up to it.
                    last = min(last, end)
                workdays = [d for d in _days(first, last) if calendar.is_workday(d)]
                index = self.nth - 1 if self.nth > 0 else self.nth
                if -len(workdays) <= index < len(workdays):
                    picked = workdays[index]
                    if start <= picked <= end:
                        out.append(picked)
            return out
        raise ValueError(f"{self.pattern} does not follow working days")

    def schedule(
        self,
        calendar: WorkingCalendar,
        *,
        dtstart: date,
        horizon_end: date,
        exceptions_from: date | None = None,
    ) -> ScheduleSpec:
        """The schedule Prefect should carry, anchored at ``dtstart`` (at the cadence's time of day).

        Working-day phrases get EXDATE/RDATE exceptions from ``dtstart`` to ``horizon_end``. With
        ``exceptions_from`` (what sync registers) a phrase starts there instead: DTSTART and its
        exceptions (a raw RRULE keeps its anchor: moving it could shift an INTERVAL's phase).
        Deterministic: the same ledger, calendar data and ``exceptions_from`` always give the same
        text (so re-sync is a no-op).
        """
        if self.pattern == Pattern.CRON:
            return ScheduleSpec("cron", self.expression)
        if self.pattern == Pattern.RRULE:
            if "DTSTART" in self.expression.upper():
                return ScheduleSpec("rrule", self.expression)
            start = datetime.combine(dtstart, DEFAULT_AT)
            return ScheduleSpec("rrule", f"DTSTART:{stamp(start)}\n{_as_rrule_line(self.expression)}")
        # Phrases have no INTERVAL, so a later DTSTART keeps every occurrence after it: start at
        # ``exceptions_from`` when given, or Prefect walks every occurrence since the anchor each time
        # it computes runs (a daily rule anchored years ago costs the server thousands of steps).
        first = max(dtstart, exceptions_from or dtstart)
        head = f"DTSTART:{stamp(datetime.combine(first, self.at))}\n{self.base_rule()}"
        if not self.follows_workdays or horizon_end < first:
            return ScheduleSpec("rrule", head)
        return rrule_with_exceptions(
            head, self.true_dates(calendar, first, horizon_end), self.at, first, horizon_end
        )


# -- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fields:
    weekdays: tuple[int, ...] = ()
    nth: int = 0
    month_day: int = 0


_TIME = re.compile(
    r"^(?P<half>上午|早上|早|中午|下午|晚上)?\s*(?P<h>\d{1,2})"
    r"(?:\s*[:：]\s*(?P<m>\d{2})|\s*[点时](?:\s*(?P<m2>\d{1,2})\s*分?|(?P<halfhour>半))?)?$"
)
_WEEKLY = re.compile(
    r"^每(?:周|星期|礼拜)(?P<days>[一二三四五六日天](?:[、,，和及]?(?:周|星期)?[一二三四五六日天])*)"
)
_WEEK_WORKDAY = re.compile(r"^每(?:个)?周(?:第(?P<n>[一二三四五\d])个|首个|(?P<last>最后一个))工作日")
_MONTH_WORKDAY = re.compile(
    r"^每(?:个)?月(?:第(?P<n>[一二三四五六七八九十\d]+)个|首个|(?P<last>最后一个))工作日"
)
_MONTH_DAY = re.compile(r"^每(?:个)?月(?P<d>\d{1,2}|[一二三四五六七八九十]+)[日号]")
_QUARTER = re.compile(r"^每(?:个)?季度(?:(?P<end>末|最后一个工作日)|(?P<start>初|首个工作日|第一个工作日))")
_PREFIXES: list[tuple[str, Pattern, _Fields]] = [
    ("每个工作日", Pattern.WORKDAYS, _Fields()),
    ("每工作日", Pattern.WORKDAYS, _Fields()),
    ("工作日每天", Pattern.WORKDAYS, _Fields()),
    ("每月初", Pattern.MONTH_WORKDAY, _Fields(nth=1)),
    ("每月末", Pattern.MONTH_WORKDAY, _Fields(nth=-1)),
    ("每天", Pattern.DAILY, _Fields()),
    ("每日", Pattern.DAILY, _Fields()),
]
_CRON = re.compile(r"^\S+(\s+\S+){4}$")


def parse_cadence(text: str) -> Cadence:
    """Parse a cadence as coordinators write it; raise ``InvalidSchedule`` listing the accepted forms."""
    if text is None or not str(text).strip():
        raise InvalidSchedule("empty cadence\n" + ACCEPTED_FORMS)
    raw = str(text).strip()
    upper = raw.upper()
    if upper.startswith(("RRULE:", "FREQ=", "DTSTART")):
        return _parse_rrule(raw)
    if _CRON.match(raw) and re.fullmatch(r"[\d*/,\-A-Za-z?LW#\s]+", raw):
        return _parse_cron(raw)
    compact = re.sub(r"\s+", " ", raw.replace("：", ":").replace("，", ",")).strip()
    head, rest, fields = _match_phrase(compact)
    if head is None:
        raise InvalidSchedule(f"unknown cadence '{raw}'\n" + ACCEPTED_FORMS)
    at = _parse_time(rest.strip(" ,"), raw)
    return Cadence(
        text=raw,
        pattern=head,
        at=at,
        weekdays=fields.weekdays,
        nth=fields.nth,
        month_day=fields.month_day,
    )


def _match_phrase(text: str) -> tuple[Pattern | None, str, _Fields]:
    m = _WEEKLY.match(text)
    if m:
        chars = [c for c in m.group("days") if c in WEEKDAY_CHARS + "天"]
        days = tuple(sorted({WEEKDAY_CHARS.index("日" if c == "天" else c) for c in chars}))
        return Pattern.WEEKLY, text[m.end() :], _Fields(weekdays=days)
    m = _WEEK_WORKDAY.match(text)
    if m:
        nth = -1 if m.group("last") else (_number(m.group("n")) if m.group("n") else 1)
        if not 1 <= abs(nth) <= 5:
            return None, text, _Fields()
        return Pattern.WEEK_WORKDAY, text[m.end() :], _Fields(nth=nth)
    m = _MONTH_WORKDAY.match(text)
    if m:
        nth = -1 if m.group("last") else (_number(m.group("n")) if m.group("n") else 1)
        if not 1 <= abs(nth) <= 23:
            return None, text, _Fields()
        return Pattern.MONTH_WORKDAY, text[m.end() :], _Fields(nth=nth)
    m = _QUARTER.match(text)
    if m:
        return Pattern.QUARTER_WORKDAY, text[m.end() :], _Fields(nth=-1 if m.group("end") else 1)
    m = _MONTH_DAY.match(text)
    if m:
        day = _number(m.group("d"))
        if not 1 <= day <= 28:
            return None, text, _Fields()
        return Pattern.MONTH_DAY, text[m.end() :], _Fields(month_day=day)
    for prefix, pattern, fields in _PREFIXES:
        if text.startswith(prefix):
            return pattern, text[len(prefix) :], fields
    return None, text, _Fields()


def _parse_time(rest: str, raw: str) -> time:
    if not rest:
        return DEFAULT_AT
    m = _TIME.match(rest)
    if not m:
        raise InvalidSchedule(f"unknown time '{rest}' in cadence '{raw}'\n" + ACCEPTED_FORMS)
    hour = int(m.group("h"))
    minute = int(m.group("m") or m.group("m2") or (30 if m.group("halfhour") else 0))
    half = m.group("half")
    if half in ("下午", "晚上") and hour < 12:
        hour += 12
    if half == "中午" and hour < 11:
        hour += 12
    if hour > 23 or minute > 59:
        raise InvalidSchedule(f"time '{rest}' in cadence '{raw}' is not a time of day\n" + ACCEPTED_FORMS)
    return time(hour, minute)


def _parse_cron(raw: str) -> Cadence:
    from cronsim import CronSim, CronSimError

    expression = " ".join(raw.split())
    try:
        CronSim(expression, datetime(2024, 1, 1))
    except CronSimError as exc:
        raise InvalidSchedule(f"invalid cron expression '{raw}': {exc}\n" + ACCEPTED_FORMS) from None
    return Cadence(text=raw, pattern=Pattern.CRON, expression=expression)


def _parse_rrule(raw: str) -> Cadence:
    parts = re.split(r"\s*\n\s*|\s+(?=(?:RRULE|EXRULE|RDATE|EXDATE|DTSTART)[:;])", raw, flags=re.IGNORECASE)
    lines = [line.strip() for line in parts if line.strip()]
    expression = "\n".join(_as_rrule_line(line) for line in lines)
    try:
        probe = expression if "DTSTART" in expression.upper() else f"DTSTART:20240101T090000\n{expression}"
        rule = rrulestr(probe, forceset=True)
        rule.after(datetime(2024, 1, 1))
    except (ValueError, TypeError) as exc:
        raise InvalidSchedule(f"invalid RRULE '{raw}': {exc}\n" + ACCEPTED_FORMS) from None
    if len(expression) > MAX_RRULE_TEXT:
        raise InvalidSchedule(f"RRULE text is longer than {MAX_RRULE_TEXT} characters")
    return Cadence(text=raw, pattern=Pattern.RRULE, expression=expression)


def _as_rrule_line(line: str) -> str:
    return f"RRULE:{line}" if line.upper().startswith("FREQ=") else line


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_NUMBERS[text[1]]
    if len(text) == 2 and text[1] == "十":
        return CN_NUMBERS[text[0]] * 10
    if len(text) == 3 and text[1] == "十":
        return CN_NUMBERS[text[0]] * 10 + CN_NUMBERS[text[2]]
    return CN_NUMBERS[text]


def _ordinal_words(nth: int) -> str:
    if nth == -1:
        return "最后一个"
    digits = "零一二三四五六七八九十"
    words = digits[nth] if nth <= 10 else ("十" + digits[nth - 10] if nth < 20 else f"{nth}")
    return f"第{words}个"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _periods(pattern: Pattern, start: date, end: date) -> list[tuple[date, date]]:
    """ISO weeks, months or quarters overlapping [start, end], each as (first day, last day)."""
    if pattern == Pattern.WEEK_WORKDAY:
        monday = start - timedelta(days=start.weekday())
        weeks = []
        while monday <= end:
            weeks.append((monday, monday + timedelta(days=6)))
            monday += timedelta(days=7)
        return weeks
    step = 3 if pattern == Pattern.QUARTER_WORKDAY else 1
    month = ((start.month - 1) // step) * step + 1
    first = date(start.year, month, 1)
    out = []
    while first <= end:
        nxt_month = first.month + step
        nxt = date(first.year + (nxt_month - 1) // 12, (nxt_month - 1) % 12 + 1, 1)
        out.append((first, nxt - timedelta(days=1)))
        first = nxt
    return out


# -- 长期坚持: the round's cadence for measures with neither deadline nor cadence --------------------

DEFAULT_ONGOING_CADENCE = "每月最后一个工作日 09:00"


def effective_cadence(cadence: str | None, deadline: date | None, ongoing: str | None) -> str | None:
    """The cadence a measure is asked for progress on: its own; for a 长期坚持 measure without one (no
    deadline, no cadence), the round's ``ongoing_cadence`` (default ``DEFAULT_ONGOING_CADENCE``); else none
    (a dated measure is chased by its deadline's reminders)."""
    if cadence:
        return cadence
    if deadline is None:
        return ongoing or DEFAULT_ONGOING_CADENCE
    return None


def takes_ongoing_default(cadence: str | None, deadline: date | None) -> bool:
    """Whether a measure follows its round's ongoing cadence (长期坚持 without a cadence of its own)."""
    return not cadence and deadline is None


# -- the schedule of a measure's cadence ---------------------------------------------------------


def cadence_schedule(
    text: str,
    calendar: WorkingCalendar,
    feedback_date: date,
    *,
    today: date | None = None,
    until: date | None = None,
) -> ScheduleSpec:
    """The schedule of a measure's cadence in a round fed back on ``feedback_date``.

    With ``today`` (what sync registers) the exceptions start on the 1st of today's month; without
    it they cover every period since the anchor (what the report rules compute with). With ``until``
    they stop there (before the calendar's horizon): a question about 2023 asks nothing of 2027's days,
    so a year not yet published is neither computed nor warned about unless the answer needs it.
    """
    try:
        hash(calendar)
    except TypeError:  # a calendar that is not a value (a test double): nothing to share
        return _cadence_schedule(text, calendar, feedback_date, today, until)
    return _cached_cadence_schedule(text, cast("Hashable", calendar), feedback_date, today, until)


def _cadence_schedule(
    text: str, calendar: WorkingCalendar, feedback_date: date, today: date | None, until: date | None = None
) -> ScheduleSpec:
    anchor = anchor_for(feedback_date)
    horizon = horizon_end(calendar, anchor)
    return parse_cadence(text).schedule(
        calendar,
        dtstart=anchor,
        horizon_end=min(horizon, until) if until is not None else horizon,
        exceptions_from=exceptions_start(today),
    )


# A city round has 2,100 measures but a handful of cadence texts and feedback dates: the sweep, the
# status overview and sync would otherwise rebuild the same working-day rule set for every measure.
_cached_cadence_schedule = lru_cache(maxsize=1024)(_cadence_schedule)


def describe_cadence(text: str, clock: Clock, *, feedback_date: date | None = None, count: int = 3) -> str:
    """The cadence in the coordinators' words with its next ``count`` runs after the clock's day.

    ``每周一 09:00（下次：2023-10-09 周一、2023-10-16 周一、2023-10-23 周一）``; a run on a day the
    calendar answers by its fallback (no official data yet) is marked ``（暂定）``.
    """
    day = clock.today
    cadence = parse_cadence(text)
    anchor = anchor_for(feedback_date or day)
    spec = cadence.schedule(clock.calendar, dtstart=anchor, horizon_end=horizon_end(clock.calendar, anchor))
    runs = spec.next(datetime.combine(day, time.min), count)
    provisional = getattr(clock.calendar, "is_provisional", lambda _day: False)
    shown = "、".join(
        f"{r:%Y-%m-%d} 周{WEEKDAY_CHARS[r.weekday()]}" + ("（暂定）" if provisional(r.date()) else "")
        for r in runs
    )
    return f"{cadence.label}（下次：{shown}）" if runs else cadence.label


# -- the desk's preview of a cadence ------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    """A day of a cadence's preview: a run, or a day the plain rule names that the calendar skips."""

    at: datetime  # wall clock in the schedule's zone
    skipped: bool  # the working-day calendar skips it (a holiday, or a rest day)
    note: str  # 国庆节 (a skipped holiday), 调休上班 (a run on a makeup working day), or ""
    provisional: bool  # the calendar answers this day by its fallback (no official data yet): 暂定


def preview_runs(
    text: str, calendar: WorkingCalendar, feedback_date: date, after: datetime, count: int = 10
) -> list[PreviewDay]:
    """The next ``count`` runs of a cadence after ``after`` (naive wall clock in the schedule's zone), as
    sync registers it, with the days the working-day calendar skips among them; raises ``InvalidSchedule``
    for text that is no cadence."""
    cadence = parse_cadence(text)
    anchor = anchor_for(feedback_date)
    start = exceptions_start(after.date())
    spec = cadence.schedule(
        calendar, dtstart=anchor, horizon_end=horizon_end(calendar, anchor), exceptions_from=start
    )
    runs = spec.next(after, count)
    if not runs:
        return []
    skipped: list[datetime] = []
    if cadence.follows_workdays:
        first = max(anchor, start or anchor)
        plain = ScheduleSpec(
            "rrule", f"DTSTART:{stamp(datetime.combine(first, cadence.at))}\n{cadence.base_rule()}"
        )
        ran = {r.date() for r in runs}
        skipped = [
            d for d in plain.occurrences(after + timedelta(seconds=1), runs[-1]) if d.date() not in ran
        ]
    provisional = getattr(calendar, "is_provisional", lambda _day: False)
    return [
        PreviewDay(at, at in skipped, _day_note(calendar, at.date(), at in skipped), provisional(at.date()))
        for at in sorted(runs + skipped)
    ]


def _day_note(calendar: WorkingCalendar, day: date, skipped: bool) -> str:
    """What the calendar says of a previewed day: the holiday skipped, or 调休上班 for a run on a weekend."""
    describe = getattr(calendar, "day", None)
    if describe is None:  # a calendar that only knows working days (WeekdayCalendar)
        return "休息日" if skipped else ""
    found = describe(day)
    if skipped:
        return str(found.festival or ("节假日" if found.kind == "holiday" else "休息日"))
    return "调休上班" if found.kind == "makeup_workday" else ""
