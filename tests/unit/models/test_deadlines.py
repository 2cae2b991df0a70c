"""Deadline reminders: offsets in working days before, on the day, then every working day after."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from models.deadlines import deadline_schedule, due_day, reminder_days_before, reminder_steps
from models.workdays import ChinaCalendar, WeekdayCalendar

CHINA = ChinaCalendar()
NINE = time(9, 0)


def d(text: str) -> date:
    return date.fromisoformat(text)


def run_days(spec_deadline: str, first: str, last: str, offsets: list[int] | None = None) -> list[date]:
    spec = deadline_schedule(d(spec_deadline), offsets or [5, 3, 1, 0], NINE, CHINA)
    runs = spec.occurrences(datetime.combine(d(first), time.min), datetime.combine(d(last), time.max))
    assert {r.time() for r in runs} <= {NINE}
    return [r.date() for r in runs]


def test_a_sunday_deadline_is_reminded_on_the_friday_before_and_every_working_day_after() -> None:
    # 2023-12-31 is a Sunday; 2024-01-01 is 元旦.
    assert run_days("2023-12-31", "2023-12-18", "2024-01-05") == [
        d("2023-12-25"),  # 5 working days before
        d("2023-12-27"),  # 3
        d("2023-12-29"),  # 1, and "on the day" (the last working day before a Sunday deadline)
        d("2024-01-02"),
        d("2024-01-03"),
        d("2024-01-04"),
        d("2024-01-05"),
    ]


def test_national_day_counts_in_working_days_and_makeup_days_remind() -> None:
    # Deadline on 2023-10-06 (a holiday): working days before it are 09-28, 09-27, 09-26…
    assert run_days("2023-10-06", "2023-09-18", "2023-10-10") == [
        d("2023-09-22"),
        d("2023-09-26"),
        d("2023-09-28"),
        d("2023-10-07"),  # 调休 Saturday
        d("2023-10-08"),  # 调休 Sunday
        d("2023-10-09"),
        d("2023-10-10"),
    ]


def test_reminders_before_are_working_days() -> None:
    days = reminder_days_before(d("2024-02-19"), [5, 3, 1, 0], CHINA)
    # 02-10…02-17 Spring Festival; 02-18 (Sun) is a make-up workday.
    assert days == [d("2024-02-06"), d("2024-02-08"), d("2024-02-18"), d("2024-02-19")]


def test_schedule_is_an_rrule_set_with_dtstart_after_the_deadline() -> None:
    spec = deadline_schedule(d("2023-12-31"), [5, 3, 1, 0], NINE, CHINA)
    assert spec.kind == "rrule"
    assert spec.value.startswith("DTSTART:20240101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9")
    assert "RDATE:20231225T090000,20231227T090000,20231229T090000" in spec.value
    assert "20240101T090000" in spec.value.split("EXDATE:")[1]  # 元旦 excluded


def test_a_deadline_beyond_the_horizon_still_reminds_before_it() -> None:
    calendar = WeekdayCalendar()
    spec = deadline_schedule(d("2024-01-10"), [1], time(10, 30), calendar, until=d("2023-12-31"))
    runs = spec.occurrences(datetime(2024, 1, 1), datetime(2024, 1, 12, 23))
    assert [r.date() for r in runs] == [d("2024-01-09"), d("2024-01-11"), d("2024-01-12")]
    assert {r.time() for r in runs} == {time(10, 30)}


def test_exceptions_from_drops_past_ones_and_keeps_the_runs() -> None:
    full = deadline_schedule(d("2023-12-31"), [5, 3, 1, 0], NINE, CHINA)
    lean = deadline_schedule(d("2023-12-31"), [5, 3, 1, 0], NINE, CHINA, exceptions_from=d("2025-01-01"))
    assert len(lean.value) < len(full.value) and "20240101T090000" not in lean.value
    assert "RDATE:2023" not in lean.value  # the reminders before it are past: left out
    window = (datetime(2025, 1, 1), datetime(2025, 12, 31, 23))
    assert lean.occurrences(*window) == full.occurrences(*window)


@pytest.mark.parametrize("deadline", ["2023-12-31", "2024-06-03", "2024-06-20", "2024-07-05", "2024-10-08"])
@pytest.mark.parametrize("start", ["2024-06-01", "2024-07-01"])
def test_a_deadline_schedule_from_this_month_has_every_run_of_the_full_one_to_the_horizon(
    deadline: str, start: str
) -> None:
    """Reminders and daily chasing from the 1st of the month to the horizon: the same runs, to the minute
    (a deadline in the past, earlier this month, later this month, next month, after a holiday)."""
    full = deadline_schedule(d(deadline), [5, 3, 1, 0], NINE, CHINA)
    lean = deadline_schedule(d(deadline), [5, 3, 1, 0], NINE, CHINA, exceptions_from=d(start))
    assert full.exceptions_until is not None
    window = (datetime.combine(d(start), time.min), datetime.combine(full.exceptions_until, time.max))
    assert lean.occurrences(*window) == full.occurrences(*window) != []
    assert len(lean.value) <= len(full.value)


def test_on_the_day_is_the_last_working_day_on_or_before_the_deadline() -> None:
    assert due_day(d("2023-12-29"), CHINA) == d("2023-12-29")  # a Friday
    assert due_day(d("2023-12-31"), CHINA) == d("2023-12-29")  # a Sunday
    assert due_day(d("2023-10-06"), CHINA) == d("2023-09-28")  # inside the National Day holiday
    assert due_day(d("2023-10-07"), CHINA) == d("2023-10-07")  # a 调休 Saturday is worked


def test_reminder_steps_are_latest_first_and_day_zero_is_the_due_day() -> None:
    steps = reminder_steps(d("2023-12-31"), (5, 3, 1, 0, -2), CHINA)
    assert steps == [(0, d("2023-12-29")), (1, d("2023-12-29")), (3, d("2023-12-27")), (5, d("2023-12-25"))]
    assert reminder_days_before(d("2023-12-31"), [5, 3, 1, 0], CHINA) == sorted({day for _, day in steps})
