"""Cadences in the coordinators' words, and the schedules Prefect runs them on.

A measure's cadence is written as a phrase (``每周一 09:00``, ``每月第一个工作日``, ``每季度末``,
``每个工作日``, ``每天``), a 5-field cron expression or an RRULE (with or without DTSTART).
``parse_cadence`` turns the text into a ``Cadence``; ``Cadence.schedule`` turns that into the cron
expression or RRule set a Prefect deployment schedule carries.

Working days. Phrases that name working days (每个工作日, 每月第一个工作日, 每季度末, and weekday
phrases such as 每周一, whose occurrences on a public holiday are skipped) follow the official
calendar *inside the schedule itself*: the RRule set is a plain weekday rule (the calendar-naive
approximation) plus ``EXDATE`` for the occurrences the calendar removes (holidays) and ``RDATE`` for
the ones it adds (调休 make-up workdays, a month whose first working day is a Saturday).

Horizon. The exceptions cover DTSTART to the last day of the last year the calendar library
publishes (``ChinaCalendar.last_published_year``); beyond it the plain weekday rule continues.
``zhenggai sync`` recomputes the set every time, so after upgrading ``chinesecalendar`` (a new year
is published each November or so) the next sync extends the horizon and updates the schedules in
place. The RRule text is capped below Prefect's limit (6,500 characters); when a long-running round
would exceed it, the oldest exceptions are dropped first (they lie in the past).

``每天`` is every calendar day, holidays included; a daily check that should follow working days is
written ``每个工作日``. ``每月N日`` and cron/RRULE text are taken literally, with no working-day
adjustment.

Pure: no Prefect, no I/O. All datetimes here are naive wall-clock times in the schedule's timezone
(that is how Prefect reads DTSTART/EXDATE/RDATE: it labels them with the schedule's zone).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, cast

from dateutil.rrule import rrule, rruleset, rrulestr

from models.errors import InvalidSchedule
from models.workdays import WorkingCalendar

# Prefect refuses RRule strings longer than 6,500 characters; keep a margin.
MAX_RRULE_TEXT = 6000
DEFAULT_AT = time(9, 0)

WEEKDAY_CHARS = "一二三四五六日"  # 周一 … 周日 (周天 is read as 周日)
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKWEEK = "MO,TU,WE,TH,FR"
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

ACCEPTED_FORMS = """accepted cadences:
  每天 09:00                  every calendar day (holidays included)
  每个工作日 09:00            every official working day (holidays skipped, 调休 days included)
  每周一 09:00, 每周一上午9点  a weekday each week (also 每周一、三、五); a holiday on that weekday is skipped
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
    MONTH_WORKDAY = "month_workday"  # 每月第一个工作日 / 最后一个工作日
    MONTH_DAY = "month_day"  # 每月15日
    QUARTER_WORKDAY = "quarter_workday"  # 每季度末 / 每季度初
    CRON = "cron"
    RRULE = "rrule"


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
        return self.pattern in (Pattern.WORKDAYS, Pattern.MONTH_WORKDAY, Pattern.QUARTER_WORKDAY)

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
        if self.pattern in (Pattern.MONTH_WORKDAY, Pattern.QUARTER_WORKDAY):
            out = []
            for first, last in _periods(self.pattern, start, end):
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
            return ScheduleSpec("rrule", f"DTSTART:{_stamp(start)}\n{_as_rrule_line(self.expression)}")
        # Phrases have no INTERVAL, so a later DTSTART keeps every occurrence after it: start at
        # ``exceptions_from`` when given, or Prefect walks every occurrence since the anchor each time
        # it computes runs (a daily rule anchored years ago costs the server thousands of steps).
        first = max(dtstart, exceptions_from or dtstart)
        head = f"DTSTART:{_stamp(datetime.combine(first, self.at))}\n{self.base_rule()}"
        if not self.follows_workdays or horizon_end < first:
            return ScheduleSpec("rrule", head)
        return rrule_with_exceptions(
            head, self.true_dates(calendar, first, horizon_end), self.at, first, horizon_end
        )


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
            text += "\nRDATE:" + ",".join(_stamp(datetime.combine(d, at)) for d in rdates)
        if exdates:
            text += "\nEXDATE:" + ",".join(_stamp(datetime.combine(d, at)) for d in exdates)
        if len(text) <= MAX_RRULE_TEXT:
            return ScheduleSpec("rrule", text, window_start, end)
        # Drop the oldest exception (from whichever list starts earlier) and move the window past it.
        if exdates and (not rdates or exdates[0] <= rdates[0]):
            window_start = exdates.pop(0) + timedelta(days=1)
        else:
            window_start = rdates.pop(0) + timedelta(days=1)


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


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _periods(pattern: Pattern, start: date, end: date) -> list[tuple[date, date]]:
    """Months (or quarters) overlapping [start, end], each as (first day, last day)."""
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


# -- anchoring, horizon and the rules other layers use ------------------------------------------


def anchor_for(feedback_date: date) -> date:
    """DTSTART of a round's schedules: 1 January of its feedback year (stable, covers every period)."""
    return date(feedback_date.year, 1, 1)


def horizon_end(calendar: WorkingCalendar, anchor: date) -> date:
    """Last day of the working-day exceptions: the end of the calendar's last published year.

    A calendar without published data (``WeekdayCalendar``) gets three years after the anchor's year.
    """
    last_year = getattr(calendar, "last_published_year", None)
    if callable(last_year):
        return date(int(last_year()), 12, 31)
    return date(anchor.year + 3, 12, 31)


def exceptions_start(today: date | None) -> date | None:
    """Where registered phrase schedules start (DTSTART and exceptions): 1 January of ``today``'s year.

    Past occurrences and exceptions change no future run but cost the Prefect server work on every
    request that computes runs (it walks occurrences from DTSTART), so sync registers schedules that
    start this year. The start moves once a year: the first sync of a year updates them once.
    """
    return date(today.year, 1, 1) if today is not None else None


def cadence_schedule(
    text: str, calendar: WorkingCalendar, feedback_date: date, *, today: date | None = None
) -> ScheduleSpec:
    """The schedule of a measure's cadence in a round fed back on ``feedback_date``.

    With ``today`` (what sync registers) the exceptions start on 1 January of today's year; without
    it they cover every period since the anchor (what the report rules compute with).
    """
    try:
        hash(calendar)
    except TypeError:  # a calendar that is not a value (a test double): nothing to share
        return _cadence_schedule(text, calendar, feedback_date, today)
    return _cached_cadence_schedule(text, cast("Hashable", calendar), feedback_date, today)


def _cadence_schedule(
    text: str, calendar: WorkingCalendar, feedback_date: date, today: date | None
) -> ScheduleSpec:
    anchor = anchor_for(feedback_date)
    return parse_cadence(text).schedule(
        calendar,
        dtstart=anchor,
        horizon_end=horizon_end(calendar, anchor),
        exceptions_from=exceptions_start(today),
    )


# A city round has 2,100 measures but a handful of cadence texts and feedback dates: the sweep, the
# status overview and sync would otherwise rebuild the same working-day rule set for every measure.
_cached_cadence_schedule = lru_cache(maxsize=1024)(_cadence_schedule)


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


def report_missing(
    cadence: str | None,
    *,
    since: date,
    last_report_at: datetime | None,
    as_of: datetime,
    calendar: WorkingCalendar,
    timezone: str,
) -> bool:
    """Whether the cadence period that closed by ``as_of`` has no report.

    The rule ("missing report for the current cadence period"): at each occurrence of the cadence the
    period since the previous occurrence must have a report, submitted at or after that previous
    occurrence (a late report still counts once it arrives). Periods starting before the round's
    feedback date (``since``) ask for nothing. ``as_of`` and ``last_report_at`` are aware datetimes.
    """
    from zoneinfo import ZoneInfo

    if not cadence:
        return False
    zone = ZoneInfo(timezone)
    spec = cadence_schedule(cadence, calendar, since)
    local_as_of = as_of.astimezone(zone).replace(tzinfo=None)
    period = due_period(spec, local_as_of, since)
    if period is None:
        return False
    if last_report_at is None:
        return True
    return last_report_at.astimezone(zone).replace(tzinfo=None) < period[0]


def report_missing_rule(calendar: WorkingCalendar, timezone: str) -> Callable[[Any, Any, date], bool]:
    """``report_missing`` as the status overview calls it: (measure, latest report, day) → bool.

    The day is judged at its end (23:59:59 local), with the round's feedback date as ``since``.
    """
    from zoneinfo import ZoneInfo

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


def describe_cadence(
    text: str,
    day: date,
    calendar: WorkingCalendar | None = None,
    *,
    feedback_date: date | None = None,
    count: int = 3,
) -> str:
    """The cadence in the coordinators' words with its next ``count`` runs after ``day``.

    ``每周一 09:00（下次：2023-10-09 周一、2023-10-16 周一、2023-10-23 周一）``.
    """
    from models.workdays import ChinaCalendar

    calendar = calendar if calendar is not None else ChinaCalendar()
    cadence = parse_cadence(text)
    anchor = anchor_for(feedback_date or day)
    spec = cadence.schedule(calendar, dtstart=anchor, horizon_end=horizon_end(calendar, anchor))
    runs = spec.next(datetime.combine(day, time.min), count)
    shown = "、".join(f"{r:%Y-%m-%d} 周{WEEKDAY_CHARS[r.weekday()]}" for r in runs)
    return f"{cadence.label}（下次：{shown}）" if runs else cadence.label
