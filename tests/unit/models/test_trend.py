"""The weekly trend of a round, on plain histories (models.trend): done, overdue and missing at each week's end."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.clock import Clock
from models.enums import MeasureStatus
from models.trend import MeasureHistory, ReportFact, statuses_then, week_mondays, weekly_trend
from models.workdays import ChinaCalendar

SHANGHAI = "Asia/Shanghai"
FEEDBACK = date(2023, 10, 19)  # a Thursday: the first week is Mon 10-16 … Sun 10-22


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(SHANGHAI))


def clock(text: str) -> Clock:
    return Clock(ChinaCalendar(), SHANGHAI, at(text))


def history(
    status: MeasureStatus = MeasureStatus.IN_PROGRESS,
    *,
    deadline: date | None = None,
    cadence: str | None = None,
    changes: tuple[tuple[str, MeasureStatus], ...] = (),
    reports: tuple[tuple[str, bool], ...] = (),
) -> MeasureHistory:
    facts = tuple(ReportFact(at(t), done) for t, done in reports)
    return MeasureHistory(
        status=status,
        deadline=deadline,
        cadence=cadence,
        since=FEEDBACK,
        status_changes=tuple((at(t), s) for t, s in changes),
        reports=facts,
        owed=(tuple(f.at for f in facts),),
    )


def test_the_weeks_run_from_the_feedback_dates_monday_to_todays() -> None:
    assert week_mondays(FEEDBACK, date(2023, 11, 6)) == [
        date(2023, 10, 16),
        date(2023, 10, 23),
        date(2023, 10, 30),
        date(2023, 11, 6),
    ]
    assert weekly_trend([history()], clock("2023-10-01 12:00"), FEEDBACK) == ()  # before the round


def test_a_measure_counts_done_from_the_week_its_done_report_came_and_overdue_before() -> None:
    measure = history(
        MeasureStatus.CLOSED,
        deadline=date(2023, 10, 25),
        changes=(("2023-10-20 10:00", MeasureStatus.IN_PROGRESS), ("2023-11-08 10:00", MeasureStatus.CLOSED)),
        reports=(("2023-10-20 10:00", False), ("2023-11-02 16:00", True)),
    )
    points = weekly_trend([measure], clock("2023-11-09 12:00"), FEEDBACK)
    assert [p.label for p in points] == ["10/16", "10/23", "10/30", "11/6"]
    assert [(p.done, p.overdue) for p in points] == [(0, 0), (0, 1), (1, 0), (1, 0)]
    # The current week is judged now, by the stored status; the others at their Sunday's last instant.
    assert points[-1].judged_at == at("2023-11-09 12:00")
    assert points[0].judged_at.date() == date(2023, 10, 22)


def test_the_status_then_replays_reports_after_the_last_change_by_the_intake_rule() -> None:
    measure = history(
        changes=(("2023-10-20 10:00", MeasureStatus.IN_PROGRESS),),
        reports=(("2023-10-24 10:00", True),),
    )
    moments = [at("2023-10-19 23:00"), at("2023-10-22 23:00"), at("2023-10-29 23:00")]
    assert statuses_then(measure, moments) == [
        MeasureStatus.PLANNED,
        MeasureStatus.IN_PROGRESS,
        MeasureStatus.DONE,
    ]
    # A 退回 at the moment of a done report: the change comes after the report, as the notice reads it.
    returned = history(
        changes=(("2023-10-24 10:00", MeasureStatus.IN_PROGRESS),), reports=(("2023-10-24 10:00", True),)
    )
    assert statuses_then(returned, [at("2023-10-29 23:00")]) == [MeasureStatus.IN_PROGRESS]


def test_a_weekly_measure_is_missing_in_the_weeks_its_report_did_not_come() -> None:
    # Every Monday 09:00: the week from Mon 10-23 is due Mon 10-30; reported in it, not in the next.
    measure = history(cadence="每周一 09:00", reports=(("2023-10-25 15:00", False),))
    points = weekly_trend([measure], clock("2023-11-14 12:00"), FEEDBACK)
    assert [p.missing for p in points] == [0, 0, 0, 1, 1]
    assert [p.count("missing") for p in points] == [p.missing for p in points]


def test_a_collectives_measure_is_missing_while_any_member_owes_its_report() -> None:
    both = MeasureHistory(
        status=MeasureStatus.IN_PROGRESS,
        deadline=None,
        cadence="每周一 09:00",
        since=FEEDBACK,
        owed=((at("2023-10-25 15:00"), at("2023-11-01 15:00")), (at("2023-10-26 15:00"),)),
    )
    points = weekly_trend([both], clock("2023-11-07 12:00"), FEEDBACK)
    assert [p.missing for p in points] == [0, 0, 0, 1]  # the second member has not reported since 10-30


def test_the_past_weeks_alone_are_the_trend_without_its_current_week() -> None:
    measure = history(
        MeasureStatus.DONE,
        deadline=date(2023, 10, 25),
        cadence="每周一 09:00",
        changes=(("2023-10-20 10:00", MeasureStatus.IN_PROGRESS),),
        reports=(("2023-10-25 15:00", False), ("2023-11-08 10:00", True)),
    )
    now = clock("2023-11-09 12:00")
    whole = weekly_trend([measure], now, FEEDBACK)
    assert weekly_trend([measure], now, FEEDBACK, past_only=True) == whole[:-1]
    assert weekly_trend([measure], clock("2023-10-18 12:00"), FEEDBACK, past_only=True) == ()
