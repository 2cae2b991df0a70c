"""Measures as of a moment: the read model the CLI, the API, the 台账, the check and the sweep all read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from models.clock import Clock
from models.db import Database
from models.measure_view import MeasureView
from models.workdays import ChinaCalendar
from tasks.ledger.queries import measure_views

DAY = date(2023, 12, 29)
CLOCK = Clock(ChinaCalendar(), "Asia/Shanghai", datetime(2024, 3, 1, tzinfo=UTC)).on(DAY)


def test_the_views_apply_the_cadence_rule_without_being_asked(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        views = {view.code: view for view in measure_views(session, CLOCK)}

    # The weekly 市容管理周例会 last reported on 2023-12-15: the weeks since lack their report.
    weekly = views["XH-05-2"]
    assert weekly.state.value == "missing_report"
    start, end = weekly.missing_period or (None, None)
    assert start is not None and end is not None and start.date() < end.date() <= DAY
    assert weekly.last_report_at is not None and weekly.last_report_at < start
    dated = views["XH-07-1"]  # 2023-12-31 (a Sunday): two days ahead, due soon
    assert dated.state.value == "due_soon" and dated.workdays_left == 0
    assert dated.leader == dated.leader_role and dated.lead_unit and dated.lead_unit_code


def test_a_unit_sees_what_it_leads_and_with_co_units_what_it_co_owns(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:

        def codes(**filters: object) -> set[str]:
            return {view.code for view in measure_views(session, CLOCK, **filters)}  # type: ignore[arg-type]

        led = codes(unit_code="zhifadui")
        owned = codes(unit_code="zhifadui", with_co_units=True)

    assert led < owned
    assert "XH-05-2" in owned - led  # the weekly meeting: 局办公室 leads, the enforcement teams attend


def test_a_view_as_of_an_earlier_day_sees_only_the_reports_submitted_by_then(
    seeded_database: Database,
) -> None:
    with seeded_database.unit_of_work() as session:
        before = {v.code: v for v in measure_views(session, CLOCK.on(date(2023, 12, 14)))}
        after = {v.code: v for v in measure_views(session, CLOCK)}
    assert all(view.last_report_at is None for view in before.values())  # the seed reports on 12-15
    assert all(view.last_report_at is not None for view in after.values())


def _both_paths(
    database: Database, clock: Clock, **filters: Any
) -> tuple[list[MeasureView], list[MeasureView]]:
    """The views from the column statements (``measure_views``) and from the ORM measures (``views_of``)."""
    from tasks.ledger.queries import live_measures, views_of

    with database.unit_of_work() as session:
        facts = measure_views(session, clock, **filters)
        orm = views_of(session, live_measures(session, **filters), clock)
    return facts, orm


def test_the_views_read_with_plain_statements_equal_those_of_the_orm_measures(
    seeded_database: Database,
) -> None:
    filters: dict[str, Any]
    for filters in (
        {},
        {"round_code": "xinhua-2023-xc2"},
        {"unit_code": "zhifadui"},
        {"unit_code": "zhifadui", "with_co_units": True},
        {"problem_ordinal": 5},
        {"measure_code": "XH-05-2"},
    ):
        facts, orm = _both_paths(seeded_database, CLOCK, **filters)
        assert facts, filters
        assert facts == orm, filters


def test_the_two_paths_agree_on_collectives_members_and_co_units(database: Database) -> None:
    from pathlib import Path

    from tasks.ledger.plan_load import load_plan_file
    from tests.support.work import committed, settings_clock

    plan = Path(__file__).parents[1] / "data" / "plans" / "collectives.yaml"
    committed(database, load_plan_file, plan, settings_clock())
    facts, orm = _both_paths(database, CLOCK.on(date(2026, 10, 17)), round_code="test-collectives")
    assert any(view.members for view in facts)
    assert any(view.co_units for view in facts)
    assert facts == orm
