"""Report periods of a cadence: the period that closed, and the one still owed a report (models.periods)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.clock import Clock
from models.periods import missing_period
from models.workdays import ChinaCalendar, package_years

CHINA = ChinaCalendar()
SHANGHAI = "Asia/Shanghai"


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(SHANGHAI))


def clock(text: str) -> Clock:
    return Clock(CHINA, SHANGHAI, at(text))


def missing(cadence: str | None, last_report: str | None, as_of: str, since: str = "2023-10-19") -> bool:
    period = missing_period(
        cadence, since=d(since), last_report_at=at(last_report) if last_report else None, clock=clock(as_of)
    )
    return period is not None


def test_a_weekly_report_is_due_for_the_week_that_closed() -> None:
    # Periods: Mon 10-23 09:00 → Mon 10-30 09:00 → Mon 11-06 09:00.
    assert missing("每周一 09:00", None, "2023-10-30 09:00")  # the week from 10-23 had no report
    assert not missing("每周一 09:00", "2023-10-25 15:00", "2023-10-30 09:00")
    assert missing("每周一 09:00", "2023-10-20 15:00", "2023-10-30 09:00")  # before the period
    assert not missing("每周一 09:00", "2023-10-25 15:00", "2023-11-03 12:00")  # 10-30 week not closed yet
    assert missing("每周一 09:00", "2023-10-25 15:00", "2023-11-06 09:00")


def test_the_missing_period_is_the_closed_week_in_local_time() -> None:
    period = missing_period(
        "每周一 09:00",
        since=d("2023-10-19"),
        last_report_at=at("2023-10-20 15:00"),
        clock=clock("2023-10-31 10:00"),
    )
    assert period == (at("2023-10-23 09:00"), at("2023-10-30 09:00"))
    late = at("2023-10-31 08:00")  # a late report still counts once it arrives
    assert (
        missing_period(
            "每周一 09:00", since=d("2023-10-19"), last_report_at=late, clock=clock("2023-10-31 10:00")
        )
        is None
    )


def test_no_report_is_due_before_a_whole_period_has_passed_since_feedback() -> None:
    assert not missing("每周一 09:00", None, "2023-10-23 09:00")  # period 10-16 → 10-23 starts before 10-19
    assert not missing(None, None, "2023-12-01 09:00")
    assert not missing("每季度末", None, "2023-12-29 09:00")  # 09-28 → 12-29 starts before the feedback


def test_working_day_periods_skip_holidays() -> None:
    # Every working day: the period before 10-09 09:00 began on 10-08 (调休 Sunday).
    assert not missing("每个工作日", "2023-10-08 10:00", "2023-10-09 09:00", since="2023-09-01")
    assert missing("每个工作日", "2023-10-07 10:00", "2023-10-09 09:00", since="2023-09-01")


def test_a_question_about_an_old_year_warns_of_no_unpublished_year(caplog: pytest.LogCaptureFixture) -> None:
    """The demo's 2023 round (status as of 2023-12-29) warned that the year after the last published one had
    no official working days: its cadence schedules carried exceptions up to the calendar's horizon whatever
    the moment asked about. The warning now comes only when an answer needs that year."""
    calendar = ChinaCalendar()  # a calendar of its own: each warns once a year
    unpublished = calendar.horizon_year()
    assert unpublished not in package_years()  # the statutory fallback's provisional year

    def ask(as_of: str) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="models.workdays"):
            missing_period(  # a cadence no other test asks about: nothing answered from a cache
                "每个工作日 17:05",
                since=d("2023-10-19"),
                last_report_at=None,
                clock=Clock(calendar, SHANGHAI, at(as_of)),
            )
        return [record.getMessage() for record in caplog.records]

    assert ask("2023-12-29 18:00") == []
    assert any(
        f"working days of {unpublished} are not published" in m for m in ask(f"{unpublished}-01-15 18:00")
    )
