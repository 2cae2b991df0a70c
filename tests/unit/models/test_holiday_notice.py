"""The State Council's holiday notice, read as published: the arrangement equals chinesecalendar's data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from models.errors import InvalidHolidayArrangement
from models.holiday_arrangement import HolidayPeriod, MakeupWorkday, compare_with_package
from models.holiday_notice import parse_holiday_notice

NOTICES = Path(__file__).resolve().parents[2] / "data" / "calendar"


def read_notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year, 12, 31) - first).days + 1)]


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_a_published_notice_equals_the_package_day_by_day(year: int) -> None:
    arrangement = parse_holiday_notice(read_notice(year), source=f"{year}.txt")

    assert arrangement.year == year
    holidays, workdays = arrangement.holiday_days(), arrangement.workday_days()
    for day in days_of(year):
        assert arrangement.is_workday(day) == chinese_calendar.is_workday(day), day
        # 调休 working days: exactly the package's.
        assert (day in workdays) == (day in chinese_calendar.workdays), day
        # Days off on weekdays: exactly the package's, under the festival the package names.
        if day.weekday() < 5:
            assert (day in holidays) == (day in chinese_calendar.holidays), day
    for day, festival in holidays.items():
        assert day in chinese_calendar.holidays or day.weekday() >= 5, day
        if day.weekday() < 5:
            package_name = chinese_calendar.get_holiday_detail(day)[1]
            assert package_name is not None
            assert _cn(package_name) in festival, (day, festival, package_name)
    assert compare_with_package(arrangement) == []


def _cn(name: str) -> str:
    from models.holiday_arrangement import PACKAGE_FESTIVAL_NAMES

    return PACKAGE_FESTIVAL_NAMES[name]


def test_the_2026_spring_festival_item_as_the_issue_quotes_it() -> None:
    arrangement = parse_holiday_notice(read_notice(2026))

    assert HolidayPeriod("春节", date(2026, 2, 15), date(2026, 2, 23)) in arrangement.holidays
    assert MakeupWorkday(date(2026, 2, 14), "春节") in arrangement.workdays
    assert MakeupWorkday(date(2026, 2, 28), "春节") in arrangement.workdays


def test_ranges_across_months_and_single_days_and_weekend_joined_days() -> None:
    may = parse_holiday_notice(read_notice(2025))
    weekend_joined = parse_holiday_notice(read_notice(2024))

    assert HolidayPeriod("端午节", date(2025, 5, 31), date(2025, 6, 2)) in may.holidays
    assert HolidayPeriod("元旦", date(2025, 1, 1), date(2025, 1, 1)) in may.holidays
    # 1月1日放假，与周末连休: the Saturday and Sunday before are part of 元旦.
    assert HolidayPeriod("元旦", date(2023, 12, 30), date(2024, 1, 1)) in weekend_joined.holidays
    assert HolidayPeriod("端午节", date(2024, 6, 8), date(2024, 6, 10)) in weekend_joined.holidays
    # Advice in an item (鼓励……安排职工在除夕（2月9日）休息) is not arrangement.
    assert weekend_joined.is_workday(date(2024, 2, 9))


def test_new_year_items_starting_in_december_belong_to_the_notice_year() -> None:
    explicit = parse_holiday_notice(read_notice(2023))
    # The 2019 notice, its years left out as some copies do.
    implicit = parse_holiday_notice(
        "国务院办公厅关于2019年部分节假日安排的通知\n"
        "一、元旦：12月30日至1月1日放假调休，共3天。12月29日（星期六）上班。\n"
        "二、春节：2月4日至10日放假调休，共7天。2月2日（星期六）、2月3日（星期日）上班。\n"
    )

    assert explicit.holidays[0] == HolidayPeriod("元旦", date(2022, 12, 31), date(2023, 1, 2))
    assert implicit.holidays[0] == HolidayPeriod("元旦", date(2018, 12, 30), date(2019, 1, 1))
    assert implicit.workdays[0] == MakeupWorkday(date(2018, 12, 29), "元旦")
    assert chinese_calendar.is_workday(date(2018, 12, 29))


def test_the_year_comes_from_the_title_else_the_argument() -> None:
    body = "一、元旦：1月1日（周五）放假，共1天。\n"

    assert parse_holiday_notice(body, year=2027).year == 2027
    with pytest.raises(InvalidHolidayArrangement, match="names no year"):
        parse_holiday_notice(body)
    with pytest.raises(InvalidHolidayArrangement, match=r"n\.txt:1: year: the title says 2026, but 2027"):
        parse_holiday_notice(read_notice(2026).replace("\n\n", "\n"), year=2027, source="n.txt")


def test_full_width_digits_and_an_item_wrapped_over_lines() -> None:
    text = (
        "国务院办公厅关于２０２６年部分节假日安排的通知\n"
        "二、春节：２月１５日（周日）至２３日（周一）放假调休，\n"
        "共９天。\n"
        "２月１４日（周六）、２月２８日（周六）上班。\n"
        "国务院办公厅\n"
    )

    arrangement = parse_holiday_notice(text)

    assert arrangement.holidays == (HolidayPeriod("春节", date(2026, 2, 15), date(2026, 2, 23)),)
    assert [w.day for w in arrangement.workdays] == [date(2026, 2, 14), date(2026, 2, 28)]


def test_a_weekday_that_contradicts_its_date_is_an_error_naming_the_line() -> None:
    text = read_notice(2026).replace("2月14日（周六）", "2月14日（周日）")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("二、"))

    with pytest.raises(InvalidHolidayArrangement) as raised:
        parse_holiday_notice(text, source="2026.txt")

    message = str(raised.value)
    assert f"2026.txt:{line}: 春节: 2月14日 (2026-02-14) is a 周六, not 周日 as written" in message
    assert "nothing was written" in message


def test_every_unreadable_item_is_listed_and_nothing_is_returned() -> None:
    text = (
        "国务院办公厅关于2026年部分节假日安排的通知\n"
        "一、元旦：1月1日（周四）至3日（周六）放假调休，共4天。1月4日（周日）上班。\n"
        "二、春节：二月十五日至二十三日放假调休。\n"
        "三、清明节4月4日至6日放假\n"
        "四、劳动节：5月1日至5日放假调休，共5天。5月9日（周六）、五月十日上班。\n"
        "五、端午节：6月19日至21日照常休息。\n"
        "六、中秋节：9月31日放假。\n"
    )

    with pytest.raises(InvalidHolidayArrangement) as raised:
        parse_holiday_notice(text, source="bad.txt")

    lines = {str(issue).split(":")[1] for issue in raised.value.issues}
    assert lines == {"2", "3", "4", "5", "6", "7"}
    message = str(raised.value)
    assert "it says 4 days, but 1月1日 to 1月3日 is 3" in message
    assert "cannot read the dates '二月十五日至二十三日'" in message
    assert "no '名称：' after the number" in message
    assert "cannot read the make-up working day '五月十日'" in message
    assert "no holiday period" in message
    assert "2026年9月31日 is not a date" in message


def test_a_text_without_items_is_not_a_notice() -> None:
    with pytest.raises(InvalidHolidayArrangement, match="no numbered item"):
        parse_holiday_notice("国务院办公厅关于2026年部分节假日安排的通知\n经国务院批准……\n")


def test_a_make_up_day_inside_a_holiday_or_on_a_weekday_is_refused() -> None:
    text = (
        "国务院办公厅关于2026年部分节假日安排的通知\n"
        "一、春节：2月15日至23日放假调休，共9天。2月16日、2月27日上班。\n"
    )

    with pytest.raises(InvalidHolidayArrangement) as raised:
        parse_holiday_notice(text, source="n.txt")

    message = str(raised.value)
    assert "2026-02-16 is worked here but off in 春节 (n.txt:2)" in message
    assert "2026-02-27 is a 周五" in message
