"""Pure domain rules, tested with plain objects: no database, no Prefect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from models.clock import Clock
from models.enums import MeasureStatus
from models.errors import InvalidDeadline, InvalidTransition
from models.rules import (
    Light,
    MeasureState,
    check_transition,
    chinese_ordinal,
    derive_state,
    format_chinese_date,
    is_finished,
    is_overdue,
    parse_deadline,
    status_after_report,
)
from models.workdays import ChinaCalendar, WeekdayCalendar, WorkingCalendar

CALENDAR = ChinaCalendar()


def on(day: date, calendar: WorkingCalendar = CALENDAR) -> Clock:
    """The rules' clock at noon of ``day`` in Shanghai."""
    return Clock(calendar, "Asia/Shanghai", datetime.combine(day, time(12), tzinfo=ZoneInfo("Asia/Shanghai")))


@dataclass
class Facts:
    status: MeasureStatus = MeasureStatus.IN_PROGRESS
    deadline: date | None = date(2023, 12, 29)


@pytest.mark.parametrize(
    ("today", "state", "light", "left"),
    [
        (date(2023, 12, 1), MeasureState.ON_TRACK, Light.GREEN, 20),
        (date(2023, 12, 22), MeasureState.DUE_SOON, Light.YELLOW, 5),
        (date(2023, 12, 28), MeasureState.DUE_SOON, Light.YELLOW, 1),
        (date(2023, 12, 29), MeasureState.DUE_TODAY, Light.YELLOW, 0),
        (date(2024, 1, 2), MeasureState.OVERDUE, Light.RED, -1),  # 2024-01-01 is a holiday
    ],
)
def test_a_dated_measure_moves_from_green_to_red(
    today: date, state: MeasureState, light: Light, left: int
) -> None:
    assessment = derive_state(
        Facts(),
        on(today, CALENDAR),
    )

    assert (assessment.state, assessment.light, assessment.workdays_left) == (state, light, left)


def test_an_ongoing_measure_is_never_overdue() -> None:
    assessment = derive_state(Facts(deadline=None), on(date(2030, 1, 1), WeekdayCalendar()))

    assert assessment.state == MeasureState.ON_TRACK
    assert assessment.workdays_left is None


def test_a_missing_period_report_turns_a_measure_yellow_but_not_an_overdue_one_back() -> None:
    ongoing = derive_state(Facts(deadline=None), on(date(2023, 12, 1), CALENDAR), report_missing=True)
    overdue = derive_state(Facts(), on(date(2024, 1, 5), CALENDAR), report_missing=True)

    assert (ongoing.state, ongoing.light) == (MeasureState.MISSING_REPORT, Light.YELLOW)
    assert (overdue.state, overdue.light) == (MeasureState.OVERDUE, Light.RED)


@pytest.mark.parametrize(
    ("status", "state"), [(MeasureStatus.DONE, "done"), (MeasureStatus.CLOSED, "closed")]
)
def test_done_and_closed_measures_are_green_whatever_the_date(status: MeasureStatus, state: str) -> None:
    assessment = derive_state(Facts(status=status), on(date(2024, 6, 1), CALENDAR))

    assert (assessment.state.value, assessment.light) == (state, Light.GREEN)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS),
        (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE),
        (MeasureStatus.DONE, MeasureStatus.CLOSED),
        (MeasureStatus.DONE, MeasureStatus.IN_PROGRESS),  # 退回
        (MeasureStatus.CLOSED, MeasureStatus.IN_PROGRESS),  # reopened
    ],
)
def test_allowed_transitions(current: MeasureStatus, target: MeasureStatus) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (MeasureStatus.PLANNED, MeasureStatus.CLOSED),
        (MeasureStatus.IN_PROGRESS, MeasureStatus.CLOSED),
        (MeasureStatus.CLOSED, MeasureStatus.DONE),
        (MeasureStatus.IN_PROGRESS, MeasureStatus.PLANNED),
    ],
)
def test_refused_transitions_name_both_statuses(current: MeasureStatus, target: MeasureStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"{current.value}.*{target.value}"):
        check_transition(current, target)


def test_a_report_moves_status_but_never_reopens_a_closed_measure() -> None:
    assert status_after_report(MeasureStatus.PLANNED, claimed_done=False) == MeasureStatus.IN_PROGRESS
    assert status_after_report(MeasureStatus.IN_PROGRESS, claimed_done=True) == MeasureStatus.DONE
    assert status_after_report(MeasureStatus.DONE, claimed_done=False) == MeasureStatus.DONE
    assert status_after_report(MeasureStatus.CLOSED, claimed_done=True) == MeasureStatus.CLOSED


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (35, "三十五"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (697, "六百九十七"),
    ],
)
def test_chinese_ordinals(number: int, text: str) -> None:
    assert chinese_ordinal(number) == text


def test_notice_dates_have_no_zero_padding() -> None:
    assert format_chinese_date(date(2023, 6, 9)) == "2023年6月9日"
    assert format_chinese_date(date(2023, 10, 19)) == "2023年10月19日"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2023-12-31", "2023-12-31"),
        (date(2023, 12, 31), "2023-12-31"),
        ("2023年12月31日", "2023-12-31"),
        ("20个工作日", "20个工作日"),
        ("15工作日内", "15个工作日"),
        ("长期坚持", "长期坚持"),
        (None, "长期坚持"),
    ],
)
def test_deadline_specs(written: object, expected: str) -> None:
    assert str(parse_deadline(written)) == expected


@pytest.mark.parametrize("written", ["下个月", "2023-13-01", "0个工作日", "年底前"])
def test_unreadable_deadlines_are_refused(written: str) -> None:
    with pytest.raises(InvalidDeadline):
        parse_deadline(written)


def test_working_day_deadlines_resolve_on_the_official_calendar() -> None:
    assert parse_deadline("10个工作日").resolve(date(2023, 10, 19), CALENDAR) == date(2023, 11, 2)
    assert parse_deadline("1个工作日").resolve(date(2023, 9, 28), CALENDAR) == date(2023, 10, 7)


def test_overdue_is_unfinished_past_the_deadline_and_never_for_ongoing_measures() -> None:
    day = date(2024, 1, 2)
    assert is_overdue(MeasureStatus.IN_PROGRESS, date(2023, 12, 29), day)
    assert is_overdue(MeasureStatus.PLANNED, date(2024, 1, 1), day)
    assert not is_overdue(MeasureStatus.IN_PROGRESS, day, day)  # due today is not late yet
    assert not is_overdue(MeasureStatus.IN_PROGRESS, None, day)  # 长期坚持
    for finished in (MeasureStatus.DONE, MeasureStatus.CLOSED):
        assert is_finished(finished)
        assert not is_overdue(finished, date(2023, 12, 29), day)
    # The derived state agrees with the rule.
    assert derive_state(Facts(), on(day, CALENDAR)).state == MeasureState.OVERDUE
    assert derive_state(Facts(status=MeasureStatus.DONE), on(day, CALENDAR)).state == MeasureState.DONE


def test_status_as_of_replays_reports_through_the_intake_rule() -> None:
    from models.enums import MeasureStatus
    from models.rules import LaterReport, status_as_of

    in_progress, done = LaterReport(False, False), LaterReport(True, False)
    assert status_as_of(None, ()) == MeasureStatus.PLANNED
    assert status_as_of(None, (in_progress,)) == MeasureStatus.IN_PROGRESS
    assert status_as_of("in_progress", (done, in_progress)) == MeasureStatus.DONE
    assert status_as_of("closed", (in_progress, done)) == MeasureStatus.CLOSED
    assert status_as_of("done", (LaterReport(False, True),)) == MeasureStatus.IN_PROGRESS
