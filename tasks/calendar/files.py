"""Read a year's holiday arrangement from a file's text: the State Council's notice or its YAML form.

The YAML form, for a bureau that types the arrangement rather than pasting the notice::

    year: 2027
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
      - {name: 清明节, from: 2027-04-05}        # one day: `to` may be left out
    workdays: [2027-02-20]                     # 调休 working days

Both forms are checked alike (``models.holiday_arrangement.build_arrangement``); every problem names
its line. Pure: text in, value out (the caller reads the file).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.errors import InvalidHolidayArrangement, InvalidPlan, PlanIssue
from models.holiday_arrangement import (
    Entry,
    HolidayArrangement,
    HolidayPeriod,
    MakeupWorkday,
    build_arrangement,
)
from models.holiday_notice import parse_holiday_notice
from models.yaml_positions import Located, load_located

NOTICE_SUFFIXES = (".txt", ".text")
YAML_SUFFIXES = (".yaml", ".yml")


def arrangement_format(filename: str) -> str:
    """``notice`` or ``yaml`` by the file's extension; an ``InvalidHolidayArrangement`` otherwise."""
    lowered = filename.lower()
    if lowered.endswith(NOTICE_SUFFIXES):
        return "notice"
    if lowered.endswith(YAML_SUFFIXES):
        return "yaml"
    accepted = ", ".join((*NOTICE_SUFFIXES, *YAML_SUFFIXES))
    raise InvalidHolidayArrangement(
        [PlanIssue(filename, "", f"is neither the notice as text nor YAML (accepted: {accepted})")], filename
    )


def read_arrangement(text: str, *, source: str, year: int | None = None) -> HolidayArrangement:
    """The arrangement in a file's text, read as its extension says (``source`` is the file's name)."""
    if arrangement_format(source) == "notice":
        return parse_holiday_notice(text, year=year, source=source)
    return parse_arrangement_yaml(text, source=source, year=year)


def parse_arrangement_yaml(text: str, *, source: str, year: int | None = None) -> HolidayArrangement:
    """The YAML form of an arrangement; ``year`` when the file names none (or must agree with it)."""
    try:
        located = load_located(text, source)
    except InvalidPlan as error:
        raise InvalidHolidayArrangement(error.issues, source) from None
    data = located.data
    if not isinstance(data, dict):
        raise InvalidHolidayArrangement(
            [PlanIssue(f"{source}:1", "", "expected a mapping with year, holidays and workdays")], source
        )
    issues: list[PlanIssue] = [
        located.issue([key], "unknown key (year, holidays, workdays)")
        for key in data
        if key not in ("year", "holidays", "workdays")
    ]
    the_year = _yaml_year(located, year, issues)
    if the_year is None:
        issues.append(
            PlanIssue(f"{source}:1", "year", "the file names no year: add `year:` or give the year")
        )
        raise InvalidHolidayArrangement(issues, source)
    holidays = _yaml_holidays(located, issues)
    workdays = _yaml_workdays(located, issues)
    return build_arrangement(the_year, holidays, workdays, source=source, issues=issues)


def _yaml_year(located: Located, year: int | None, issues: list[PlanIssue]) -> int | None:
    """The file's ``year:`` (which ``year``, if given, must equal), else ``year``."""
    if "year" not in located.data:
        return year
    written = located.data["year"]
    if not isinstance(written, int) or isinstance(written, bool):
        issues.append(located.issue(["year"], f"'{written}' is not a year"))
    elif year is not None and written != year:
        issues.append(located.issue(["year"], f"the file says {written}, but {year} was given"))
    else:
        return written
    return year


def _yaml_holidays(located: Located, issues: list[PlanIssue]) -> list[Entry[HolidayPeriod]]:
    """The ``holidays:`` list, ``{name, from, to}`` each (``to`` defaults to ``from``)."""
    raw_holidays = located.data.get("holidays")
    if not isinstance(raw_holidays, list):
        issues.append(located.issue(["holidays"], "expected a list of {name, from, to}"))
        return []
    holidays: list[Entry[HolidayPeriod]] = []
    for index, raw in enumerate(raw_holidays):
        path: list[str | int] = ["holidays", index]
        if not isinstance(raw, dict):
            issues.append(located.issue(path, "expected {name, from, to}"))
            continue
        issues += [
            located.issue([*path, key], "unknown key (name, from, to)")
            for key in raw
            if key not in ("name", "from", "to")
        ]
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            issues.append(located.issue([*path, "name"], "the festival's name is missing"))
            name = ""
        first = _date(raw.get("from"), [*path, "from"], located, issues)
        last = _date(
            raw.get("to", raw.get("from")), [*path, "to" if "to" in raw else "from"], located, issues
        )
        if first is not None and last is not None and name:
            holidays.append(Entry(located.where(path), HolidayPeriod(name.strip(), first, last)))
    return holidays


def _yaml_workdays(located: Located, issues: list[PlanIssue]) -> list[Entry[MakeupWorkday]]:
    """The ``workdays:`` list of dates (absent or empty: none)."""
    raw_workdays = located.data.get("workdays")
    if raw_workdays is None:
        return []
    if not isinstance(raw_workdays, list):
        issues.append(located.issue(["workdays"], "expected a list of dates"))
        return []
    workdays: list[Entry[MakeupWorkday]] = []
    for index, raw in enumerate(raw_workdays):
        day = _date(raw, ["workdays", index], located, issues)
        if day is not None:
            workdays.append(Entry(located.where(["workdays", index]), MakeupWorkday(day)))
    return workdays


def _date(value: Any, path: list[str | int], located: Located, issues: list[PlanIssue]) -> date | None:
    if value is None:
        issues.append(located.issue(path, "the date is missing"))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        issues.append(located.issue(path, f"'{value}' is not a date (YYYY-MM-DD)"))
        return None
