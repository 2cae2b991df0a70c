"""Imported holiday arrangements in the ledger (SQLite and PostgreSQL): stored, replaced with history, loaded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.db import Database
from models.holiday_notice import parse_holiday_notice
from models.tables import CalendarImport, ImportedDay
from models.workdays import CalendarSource, ChinaCalendar
from tasks.calendar.files import read_arrangement
from tasks.calendar.ledger import (
    compare_imported_with_package,
    import_history,
    import_source_text,
    imported_arrangements,
    latest_import,
    record_arrangement,
)

DATA = Path(__file__).parents[1] / "data" / "calendar"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def record(session: Any, text: str, name: str, *, by: str = "张三", now: datetime = NOW) -> Any:
    arrangement = read_arrangement(text, source=name)
    return record_arrangement(
        session,
        arrangement,
        source_name=name,
        source_format="yaml" if name.endswith(".yaml") else "notice",
        source_text=text,
        imported_by=by,
        now=now,
    )


def test_an_imported_notice_is_loaded_back_as_the_same_arrangement(database: Database) -> None:
    text = (DATA / "2026.txt").read_text(encoding="utf-8")
    with database.unit_of_work() as session:
        recorded = record(session, text, "2026.txt")
        session.commit()

    assert (
        recorded.preview.package == []
        and recorded.preview.previous is None
        and recorded.preview.changes == []
    )
    with database.unit_of_work() as session:
        loaded = imported_arrangements(session)
        stored = latest_import(session, 2026)
        assert stored is not None
        assert (stored.imported_by, stored.source_name, stored.source_format) == (
            "张三",
            "2026.txt",
            "notice",
        )
        assert import_source_text(session, stored.id) == text and stored.imported_at == NOW
        assert (stored.holidays, stored.workdays, stored.package_disagreements) == (33, 6, 0)
    assert loaded == (parse_holiday_notice(text),)
    calendar = ChinaCalendar(imported=loaded)
    assert calendar.source(2026) is CalendarSource.IMPORTED
    assert calendar.is_workday(date(2026, 2, 14)) and not calendar.is_workday(date(2026, 2, 23))


def test_a_new_import_of_a_year_replaces_its_days_and_keeps_the_history(database: Database) -> None:
    first = (DATA / "2027-example.yaml").read_text(encoding="utf-8")
    # The State Council's text differs from the draft typed earlier: 春节 one day shorter, one 调休 less.
    second = first.replace("to: 2027-02-13", "to: 2027-02-12").replace("2027-02-20, ", "")
    with database.unit_of_work() as session:
        record(session, first, "2027.yaml", by="李四")
        session.commit()
    with database.unit_of_work() as session:
        recorded = record(session, second, "2027.yaml", now=datetime(2026, 11, 21, tzinfo=UTC))
        session.commit()

    assert recorded.preview.previous is not None and recorded.preview.previous.imported_by == "李四"
    assert recorded.preview.package is None  # chinesecalendar has no 2027
    assert [(c.day, c.first, c.second) for c in recorded.preview.changes] == [
        (date(2027, 2, 20), "at work (调休)", "weekend"),
    ]
    with database.unit_of_work() as session:
        history = import_history(session, 2027)
        assert [h.imported_by for h in history] == ["张三", "李四"]
        assert session.scalar(select(func.count()).select_from(ImportedDay)) == 28 + 4  # days off, 调休 days
        (loaded,) = imported_arrangements(session)
    calendar = ChinaCalendar(fallback="error", imported=(loaded,))
    assert not calendar.is_workday(date(2027, 2, 12)) and calendar.is_workday(date(2027, 2, 15))
    assert calendar.last_published_year() == 2027


def test_recording_writes_nothing_until_the_caller_commits(database: Database) -> None:
    with database.unit_of_work() as session:
        record(session, (DATA / "2025.txt").read_text(encoding="utf-8"), "2025.txt")

    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(CalendarImport)) == 0
        assert imported_arrangements(session) == ()


def test_imported_years_are_compared_with_the_package(database: Database) -> None:
    wrong = (DATA / "2025.txt").read_text(encoding="utf-8").replace("4月27日（周日）上班。", "")
    with database.unit_of_work() as session:
        recorded = record(session, wrong, "2025.txt")
        record(session, (DATA / "2027-example.yaml").read_text(encoding="utf-8"), "2027.yaml")
        session.commit()
        compared = compare_imported_with_package(session)

    assert recorded.record.package_disagreements == 1
    assert compared[2027] is None
    (difference,) = compared[2025] or []
    assert (difference.day, difference.first, difference.second) == (
        date(2025, 4, 27),
        "at work (调休，劳动节)",
        "weekend",
    )
