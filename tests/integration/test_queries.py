"""The status overview the CLI, the API, the 台账 and the sweep all read."""

from __future__ import annotations

from datetime import date

from models.db import Database
from models.workdays import ChinaCalendar
from tasks.ledger.queries import measure_overview

DAY = date(2023, 12, 29)


def test_the_overview_applies_the_cadence_rule_without_being_asked(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        rows = measure_overview(session, today=DAY, calendar=ChinaCalendar(), timezone="Asia/Shanghai")

    states = {row.code: row.state.value for row in rows}
    # The weekly 市容管理周例会 last reported on 2023-12-15: the weeks since lack their report.
    assert states["XH-05-2"] == "missing_report"


def test_a_unit_sees_what_it_leads_and_with_co_units_what_it_co_owns(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:

        def codes(**filters: object) -> set[str]:
            rows = measure_overview(
                session, today=DAY, calendar=ChinaCalendar(), timezone="Asia/Shanghai", **filters
            )
            return {row.code for row in rows}

        led = codes(unit_code="zhifadui")
        owned = codes(unit_code="zhifadui", with_co_units=True)

    assert led < owned
    assert "XH-05-2" in owned - led  # the weekly meeting: 局办公室 leads, the enforcement teams attend
