"""Cadences in the coordinators' words: parsing, labels, and working-day schedules (hand-checked dates)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from dateutil.rrule import rrulestr

from models.cadence import ACCEPTED_FORMS, Pattern, cadence_schedule, describe_cadence, parse_cadence
from models.clock import Clock
from models.errors import InvalidSchedule
from models.schedules import MAX_RRULE_TEXT, anchor_for, horizon_end
from models.workdays import ChinaCalendar, WeekdayCalendar

CHINA = ChinaCalendar()
ANCHOR = date(2023, 1, 1)
HORIZON = date(2026, 12, 31)


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(first: str, last: str, *, skip: tuple[str, ...] = (), weekends: tuple[str, ...] = ()) -> list[date]:
    """Monday–Friday from first to last, minus ``skip``, plus the weekend days in ``weekends``."""
    out, day = [], d(first)
    while day <= d(last):
        if (day.weekday() < 5 and day.isoformat() not in skip) or day.isoformat() in weekends:
            out.append(day)
        day += timedelta(days=1)
    return out


def dates(text: str) -> list[date]:
    return [d(x) for x in text.split()]


# Hand-checked against the State Council notices (国办发明电〔2022〕16号, 〔2023〕7号):
# 2023-09-29…10-06 off, 10-07 (Sat) and 10-08 (Sun) worked; 2023-12-30…2024-01-01 off;
# 2024-02-10…02-17 off, 02-04 (Sun) and 02-18 (Sun) worked (除夕 02-09 is a working day).
# Each entry: the seed measure's cadence → its run dates in the window, all at 09:00 Asia/Shanghai.
AUTUMN_2023 = (d("2023-10-01"), d("2023-12-31"))
SPRING_2024 = (d("2024-02-01"), d("2024-03-31"))
SEED_TABLE: dict[str, dict[tuple[date, date], list[date]]] = {
    # XH-05-2 市容管理周例会: Mondays; 10-02 (国庆) and 02-12 (春节) are skipped.
    "每周一 09:00": {
        AUTUMN_2023: dates(
            "2023-10-09 2023-10-16 2023-10-23 2023-10-30 2023-11-06 2023-11-13 "
            "2023-11-20 2023-11-27 2023-12-04 2023-12-11 2023-12-18 2023-12-25"
        ),
        SPRING_2024: dates("2024-02-05 2024-02-19 2024-02-26 2024-03-04 2024-03-11 2024-03-18 2024-03-25"),
    },
    # XH-04-1: the first working day of October 2023 is the make-up Saturday 10-07.
    "每月第一个工作日 09:00": {
        AUTUMN_2023: dates("2023-10-07 2023-11-01 2023-12-01"),
        SPRING_2024: dates("2024-02-01 2024-03-01"),
    },
    # XH-05-7 门前三包督导检查: every working day, 调休 weekend days included.
    "每个工作日 09:00": {
        AUTUMN_2023: days(
            "2023-10-01",
            "2023-12-31",
            skip=tuple(f"2023-10-0{i}" for i in range(1, 7)),
            weekends=("2023-10-07", "2023-10-08"),
        ),
        SPRING_2024: days(
            "2024-02-01",
            "2024-03-31",
            skip=tuple(f"2024-02-{i}" for i in range(10, 18)),
            weekends=("2024-02-04", "2024-02-18"),
        ),
    },
    # XH-05-8: the last working day of each quarter (2023-12-29 is a Friday; 12-30/31 are off).
    "每季度末 09:00": {AUTUMN_2023: dates("2023-12-29"), SPRING_2024: dates("2024-03-29")},
}


def test_the_hand_checked_table_is_what_it_says() -> None:
    daily = SEED_TABLE["每个工作日 09:00"]
    assert len(daily[AUTUMN_2023]) == 19 + 22 + 21  # Oct: 10-07, 10-08 and 17 weekdays
    assert d("2023-10-07") in daily[AUTUMN_2023] and d("2023-10-08") in daily[AUTUMN_2023]
    assert d("2023-10-02") not in daily[AUTUMN_2023]
    assert d("2024-02-09") in daily[SPRING_2024] and d("2024-02-12") not in daily[SPRING_2024]
    assert len(daily[SPRING_2024]) == 18 + 21


@pytest.mark.parametrize("text", list(SEED_TABLE))
@pytest.mark.parametrize("window", [AUTUMN_2023, SPRING_2024], ids=["autumn-2023", "spring-festival-2024"])
def test_seed_cadences_fall_on_the_hand_checked_dates(text: str, window: tuple[date, date]) -> None:
    spec = parse_cadence(text).schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    runs = spec.occurrences(datetime.combine(window[0], time.min), datetime.combine(window[1], time.max))
    assert {r.time() for r in runs} == {time(9, 0)}
    assert [r.date() for r in runs] == SEED_TABLE[text][window]


@pytest.mark.parametrize(
    ("text", "pattern", "label"),
    [
        ("每周一 09:00", Pattern.WEEKLY, "每周一 09:00"),
        ("每周一上午9点", Pattern.WEEKLY, "每周一 09:00"),
        ("每星期五下午3点半", Pattern.WEEKLY, "每周五 15:30"),
        ("每周一、三、五 9:30", Pattern.WEEKLY, "每周一、三、五 09:30"),
        ("每月第一个工作日", Pattern.MONTH_WORKDAY, "每月第一个工作日 09:00"),
        ("每月第一个工作日 09:00", Pattern.MONTH_WORKDAY, "每月第一个工作日 09:00"),
        ("每月首个工作日 10点", Pattern.MONTH_WORKDAY, "每月第一个工作日 10:00"),
        ("每月第3个工作日", Pattern.MONTH_WORKDAY, "每月第三个工作日 09:00"),
        ("每月最后一个工作日", Pattern.MONTH_WORKDAY, "每月最后一个工作日 09:00"),
        ("每月末", Pattern.MONTH_WORKDAY, "每月最后一个工作日 09:00"),
        ("每月15号下午3点", Pattern.MONTH_DAY, "每月15日 15:00"),
        ("每季度末 09:00", Pattern.QUARTER_WORKDAY, "每季度末 09:00"),
        ("每季度初", Pattern.QUARTER_WORKDAY, "每季度第一个工作日 09:00"),
        ("每个工作日 09:00", Pattern.WORKDAYS, "每个工作日 09:00"),
        ("每个工作日", Pattern.WORKDAYS, "每个工作日 09:00"),
        ("每天", Pattern.DAILY, "每天 09:00"),
        ("每天 8:30", Pattern.DAILY, "每天 08:30"),
        ("每日 17点", Pattern.DAILY, "每天 17:00"),
        ("0 9 * * 1", Pattern.CRON, "0 9 * * 1"),
        ("RRULE:FREQ=WEEKLY;BYDAY=MO", Pattern.RRULE, "RRULE:FREQ=WEEKLY;BYDAY=MO"),
    ],
)
def test_phrases_parse_and_read_back_in_the_same_words(text: str, pattern: Pattern, label: str) -> None:
    cadence = parse_cadence(text)
    assert cadence.pattern == pattern
    assert cadence.label == label
    assert cadence.text == text
    assert parse_cadence(cadence.label).label == label  # the label itself is an accepted phrase


@pytest.mark.parametrize(
    "text", ["每两周", "每周八", "隔天", "sometimes", "每月32日", "每周一 25:00", "", "61 9 * * *"]
)
def test_unknown_cadences_are_errors_listing_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        parse_cadence(text)
    assert "accepted cadences" in str(caught.value)
    assert "每月第一个工作日" in str(caught.value)


def test_an_invalid_rrule_is_an_error() -> None:
    with pytest.raises(InvalidSchedule, match="invalid RRULE"):
        parse_cadence("RRULE:FREQ=SOMETIMES")


def test_phrase_schedules_are_rrules_with_an_explicit_dtstart() -> None:
    spec = parse_cadence("每周一 09:00").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert spec.kind == "rrule"
    lines = spec.value.splitlines()
    assert lines[0] == "DTSTART:20230101T090000"
    assert lines[1] == "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    assert "20231002T090000" in spec.value  # 国庆 Monday excluded
    assert (spec.exceptions_from, spec.exceptions_until) == (ANCHOR, HORIZON)


def test_workday_exceptions_are_rdate_for_makeup_days_and_exdate_for_holidays() -> None:
    spec = parse_cadence("每个工作日 09:00").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    rdate = next(line for line in spec.value.splitlines() if line.startswith("RDATE:"))
    exdate = next(line for line in spec.value.splitlines() if line.startswith("EXDATE:"))
    assert "20231007T090000" in rdate and "20231008T090000" in rdate
    assert "20231002T090000" in exdate and "20240212T090000" in exdate
    assert len(spec.value) <= MAX_RRULE_TEXT


def test_beyond_the_horizon_the_plain_weekday_rule_continues() -> None:
    spec = parse_cadence("每个工作日").schedule(CHINA, dtstart=ANCHOR, horizon_end=d("2023-12-31"))
    # 2024-02-12 is a holiday, but it lies beyond this horizon: the weekday approximation applies.
    runs = spec.occurrences(datetime(2024, 2, 12), datetime(2024, 2, 12, 23))
    assert [r.date() for r in runs] == [d("2024-02-12")]


def test_schedules_are_deterministic() -> None:
    for text in SEED_TABLE:
        a = parse_cadence(text).schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
        b = parse_cadence(text).schedule(ChinaCalendar(), dtstart=ANCHOR, horizon_end=HORIZON)
        assert a == b


def test_a_long_horizon_drops_the_oldest_exceptions_to_stay_under_the_limit() -> None:
    spec = parse_cadence("每个工作日").schedule(CHINA, dtstart=d("2008-01-01"), horizon_end=HORIZON)
    assert len(spec.value) <= MAX_RRULE_TEXT
    assert spec.exceptions_from is not None and spec.exceptions_from > d("2008-01-01")
    assert spec.value.startswith("DTSTART:20080101T090000")
    runs = spec.occurrences(datetime(2023, 10, 1), datetime(2023, 10, 9, 23))
    assert [r.date() for r in runs] == [d("2023-10-07"), d("2023-10-08"), d("2023-10-09")]
    rrulestr(spec.value, forceset=True)  # still a valid RRule set


def test_plain_phrases_follow_no_calendar() -> None:
    spec = parse_cadence("每天 09:00").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert "EXDATE" not in spec.value and "RDATE" not in spec.value
    assert len(spec.occurrences(datetime(2023, 10, 1), datetime(2023, 10, 7, 23))) == 7
    monthly = parse_cadence("每月15日").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert "EXDATE" not in monthly.value


def test_weekend_phrases_are_not_shifted() -> None:
    spec = parse_cadence("每周六").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    runs = spec.occurrences(datetime(2023, 9, 30), datetime(2023, 10, 14, 23))
    assert [r.date() for r in runs] == [d("2023-09-30"), d("2023-10-07"), d("2023-10-14")]


def test_cron_and_rrule_text_are_taken_as_written() -> None:
    cron = parse_cadence("0  9 * * 1").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert (cron.kind, cron.value) == ("cron", "0 9 * * 1")
    assert [r.date() for r in cron.occurrences(datetime(2023, 10, 1), datetime(2023, 10, 10))] == [
        d("2023-10-02"),
        d("2023-10-09"),
    ]
    bare = parse_cadence("FREQ=WEEKLY;BYDAY=FR").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert bare.value == "DTSTART:20230101T090000\nRRULE:FREQ=WEEKLY;BYDAY=FR"
    anchored = parse_cadence("DTSTART:20230601T083000\nRRULE:FREQ=DAILY").schedule(
        CHINA, dtstart=ANCHOR, horizon_end=HORIZON
    )
    assert anchored.value == "DTSTART:20230601T083000\nRRULE:FREQ=DAILY"
    one_line = parse_cadence("DTSTART:20230601T083000 RRULE:FREQ=DAILY")
    assert one_line.expression == anchored.value


def test_previous_and_next_occurrences() -> None:
    spec = parse_cadence("每周一 09:00").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert spec.previous(datetime(2023, 10, 9, 9, 0)) == datetime(2023, 10, 9, 9, 0)
    assert spec.previous(datetime(2023, 10, 9, 9, 0), inclusive=False) == datetime(2023, 9, 25, 9, 0)
    assert spec.next(datetime(2023, 9, 25, 9, 0)) == [
        datetime(2023, 10, 9, 9, 0),
        datetime(2023, 10, 16, 9, 0),
        datetime(2023, 10, 23, 9, 0),
    ]
    cron = parse_cadence("30 8 * * *").schedule(CHINA, dtstart=ANCHOR, horizon_end=HORIZON)
    assert cron.previous(datetime(2023, 10, 9, 8, 30)) == datetime(2023, 10, 9, 8, 30)
    assert cron.previous(datetime(2023, 10, 9, 8, 30), inclusive=False) == datetime(2023, 10, 8, 8, 30)
    assert cron.next(datetime(2023, 10, 9, 8, 30), 2) == [
        datetime(2023, 10, 10, 8, 30),
        datetime(2023, 10, 11, 8, 30),
    ]


def test_weekday_calendar_gives_plain_weekdays() -> None:
    calendar = WeekdayCalendar(
        holidays=frozenset({d("2024-01-03")}), extra_workdays=frozenset({d("2024-01-06")})
    )
    spec = parse_cadence("每个工作日").schedule(
        calendar, dtstart=d("2024-01-01"), horizon_end=d("2024-01-31")
    )
    runs = spec.occurrences(datetime(2024, 1, 1), datetime(2024, 1, 7, 23))
    assert [r.date() for r in runs] == [d(f"2024-01-0{i}") for i in (1, 2, 4, 5, 6)]


def test_accepted_forms_name_every_phrase_family() -> None:
    for word in ("每天", "每个工作日", "每周一", "每月第一个工作日", "每季度末", "cron", "RRULE"):
        assert word in ACCEPTED_FORMS


SHANGHAI = "Asia/Shanghai"


def at(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(SHANGHAI))


def clock(text: str) -> Clock:
    return Clock(CHINA, SHANGHAI, at(text))


def test_describe_cadence_shows_the_words_and_the_next_three_runs() -> None:
    text = describe_cadence("每周一上午9点", clock("2023-09-26 00:00"))
    assert text == "每周一 09:00（下次：2023-10-09 周一、2023-10-16 周一、2023-10-23 周一）"
    assert describe_cadence("每月第一个工作日", clock("2023-09-26 00:00")).startswith(
        "每月第一个工作日 09:00（下次：2023-10-07 周六、2023-11-01 周三"
    )


def test_describe_cadence_marks_runs_on_provisional_days() -> None:
    """2027 has no official data (chinesecalendar 1.11.0): 元旦 is skipped by law, the runs say 暂定."""
    text = describe_cadence("每月第一个工作日", clock("2026-12-15 00:00"))
    assert (
        text
        == "每月第一个工作日 09:00（下次：2027-01-04 周一（暂定）、2027-02-01 周一（暂定）、2027-03-01 周一（暂定））"
    )
    assert "暂定" not in describe_cadence("每周一", clock("2026-11-01 00:00"), count=2)


def test_the_horizon_follows_the_calendar_data() -> None:
    # the last official year, and with the statutory fallback the next (its holidays fixed by law)
    assert horizon_end(CHINA, d("2023-01-01")) == date(CHINA.last_published_year() + 1, 12, 31)
    weekends = ChinaCalendar(fallback="weekends")
    assert horizon_end(weekends, d("2023-01-01")) == date(CHINA.last_published_year(), 12, 31)
    assert horizon_end(WeekdayCalendar(), d("2023-01-01")) == d("2026-12-31")
    assert anchor_for(d("2023-10-19")) == d("2023-01-01")
    spec = cadence_schedule("每个工作日", CHINA, d("2023-10-19"))
    assert spec.exceptions_until == horizon_end(CHINA, d("2023-01-01"))


def test_registered_schedules_start_their_exceptions_this_month() -> None:
    full = cadence_schedule("每个工作日", CHINA, d("2023-10-19"))
    lean = cadence_schedule("每个工作日", CHINA, d("2023-10-19"), today=d("2024-06-30"))
    assert lean.exceptions_from == d("2024-06-01") and len(lean.value) < len(full.value)
    assert lean.value.startswith("DTSTART:20240601T090000\n")  # starts this month
    assert "20240212T090000" not in lean.value and "20241001T090000" in lean.value  # 国庆 still excluded
    window = (datetime(2024, 6, 1), datetime(2024, 12, 31, 23))
    assert lean.occurrences(*window) == full.occurrences(*window)
    assert lean == cadence_schedule("每个工作日", CHINA, d("2023-10-19"), today=d("2024-06-01"))
    assert lean != cadence_schedule("每个工作日", CHINA, d("2023-10-19"), today=d("2024-07-01"))


@pytest.mark.parametrize(
    "text",
    [
        "每个工作日 09:00",
        "每天 08:00",
        "每周一 09:00",
        "每周一、周四 14:30",
        "每周第一个工作日 09:00",
        "每周最后一个工作日 17:00",
        "每月第一个工作日 09:00",
        "每月最后一个工作日 09:00",
        "每月15日",
        "每季度末",
        "每季度首个工作日 10:00",
    ],
)
@pytest.mark.parametrize("today", ["2023-10-19", "2024-01-01", "2024-02-29", "2025-12-31"])
def test_a_schedule_starting_this_month_has_every_run_of_the_full_one_to_the_horizon(
    text: str, today: str
) -> None:
    """Every run from the 1st of the month to the end of the horizon is the same, to the minute."""
    full = cadence_schedule(text, CHINA, d("2023-10-19"))
    lean = cadence_schedule(text, CHINA, d("2023-10-19"), today=d(today))
    start = d(today).replace(day=1)
    assert lean.value.startswith(f"DTSTART:{start:%Y%m%d}T")
    window = (datetime.combine(start, time.min), datetime.combine(full.exceptions_until or HORIZON, time.max))
    assert lean.occurrences(*window) == full.occurrences(*window) != []


def test_a_raw_rrule_keeps_its_anchor() -> None:
    spec = cadence_schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", CHINA, d("2023-10-19"), today=d("2025-05-01"))
    assert spec.value.startswith("DTSTART:20230101T090000\n")


def test_an_imported_year_extends_the_horizon_with_its_holidays_and_make_up_days() -> None:
    from models.holiday_notice import parse_holiday_notice

    notice_2027 = (
        "国务院办公厅关于2027年部分节假日安排的通知\n"
        "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
        "二、春节：2月5日（周五）至13日（周六）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。\n"
    )
    calendar = ChinaCalendar(imported=(parse_holiday_notice(notice_2027),))

    spec = cadence_schedule("每个工作日", calendar, d("2026-10-19"), today=d("2026-11-20"))

    assert spec.exceptions_until == d("2028-12-31")  # the statutory fallback covers the year after
    runs = [
        o.date()
        for o in rrulestr(spec.value, forceset=True).between(
            datetime(2026, 12, 30), datetime(2027, 2, 22), inc=True
        )
    ]
    assert d("2027-01-01") not in runs and d("2027-02-08") not in runs
    assert d("2027-01-31") in runs and d("2027-02-20") in runs


def test_the_first_working_day_of_each_week_is_a_phrase_on_the_official_calendar() -> None:
    from datetime import datetime

    from models.cadence import Pattern, cadence_schedule, parse_cadence
    from models.workdays import ChinaCalendar

    cadence = parse_cadence("每周第一个工作日 09:00")
    assert (cadence.pattern, cadence.nth, cadence.label) == (
        Pattern.WEEK_WORKDAY,
        1,
        "每周第一个工作日 09:00",
    )
    assert cadence.follows_workdays
    assert parse_cadence("每周最后一个工作日 下午5点").label == "每周最后一个工作日 17:00"
    spec = cadence_schedule("每周第一个工作日 09:00", ChinaCalendar(), date(2025, 8, 29))
    runs = [d.date() for d in spec.occurrences(datetime(2025, 9, 22), datetime(2025, 10, 14))]
    # National Day 2025: 10-01 … 10-08 off; the week of 10-06 starts working on Thursday 10-09.
    assert runs == [date(2025, 9, 22), date(2025, 9, 29), date(2025, 10, 9), date(2025, 10, 13)]
    spring = [d.date() for d in spec.occurrences(datetime(2026, 2, 9), datetime(2026, 2, 25))]
    assert spring == [date(2026, 2, 9), date(2026, 2, 24)]  # the Spring Festival week has no working day


def test_the_week_phrase_stops_at_the_calendar_horizon_inside_week_53() -> None:
    from datetime import datetime

    from models.cadence import cadence_schedule
    from models.workdays import ChinaCalendar

    spec = cadence_schedule("每周第一个工作日 09:00", ChinaCalendar(), date(2026, 3, 1))
    assert [d.date() for d in spec.occurrences(datetime(2026, 12, 20), datetime(2026, 12, 31))] == [
        date(2026, 12, 21),
        date(2026, 12, 28),
    ]
