"""The table of days off fixed by law is the ``holidays`` package's answer, year by year."""

from __future__ import annotations

from datetime import date

import pytest

from models.holiday_arrangement import computed_statutory_holidays, statutory_holidays
from models.statutory_days import STATUTORY_DAYS, days_of, table_line


@pytest.mark.parametrize("year", sorted(STATUTORY_DAYS))
def test_each_tabled_year_is_what_the_package_computes(year: int) -> None:
    computed = computed_statutory_holidays(year)
    assert days_of(year) == computed
    assert table_line(computed) == STATUTORY_DAYS[year]


def test_a_year_outside_the_table_is_computed() -> None:
    assert days_of(2100) is None
    assert statutory_holidays(2100) == computed_statutory_holidays(2100)
    assert statutory_holidays(2100)[date(2100, 1, 1)] == "元旦"


def test_runs_and_single_days_are_read_back_day_by_day() -> None:
    days = days_of(2028)
    assert days is not None
    assert [days[date(2028, 1, d)] for d in (1, 3)] == ["元旦", "元旦"]
    assert date(2028, 1, 2) not in days
    assert [days[date(2028, 10, d)] for d in (1, 2, 3, 4)] == ["国庆节", "国庆节", "中秋节", "国庆节"]
