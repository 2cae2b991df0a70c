"""A year's arrangement from a file: the notice as text or the YAML form, errors naming the line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models.errors import InvalidHolidayArrangement
from models.holiday_arrangement import HolidayPeriod, MakeupWorkday
from tasks.calendar.files import arrangement_format, read_arrangement

DATA = Path(__file__).resolve().parents[3] / "data" / "calendar"


def test_the_yaml_form_reads_periods_single_days_and_workdays() -> None:
    arrangement = read_arrangement(
        (DATA / "2027-example.yaml").read_text(encoding="utf-8"), source="2027.yaml"
    )

    assert arrangement.year == 2027
    assert arrangement.holidays[1] == HolidayPeriod("春节", date(2027, 2, 5), date(2027, 2, 13))
    assert HolidayPeriod("端午节", date(2027, 6, 9), date(2027, 6, 9)) in arrangement.holidays
    assert arrangement.workdays[0] == MakeupWorkday(date(2027, 1, 31))


def test_the_yaml_form_takes_the_year_argument_when_it_names_none() -> None:
    text = "holidays:\n  - {name: 元旦, from: 2028-01-01}\n"

    assert read_arrangement(text, source="a.yml", year=2028).year == 2028
    with pytest.raises(InvalidHolidayArrangement, match="names no year"):
        read_arrangement(text, source="a.yml")
    with pytest.raises(InvalidHolidayArrangement, match=r"a\.yml:1: year: the file says 2027, but 2028"):
        read_arrangement("year: 2027\n" + text, source="a.yml", year=2028)


def test_every_yaml_problem_names_its_line() -> None:
    text = (
        "year: 2027\n"  # 1
        "holidays:\n"  # 2
        "  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"  # 3
        "  - {name: 春节, from: 2027-02-31}\n"  # 4
        "  - {from: 2027-04-05}\n"  # 5
        "  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07, days: 7}\n"  # 6
        "  - {name: 中秋节, from: 2027-10-03}\n"  # 7
        "workdays:\n"  # 8
        "  - 2027-01-02\n"  # 9
        "  - 2027-01-05\n"  # 10
        "  - tomorrow\n"  # 11
    )

    with pytest.raises(InvalidHolidayArrangement) as raised:
        read_arrangement(text, source="2027.yaml")

    issues = {str(issue) for issue in raised.value.issues}
    assert issues == {
        "2027.yaml:4: holidays[1].from: '2027-02-31' is not a date (YYYY-MM-DD)",
        "2027.yaml:5: holidays[2].name: the festival's name is missing",
        "2027.yaml:6: holidays[3].days: unknown key (name, from, to)",
        "2027.yaml:7: 中秋节: 2027-10-03…2027-10-03 overlaps 国庆节 2027-10-01…2027-10-07 (2027.yaml:6)",
        "2027.yaml:9: workdays: 2027-01-02 is worked here but off in 元旦 (2027.yaml:3)",
        "2027.yaml:10: workdays: 2027-01-05 is a 周二: a make-up working day (调休上班) is a Saturday or Sunday",
        "2027.yaml:11: workdays[2]: 'tomorrow' is not a date (YYYY-MM-DD)",
    }


def test_broken_yaml_and_unknown_extensions_are_refused() -> None:
    with pytest.raises(InvalidHolidayArrangement, match=r"x\.yaml:3: not valid YAML"):
        read_arrangement("year: 2027\nholidays: [\n", source="x.yaml")
    with pytest.raises(InvalidHolidayArrangement, match="neither the notice as text nor YAML"):
        arrangement_format("notice.docx")
    assert arrangement_format("国办发明电.TXT") == "notice"
