"""新增逾期: overdue since the last working day before today, on the ledger's calendar."""

from __future__ import annotations

from datetime import date

import pytest

from models.enums import MeasureStatus
from models.rules import is_newly_overdue, is_overdue
from models.workdays import ChinaCalendar, WeekdayCalendar

WEEKDAYS = WeekdayCalendar()
MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("deadline", "newly"),
    [
        (date(2026, 11, 26), False),  # Thursday: overdue since Friday
        (date(2026, 11, 27), True),  # Friday, the last working day before Monday
        (date(2026, 11, 28), True),  # the weekend between: overdue since the desk last looked
        (date(2026, 11, 29), True),
        (MONDAY, False),  # due today: not overdue yet
        (None, False),  # 长期坚持 never is
    ],
)
def test_on_a_monday_fridays_and_the_weekends_deadlines_are_newly_overdue(
    deadline: date | None, newly: bool
) -> None:
    assert is_newly_overdue(MeasureStatus.IN_PROGRESS, deadline, MONDAY, WEEKDAYS) is newly


def test_on_a_tuesday_only_mondays_deadline_is() -> None:
    tuesday = date(2026, 12, 1)
    assert is_newly_overdue(MeasureStatus.PLANNED, MONDAY, tuesday, WEEKDAYS)
    assert not is_newly_overdue(MeasureStatus.PLANNED, date(2026, 11, 27), tuesday, WEEKDAYS)
    assert is_overdue(MeasureStatus.PLANNED, date(2026, 11, 27), tuesday)  # still overdue, not newly


@pytest.mark.parametrize("status", [MeasureStatus.DONE, MeasureStatus.CLOSED])
def test_a_finished_measure_never_is(status: MeasureStatus) -> None:
    assert not is_newly_overdue(status, date(2026, 11, 27), MONDAY, WEEKDAYS)


def test_after_a_holiday_the_deadlines_since_the_last_working_day_before_it_are() -> None:
    # 2023: 中秋节 and 国庆节 from 29 September to 6 October; Saturday 7 October a 调休 working day.
    calendar = ChinaCalendar()
    after = date(2023, 10, 7)
    assert is_newly_overdue(MeasureStatus.IN_PROGRESS, date(2023, 9, 28), after, calendar)
    assert is_newly_overdue(MeasureStatus.IN_PROGRESS, date(2023, 10, 3), after, calendar)
    assert not is_newly_overdue(MeasureStatus.IN_PROGRESS, date(2023, 9, 27), after, calendar)
