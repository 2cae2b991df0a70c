"""The desk's recurring-checks tests and screenshots: a holiday imported into the ledger on a Monday a few
weeks ahead (the portal's ledger runs on the wall clock), so that a weekly check's next runs skip it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models.db import Database
from models.holiday_arrangement import HolidayArrangement, HolidayPeriod

HOLIDAY = "示例假日"


def holiday_monday(database: Database, today: date) -> date:
    """Import a one-day holiday on the third Monday after ``today`` (``zhenggai calendar import``'s rule:
    that year's arrangement is the import's); returns the day."""
    from tasks.calendar.ledger import record_arrangement

    monday = today + timedelta(days=7 - today.weekday() + 14)
    arrangement = HolidayArrangement(year=monday.year, holidays=(HolidayPeriod(HOLIDAY, monday, monday),))
    with database.unit_of_work() as session:
        record_arrangement(
            session,
            arrangement,
            source_name="test-holiday.yaml",
            source_format="yaml",
            source_text="",
            imported_by="test",
            now=datetime.now(UTC),
        )
        session.commit()
    return monday
