"""Loading plan files into a real database: the seed, re-loads, edits, export round trips, broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.db import Database
from models.enums import MeasureStatus
from models.errors import InvalidPlan
from models.tables import Measure, Problem, Round, StatusEvent
from tasks.ledger.plan_export import export_plan
from tasks.ledger.plan_load import load_plan_file
from tests.conftest import EXAMPLE_DIR, SEED_ROUND
from tests.support.dump import dump
from tests.support.work import committed, settings_clock

DATA = Path(__file__).parents[1] / "data" / "plans"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))


def test_seed_plan_loads_nine_problems_with_owned_measures(database: Database) -> None:
    changes = committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())

    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == SEED_ROUND))
        assert round_ is not None
        assert [p.ordinal for p in round_.problems] == list(range(1, 10))
        assert round_.problems[0].title == "学习未能真正“入脑入心”"
        measures = session.scalars(select(Measure)).all()
        assert len(measures) == changes.count("added", "measures") > 9
        assert all(m.lead_unit is not None for m in measures)
        plan_events = select(func.count()).select_from(StatusEvent).where(StatusEvent.kind == "plan")
        assert session.scalar(plan_events) == len(measures)
        # A status the plan sets on a new measure is history too (the notice reads statuses as of a date).
        done = [m for m in measures if m.status == MeasureStatus.DONE]
        status_events = session.scalars(select(StatusEvent).where(StatusEvent.kind == "status")).all()
        assert done and sorted(e.measure_id for e in status_events) == sorted(m.id for m in done)
        assert {(e.from_value, e.to_value) for e in status_events} == {("planned", "done")}


def test_reloading_the_seed_plan_changes_nothing(database: Database) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    before = dump(database)

    changes = committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())

    assert changes.total == 0
    assert changes.summary() == "0 changes"
    assert dump(database) == before


def test_an_edited_plan_updates_by_code_and_reports_the_changes(database: Database, tmp_path: Path) -> None:
    committed(database, load_plan_file, DATA / "minimal.yaml", settings_clock())
    edited = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    edited = edited.replace("text: 制订门前三包实施意见", "text: 制订并印发门前三包实施意见")
    edited = edited.replace(
        "      - code: T-01-1\n", "      - code: T-01-3\n"
    )  # T-01-1 removed, T-01-3 added
    path = tmp_path / "edited.yaml"
    path.write_text(edited, encoding="utf-8")

    changes = committed(database, load_plan_file, path, settings_clock(), allow_removals=True)

    assert changes.added["measures"] == ["T-01-3"]
    assert changes.changed["measures"] == ["T-01-2"]
    assert changes.removed["measures"] == ["T-01-1"]
    assert changes.summary().startswith("measures: 1 added, 1 changed, 1 removed")
    with database.unit_of_work() as session:
        removed = session.scalar(select(Measure).where(Measure.code == "T-01-1"))
        assert removed is not None and removed.removed_at is not None  # history is kept
        assert (
            session.scalar(select(func.count()).select_from(Measure).where(Measure.removed_at.is_(None))) == 2
        )

    # The removed code comes back when the original plan is loaded again.
    changes = committed(
        database, load_plan_file, DATA / "minimal.yaml", settings_clock(), allow_removals=True
    )
    assert changes.added.get("measures") is None
    assert sorted(changes.changed["measures"]) == ["T-01-1", "T-01-2"]
    assert changes.removed["measures"] == ["T-01-3"]


def test_working_day_deadlines_count_from_the_feedback_date(database: Database) -> None:
    committed(database, load_plan_file, DATA / "minimal.yaml", settings_clock())
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "T-01-2"))
        assert measure is not None
        # 2023-09-15 + 20 working days: the National Day week is off, 10-07 and 10-08 are make-up workdays.
        assert str(measure.deadline) == "2023-10-19"
        assert measure.deadline_spec == "20个工作日"


def test_export_loads_back_to_the_same_ledger(seeded_database: Database, tmp_path: Path) -> None:
    text = committed(seeded_database, export_plan, SEED_ROUND)
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    before = dump(seeded_database)

    changes = committed(seeded_database, load_plan_file, path, settings_clock())

    assert changes.total == 0
    assert dump(seeded_database) == before
    assert "20个工作日" in text or "长期坚持" in text


def test_plan_status_changes_are_recorded(database: Database, tmp_path: Path) -> None:
    committed(database, load_plan_file, DATA / "minimal.yaml", settings_clock())
    text = (
        (DATA / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("        deadline: 20个工作日", "        deadline: 20个工作日\n        status: in_progress")
    )
    path = tmp_path / "status.yaml"
    path.write_text(text, encoding="utf-8")

    committed(database, load_plan_file, path, settings_clock())

    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "T-01-2"))
        assert measure is not None and measure.status == MeasureStatus.IN_PROGRESS
        event = session.scalar(select(StatusEvent).where(StatusEvent.kind == "status"))
        assert event is not None and (event.from_value, event.to_value) == ("planned", "in_progress")


def _expectation(path: Path) -> tuple[str, str, str]:
    match = re.match(r"# expect: (\d+) \| ([^|]*) \| (.*)$", path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} needs an '# expect: LINE | FIELD | MESSAGE' header"
    return match.group(1), match.group(2).strip(), match.group(3).strip()


def test_the_broken_corpus_is_large_enough() -> None:
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_plan_is_refused_with_its_place_and_writes_nothing(
    database: Database, path: Path, tmp_path: Path
) -> None:
    # Start from a ledger that already holds something, so "unchanged" means something.
    committed(database, load_plan_file, DATA / "minimal.yaml", settings_clock())
    before = dump(database)
    line, field, message = _expectation(path)

    with pytest.raises(InvalidPlan) as raised:
        committed(database, load_plan_file, path, settings_clock())

    text = str(raised.value)
    assert f"{path}:{line}:" in text, text
    assert field in text, text
    assert message in text, text
    assert dump(database) == before


def test_every_error_of_a_file_is_reported_at_once(database: Database, tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "lead_unit: jiedao\n        deadline: 长期坚持", "lead_unit: nowhere\n        deadline: 长期坚持"
    )
    text = text.replace("deadline: 20个工作日", "deadline: 下个月")
    path = tmp_path / "two-errors.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidPlan) as raised:
        committed(database, load_plan_file, path, settings_clock())

    assert len(raised.value.issues) == 2
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Problem)) == 0
