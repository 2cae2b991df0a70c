"""Imported holiday arrangements in the ledger: record an import, load the imported years, compare.

Every import is kept (``CalendarImport``: who, when, the file's name and text); the days of a year
(``ImportedDay``) are those of its latest import, replaced whole by the next. Functions that change
the ledger take a session and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.holiday_arrangement import (
    DayDifference,
    HolidayArrangement,
    arrangement_from_days,
    compare_arrangements,
    compare_with_package,
)
from models.tables import CalendarImport, ImportedDay

if TYPE_CHECKING:
    from models.clock import Clock
    from models.db import Database
    from models.settings import Settings
    from models.workdays import ChinaCalendar


@dataclass(frozen=True)
class ImportRecord:
    """One import as the history shows it (the source text stays in the ledger)."""

    id: int
    year: int
    imported_at: datetime
    imported_by: str
    source_name: str
    source_format: str
    holidays: int
    workdays: int
    package_disagreements: int | None

    @classmethod
    def of(cls, row: CalendarImport) -> ImportRecord:
        return cls(
            id=row.id,
            year=row.year,
            imported_at=row.imported_at,
            imported_by=row.imported_by,
            source_name=row.source_name,
            source_format=row.source_format,
            holidays=row.holidays,
            workdays=row.workdays,
            package_disagreements=row.package_disagreements,
        )


@dataclass(frozen=True)
class ImportPreview:
    """What importing an arrangement would do: the import it replaces, the days that change, the package."""

    arrangement: HolidayArrangement
    previous: ImportRecord | None
    changes: list[DayDifference]  # first: the previous import, second: this one
    package: list[DayDifference] | None  # first: chinesecalendar, second: this import (None: no data)


@dataclass(frozen=True)
class RecordedImport:
    """What an import stored: the new record, and what it changed."""

    record: ImportRecord
    preview: ImportPreview


def preview_import(session: Session, arrangement: HolidayArrangement) -> ImportPreview:
    """What storing ``arrangement`` would replace and change (reads only: what ``--dry-run`` shows)."""
    before = imported_arrangements(session, years=[arrangement.year])
    return ImportPreview(
        arrangement=arrangement,
        previous=latest_import(session, arrangement.year),
        changes=compare_arrangements(before[0], arrangement) if before else [],
        package=compare_with_package(arrangement),
    )


def record_arrangement(
    session: Session,
    arrangement: HolidayArrangement,
    *,
    source_name: str,
    source_format: str,
    source_text: str,
    imported_by: str,
    now: datetime,
) -> RecordedImport:
    """Store a year's arrangement, replacing the days of its earlier import (kept in the history)."""
    preview = preview_import(session, arrangement)
    holidays, workdays = arrangement.holiday_days(), arrangement.workday_days()
    record = CalendarImport(
        year=arrangement.year,
        imported_at=now,
        imported_by=imported_by,
        source_name=source_name,
        source_format=source_format,
        source_text=source_text,
        holidays=len(holidays),
        workdays=len(workdays),
        package_disagreements=None if preview.package is None else len(preview.package),
    )
    session.add(record)
    session.flush()
    session.execute(delete(ImportedDay).where(ImportedDay.year == arrangement.year))
    session.add_all(
        [
            ImportedDay(import_id=record.id, year=arrangement.year, day=day, workday=False, festival=name)
            for day, name in sorted(holidays.items())
        ]
        + [
            ImportedDay(import_id=record.id, year=arrangement.year, day=day, workday=True, festival=name)
            for day, name in sorted(workdays.items())
        ]
    )
    session.flush()
    return RecordedImport(record=ImportRecord.of(record), preview=preview)


def imported_arrangements(
    session: Session, *, years: list[int] | None = None
) -> tuple[HolidayArrangement, ...]:
    """The imported years as the calendar takes them (``ChinaCalendar(imported=…)``), oldest first."""
    query = select(ImportedDay).order_by(ImportedDay.year, ImportedDay.day)
    if years is not None:
        query = query.where(ImportedDay.year.in_(years))
    holidays: dict[int, dict[date, str]] = defaultdict(dict)
    workdays: dict[int, dict[date, str | None]] = defaultdict(dict)
    for row in session.scalars(query):
        if row.workday:
            workdays[row.year][row.day] = row.festival
        else:
            holidays[row.year][row.day] = row.festival or ""
    return tuple(
        arrangement_from_days(year, holidays[year], workdays[year])
        for year in sorted(set(holidays) | set(workdays))
    )


def latest_import(session: Session, year: int) -> ImportRecord | None:
    """The import whose days count for ``year``, if any."""
    row = session.scalars(
        select(CalendarImport).where(CalendarImport.year == year).order_by(CalendarImport.id.desc()).limit(1)
    ).first()
    return ImportRecord.of(row) if row is not None else None


def import_source_text(session: Session, import_id: int) -> str | None:
    """The text an import was read from, as given."""
    return session.scalar(select(CalendarImport.source_text).where(CalendarImport.id == import_id))


def import_history(session: Session, year: int | None = None) -> list[ImportRecord]:
    """Every import by year, the newest of each year first (of one year when given)."""
    query = select(CalendarImport).order_by(CalendarImport.year, CalendarImport.id.desc())
    if year is not None:
        query = query.where(CalendarImport.year == year)
    return [ImportRecord.of(row) for row in session.scalars(query)]


def compare_imported_with_package(session: Session) -> dict[int, list[DayDifference] | None]:
    """For each imported year, the days chinesecalendar decides otherwise (None: it has no data)."""
    return {
        arrangement.year: compare_with_package(arrangement) for arrangement in imported_arrangements(session)
    }


def ledger_calendar(session: Session, settings: Settings) -> ChinaCalendar:
    """The one calendar every rule reads: the years imported into this ledger over chinesecalendar's,
    then the configured fallback (``Settings.working_calendar``)."""
    return settings.working_calendar(imported=imported_arrangements(session))


def ledger_clock(database: Database, settings: Settings, now: datetime | None = None) -> Clock:
    """``Settings.clock`` on the ledger's calendar (``ledger_calendar``): what deadlines, cadences, the
    sweep, the notice, the API and ``status`` judge with."""
    with database.unit_of_work() as session:
        calendar = ledger_calendar(session, settings)
    return settings.clock(now, calendar=calendar)
