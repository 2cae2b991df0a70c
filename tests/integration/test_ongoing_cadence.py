"""长期坚持 measures are asked for progress: the round's ``ongoing_cadence`` (default 每月最后一个工作日
09:00, settable in the plan) gives them a schedule, a period without a report is 未按期报送 (黄) and
reminded like any cadence, and ``plan load`` lists the measures that took it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.cadence import DEFAULT_ONGOING_CADENCE, cadence_schedule
from models.clock import Clock
from models.db import Database
from models.errors import InvalidPlan
from models.rules import Light, MeasureState
from models.tables import Measure, Round
from models.workdays import ChinaCalendar
from tasks.ledger.plan_load import load_plan_file
from tasks.ledger.queries import measure_views
from tasks.schedule.deployments import wanted_deployments
from tests.conftest import EXAMPLE_DIR

CHINA = ChinaCalendar()
SHANGHAI = "Asia/Shanghai"


def _ongoing_codes(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        return sorted(
            session.scalars(select(Measure.code).where(Measure.deadline.is_(None), Measure.cadence.is_(None)))
        )


def test_ongoing_measures_get_the_rounds_default_cadence(seeded_database: Database) -> None:
    codes = _ongoing_codes(seeded_database)
    assert len(codes) == 12
    clock = Clock(CHINA, SHANGHAI, datetime(2023, 12, 1, 2, tzinfo=UTC))
    with seeded_database.unit_of_work() as session:
        wants = {
            w.name: w
            for w in wanted_deployments(session, clock, reminder_offsets=[5, 3, 1, 0], reminder_hour=time(9))
        }
    expected = cadence_schedule(DEFAULT_ONGOING_CADENCE, CHINA, date(2023, 10, 19), today=clock.today)
    for code in codes:
        (schedule,) = wants[code].schedules  # before: none, nothing ever asked them for a report
        assert (schedule.slug, schedule.value) == ("cadence", expected.value)
        assert "每月最后一个工作日 09:00（长期坚持" in wants[code].description


def test_an_ongoing_measure_without_a_report_in_the_period_is_yellow(seeded_database: Database) -> None:
    code = _ongoing_codes(seeded_database)[0]
    # judged on 2024-03-01: February closed on its last working day (2024-02-29) with no report since
    clock = Clock(CHINA, SHANGHAI, datetime(2024, 3, 1, 3, tzinfo=UTC))
    with seeded_database.unit_of_work() as session:
        (view,) = measure_views(session, clock, measure_code=code)
    assert view.cadence == DEFAULT_ONGOING_CADENCE
    assert view.missing_period is not None
    assert view.state is MeasureState.MISSING_REPORT and view.light is Light.YELLOW


def test_the_plan_sets_the_ongoing_cadence_and_load_lists_who_took_it(
    database: Database, cli: Any, tmp_path: Path
) -> None:
    loaded = cli("plan", "load", EXAMPLE_DIR / "plan.yaml")
    assert loaded.exit_code == 0, loaded.output
    assert "长期坚持 without a cadence, asked for progress 每月最后一个工作日 09:00" in loaded.output
    codes = _ongoing_codes(database)
    assert ", ".join(codes) in loaded.output

    plan = tmp_path / "plan.yaml"
    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    plan.write_text(
        text.replace(
            "  coordinator: duban-office\n", "  coordinator: duban-office\n  ongoing_cadence: 每周五 16:00\n"
        )
    )
    again = cli("plan", "load", plan)
    assert again.exit_code == 0, again.output
    assert "asked for progress 每周五 16:00" in again.output
    with database.unit_of_work() as session:
        assert session.scalar(select(Round.ongoing_cadence)) == "每周五 16:00"
    exported = cli("plan", "export", "--round", "xinhua-2023-xc2")
    assert "ongoing_cadence: 每周五 16:00" in exported.output


def test_a_bad_ongoing_cadence_names_the_field(database: Database, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    plan.write_text(
        text.replace(
            "  coordinator: duban-office\n", "  coordinator: duban-office\n  ongoing_cadence: 偶尔\n"
        )
    )
    clock = Clock(CHINA, SHANGHAI, datetime(2023, 12, 1, 2, tzinfo=UTC))
    with database.unit_of_work() as session, pytest.raises(InvalidPlan) as raised:
        load_plan_file(session, plan, clock)
    assert "round.ongoing_cadence" in str(raised.value) and ":21" in str(raised.value)
