"""Read the State Council's notice 国务院办公厅关于20XX年部分节假日安排的通知 as published.

The notice, as it appears on government sites and in the gazette::

    国务院办公厅关于2026年部分节假日安排的通知
    国办发明电〔2025〕7号
    各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
    经国务院批准，现将2026年元旦、春节、……放假调休日期的具体安排通知如下。
    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    ……
    节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作……
    国务院办公厅
    2025年11月4日

Only the numbered items (``一、`` … ``十、``) carry the arrangement; the title gives the year and every
other line (document number, salutation, preamble, closing, signature, date) is recognised and skipped.
Within an item, a sentence with 放假 is a holiday period (``2月15日至23日放假调休，共9天``, a single day
``6月10日放假，与周末连休`` or ``1月1日（周三）放假1天，不调休``), a sentence ending in 上班 lists make-up
working days, and any other sentence (``鼓励各单位……安排职工在除夕（2月9日）休息``) is advice, not
arrangement. Dates may omit the year (the notice's year; December in an item that crosses into January
is the year before) and the end of a range may omit the month. A bracket may give the weekday
(``（周日）``, ``（星期日）``, ``（农历除夕、周二）``): it must agree with the date. ``共N天`` must agree with
the range. A numbered item that cannot be read is an error naming its line; nothing is returned then.

Pure: text in, ``HolidayArrangement`` out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from models.errors import InvalidHolidayArrangement, PlanIssue
from models.holiday_arrangement import (
    WEEKDAY_NAMES,
    Entry,
    HolidayArrangement,
    HolidayPeriod,
    MakeupWorkday,
    build_arrangement,
)

CN_NUMERALS = "一二三四五六七八九十"
WEEKDAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

# Matched on NFKC text: full-width digits, brackets, colons and commas are ASCII there.
TITLE = re.compile(r"关于\s*(\d{4})\s*年.*?(?:节假日|放假).*?通知")
PREAMBLE_YEAR = re.compile(r"现将\s*(\d{4})\s*年")
NUMBERED = re.compile(rf"^\s*[{CN_NUMERALS}]+\s*[、.]")
ITEM = re.compile(rf"^\s*(?P<number>[{CN_NUMERALS}]+)\s*[、.]\s*(?P<name>[^:]{{1,40}}?)\s*:\s*(?P<body>.*)$")
DATE = r"(?:(?P<{p}y>\d{{4}})\s*年\s*)?(?:(?P<{p}m>\d{{1,2}})\s*月\s*)?(?P<{p}d>\d{{1,2}})\s*日"
BRACKET = r"(?:\s*\((?P<{p}note>[^)]*)\))?"
RANGE = re.compile(
    "^"
    + DATE.format(p="a")
    + BRACKET.format(p="a")
    + r"(?:\s*(?:至|-|—|~)\s*"
    + DATE.format(p="b")
    + BRACKET.format(p="b")
    + r")?\s*$"
)
ONE_DATE = re.compile("^" + DATE.format(p="a") + BRACKET.format(p="a") + "$")
WEEKDAY_IN_NOTE = re.compile(r"(?:周|星期|礼拜)\s*([一二三四五六日天])")
COUNT = re.compile(r"(?:共|放假)\s*(\d+)\s*天")
SENTENCE_END = re.compile(r"[。;]")
HAS_DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日")


@dataclass
class _Item:
    line: int
    name: str
    text: str
    original: list[str] = field(default_factory=list)


@dataclass
class _Date:
    year: int | None
    month: int | None
    day: int
    note: str | None


def parse_holiday_notice(text: str, *, year: int | None = None, source: str = "notice") -> HolidayArrangement:
    """The arrangement a notice publishes; ``year`` when its title names none.

    Raises ``InvalidHolidayArrangement`` listing every item that cannot be read (``notice.txt:7``).
    """
    issues: list[PlanIssue] = []
    header, items = _split_notice(text, source, issues)
    the_year = _notice_year(header, year, source, issues)
    if not items and not issues:
        issues.append(
            PlanIssue(
                source,
                "",
                "no numbered item (一、元旦：1月1日放假……) was found: is this the State Council's notice?",
            )
        )

    holidays: list[Entry[HolidayPeriod]] = []
    workdays: list[Entry[MakeupWorkday]] = []
    for item in items:
        where = f"{source}:{item.line}"
        try:
            periods, days = _read_item(item, the_year)
        except _Unreadable as error:
            issues.append(PlanIssue(where, item.name, f"{error}: {''.join(item.original)}"))
            continue
        holidays += [Entry(where, period) for period in periods]
        workdays += [Entry(where, MakeupWorkday(day, item.name)) for day in days]
    return build_arrangement(the_year, holidays, workdays, source=source, issues=issues)


def _split_notice(
    text: str, source: str, issues: list[PlanIssue]
) -> tuple[list[tuple[int, str]], list[_Item]]:
    """The lines before the first numbered item (title, number, salutation, preamble) and the items.

    A numbered line without ``名称：`` is added to ``issues``; lines after the items that do not continue
    one (closing, signature, date) carry no arrangement and are dropped.
    """
    items: list[_Item] = []
    header: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line:
            continue
        if NUMBERED.match(line):
            match = ITEM.match(line)
            if match is None:
                issues.append(
                    PlanIssue(
                        f"{source}:{number}",
                        "",
                        f"cannot read this item (no '名称：' after the number): {raw.strip()}",
                    )
                )
                continue
            items.append(_Item(number, match["name"].strip(), match["body"], [raw.strip()]))
        elif items and _continues(items[-1], line):
            items[-1].text += line
            items[-1].original.append(raw.strip())
        elif not items:  # title (maybe over two lines), document number, salutation, preamble
            header.append((number, line))
    return header, items


def _notice_year(
    header: list[tuple[int, str]], year: int | None, source: str, issues: list[PlanIssue]
) -> int:
    """The notice's year: its title's (which ``year``, if given, must agree with), else ``year``, else
    the preamble's (现将20XX年……). Raises ``InvalidHolidayArrangement`` when none names it."""
    header_text = "".join(line for _, line in header)
    title_year: int | None = None
    preamble_year: int | None = None
    if (found := TITLE.search(header_text)) is not None:
        title_year = int(found[1])
        if year is not None and title_year != year:
            issues.append(
                PlanIssue(
                    f"{source}:{_line_at(header, found.start())}",
                    "year",
                    f"the title says {title_year}, but {year} was given",
                )
            )
    elif (found := PREAMBLE_YEAR.search(header_text)) is not None:
        preamble_year = int(found[1])
    the_year = title_year or year or preamble_year
    if the_year is None:
        missing = (
            "the notice names no year (no title 国务院办公厅关于20XX年部分节假日安排的通知): give the year"
        )
        raise InvalidHolidayArrangement([*issues, PlanIssue(source, "year", missing)], source)
    return the_year


def _line_at(header: list[tuple[int, str]], position: int) -> int:
    """The line number of the header line holding ``position`` of the joined header text."""
    offset = 0
    for number, line in header:
        offset += len(line)
        if offset > position:
            return number
    return 0


def _continues(item: _Item, line: str) -> bool:
    """Whether a line after an item is the rest of it (the notice was copied with hard line breaks)."""
    if not item.text.rstrip().endswith("。"):
        return True
    # A wrapped item may also break right after a sentence: its next sentence still names dates and
    # says 放假 or 上班, which no closing paragraph does.
    return bool(HAS_DATE.search(line)) and ("放假" in line or "上班" in line) and "通知" not in line


class _Unreadable(Exception):
    """An item's text does not say which days are off or worked."""


def _read_item(item: _Item, year: int) -> tuple[list[HolidayPeriod], list[date]]:
    sentences = [s.strip(" ,") for s in SENTENCE_END.split(item.text) if s.strip(" ,")]
    raw_dates = [m for s in sentences for m in re.finditer(r"(\d{1,2})\s*月", s)]
    crosses_year = "元旦" in item.name or (
        any(int(m[1]) == 12 for m in raw_dates) and any(int(m[1]) == 1 for m in raw_dates)
    )
    periods: list[HolidayPeriod] = []
    workdays: list[date] = []
    for sentence in sentences:
        if "放假" in sentence:
            periods.append(_read_holiday(sentence, item.name, year, crosses_year))
        elif sentence.endswith("上班"):
            workdays += _read_workdays(sentence[: -len("上班")], year, crosses_year)
        # anything else is advice (鼓励……休息), not arrangement
    if not periods:
        raise _Unreadable("no holiday period (…放假) in this item")
    return periods, workdays


def _read_holiday(sentence: str, name: str, year: int, crosses_year: bool) -> HolidayPeriod:
    head, _, tail = sentence.partition("放假")
    match = RANGE.match(head.strip(" ,"))
    if match is None:
        raise _Unreadable(f"cannot read the dates '{head.strip()}' before 放假")
    start = _date_of(match, "a")
    if start.month is None:
        raise _Unreadable(f"'{head.strip()}' names no month")
    first = _resolve(start, year, crosses_year)
    last = first
    if match["bd"] is not None:
        end = _date_of(match, "b")
        end_month = end.month or first.month
        end_year = end.year
        if end_year is None:
            end_year = first.year if (end_month, end.day) >= (first.month, first.day) else first.year + 1
        last = _checked(_Date(end_year, end_month, end.day, end.note))
    if last < first:
        raise _Unreadable(f"the range ends ({last}) before it starts ({first})")
    if "与周末连休" in tail or "与周末连休" in head:
        # "1月1日放假，与周末连休": the adjoining Saturday and Sunday are part of the holiday.
        while (first - timedelta(days=1)).weekday() >= 5:
            first -= timedelta(days=1)
        while (last + timedelta(days=1)).weekday() >= 5:
            last += timedelta(days=1)
    period = HolidayPeriod(name, first, last)
    if (count := COUNT.search(sentence)) is not None and int(count[1]) != period.length:
        raise _Unreadable(
            f"it says {count[1]} days, but {first.month}月{first.day}日 to {last.month}月{last.day}日 "
            f"is {period.length}"
        )
    return period


def _read_workdays(text: str, year: int, crosses_year: bool) -> list[date]:
    days = []
    for part in re.split(r"[、,和及]", text):
        part = part.strip()
        if not part:
            continue
        match = ONE_DATE.match(part)
        if match is None:
            raise _Unreadable(f"cannot read the make-up working day '{part}' before 上班")
        found = _date_of(match, "a")
        if found.month is None:
            raise _Unreadable(f"the make-up working day '{part}' names no month")
        days.append(_resolve(found, year, crosses_year))
    if not days:
        raise _Unreadable("no date before 上班")
    return days


def _date_of(match: re.Match[str], prefix: str) -> _Date:
    year, month = match[f"{prefix}y"], match[f"{prefix}m"]
    return _Date(
        int(year) if year else None,
        int(month) if month else None,
        int(match[f"{prefix}d"]),
        match[f"{prefix}note"],
    )


def _resolve(found: _Date, year: int, crosses_year: bool) -> date:
    """The date a notice of ``year`` means: December of an item crossing into January is the year before."""
    assert found.month is not None
    the_year = found.year
    if the_year is None:
        the_year = year - 1 if found.month == 12 and crosses_year else year
    return _checked(_Date(the_year, found.month, found.day, found.note))


def _checked(found: _Date) -> date:
    assert found.year is not None and found.month is not None
    try:
        day = date(found.year, found.month, found.day)
    except ValueError:
        raise _Unreadable(f"{found.year}年{found.month}月{found.day}日 is not a date") from None
    if found.note and (weekday := WEEKDAY_IN_NOTE.search(found.note)):
        written = WEEKDAY_CHARS[weekday[1]]
        if written != day.weekday():
            raise _Unreadable(
                f"{found.month}月{found.day}日 ({day}) is a {WEEKDAY_NAMES[day.weekday()]}, "
                f"not {WEEKDAY_NAMES[written]} as written"
            )
    return day
