"""From 1 November, when next year has no official working days, the coordinator's office gets one message
a week saying so and how to add them; none before November or once the year is imported."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models.db import Database
from models.enums import MessageKind
from models.holiday_notice import parse_holiday_notice
from models.notifications import Policy
from models.settings import Settings
from models.tables import Delivery
from tasks.calendar.ledger import ledger_clock, record_arrangement
from tasks.notify.office import record_calendar_warning
from tests.e2e.test_calendar_cli import NOTICE_2027


def _warn(database: Database, settings: Settings, now: datetime) -> int:
    clock = ledger_clock(database, settings, now)
    with database.unit_of_work() as session:
        _, recorded = record_calendar_warning(session, clock, Policy.from_settings(settings))
        session.commit()
    return recorded.recorded


def _messages(database: Database) -> list[Delivery]:
    with database.unit_of_work() as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.kind == MessageKind.CALENDAR.value)))
        session.expunge_all()
        return rows


def test_one_message_a_week_from_november_until_the_year_is_imported(
    seeded_database: Database, settings: Settings
) -> None:
    assert _warn(seeded_database, settings, datetime(2026, 10, 30, 1, tzinfo=UTC)) == 0  # October: nothing
    first = _warn(seeded_database, settings, datetime(2026, 11, 2, 1, tzinfo=UTC))  # Monday of W45
    assert first == 2  # the coordinator's office: two addresses
    assert _warn(seeded_database, settings, datetime(2026, 11, 6, 1, tzinfo=UTC)) == 0  # same week
    assert _warn(seeded_database, settings, datetime(2026, 11, 9, 1, tzinfo=UTC)) == 2  # next week
    rows = _messages(seeded_database)
    assert len(rows) == 4 and {r.title for r in rows} == {"【提醒】2027年节假日安排尚未导入"}
    assert "zhenggai calendar import 2027.txt" in rows[0].body and "暂定" in rows[0].body
    assert {r.measure_id for r in rows} == {None}

    with seeded_database.unit_of_work() as session:
        record_arrangement(
            session,
            parse_holiday_notice(NOTICE_2027),
            source_name="2027.txt",
            source_format="notice",
            source_text=NOTICE_2027,
            imported_by="test",
            now=datetime(2026, 11, 12, tzinfo=UTC),
        )
        session.commit()
    assert _warn(seeded_database, settings, datetime(2026, 11, 16, 1, tzinfo=UTC)) == 0
