"""Dates counted on the calendar's fallback (a year without official data) are marked provisional (暂定) in
``status``, ``measure schedule``, messages and the API; an imported year makes them official."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flows.web.schemas import UnitMeasure
from models.db import Database
from models.holiday_notice import parse_holiday_notice
from models.notifications import measure_context
from models.settings import Settings
from models.workdays import ChinaCalendar
from tasks.calendar.ledger import ledger_clock, record_arrangement
from tasks.ledger.queries import measure_views
from tasks.notify.render import render
from tests.e2e.test_calendar_cli import NOTICE_2027
from tests.factories import make_measure, make_unit

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)


def _ledger(database: Database) -> None:
    with database.unit_of_work() as session:
        unit = make_unit(session, "jiedao")
        make_measure(
            session, code="P-2027", lead_unit=unit, deadline=date(2027, 3, 1), deadline_spec="2027-03-01"
        )
        make_measure(
            session, code="P-2026", lead_unit=unit, deadline=date(2026, 12, 30), deadline_spec="2026-12-30"
        )
        session.commit()


def test_a_deadline_in_an_unpublished_year_is_provisional_everywhere(
    database: Database, settings: Settings, cli: Any
) -> None:
    _ledger(database)
    clock = ledger_clock(database, settings, NOW)
    with database.unit_of_work() as session:
        views = {v.code: v for v in measure_views(session, clock)}
    assert views["P-2027"].provisional and not views["P-2026"].provisional
    assert UnitMeasure.of(views["P-2027"], "jiedao").provisional is True
    assert UnitMeasure.of(views["P-2026"], "jiedao").provisional is False

    context = {**measure_context(views["P-2027"], clock), "recipient": "街道"}
    _, body = render("reminder", context)
    assert "完成时限：2027年3月1日（暂定" in body
    _, official = render("reminder", {**measure_context(views["P-2026"], clock), "recipient": "街道"})
    assert "暂定" not in official

    status = cli("status", "--as-of", "2026-12-01")
    assert status.exit_code == 0, status.output
    assert "2027-03-01（暂定）" in status.output and "2026-12-30（暂定）" not in status.output
    assert "zhenggai calendar import" in status.output


def test_an_imported_year_makes_the_dates_official(database: Database, settings: Settings) -> None:
    _ledger(database)
    with database.unit_of_work() as session:
        record_arrangement(
            session,
            parse_holiday_notice(NOTICE_2027),
            source_name="2027.txt",
            source_format="notice",
            source_text=NOTICE_2027,
            imported_by="test",
            now=NOW,
        )
        session.commit()
    clock = ledger_clock(database, settings, NOW)
    assert isinstance(clock.calendar, ChinaCalendar) and clock.calendar.imported_years() == {2027}
    with database.unit_of_work() as session:
        views = {v.code: v for v in measure_views(session, clock)}
    assert not views["P-2027"].provisional
