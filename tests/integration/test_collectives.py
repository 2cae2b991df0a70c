"""Collectives (各街道办事处) and their members in a real database: the plan's members loaded, reported on
load, exported back; the assessment's seam reading them."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from models.assessment import parse_period
from models.clock import Clock
from models.db import Database
from models.enums import UnitKind
from models.tables import Unit
from models.workdays import WeekdayCalendar
from tasks.assessment.results import compute_ranking
from tasks.ledger.plan_export import export_plan
from tasks.ledger.plan_load import load_plan_file
from tests.factories import make_measure, make_problem, make_report, make_round, make_unit
from tests.support.dump import dump
from tests.support.work import committed, settings_clock

DATA = Path(__file__).parents[1] / "data" / "plans"
PLAN = DATA / "collectives.yaml"
CST = ZoneInfo("Asia/Shanghai")


def assessment_clock() -> Clock:
    return Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2026, 11, 30, 10, tzinfo=CST))


def _parents(database: Database) -> dict[str, str | None]:
    with database.unit_of_work() as session:
        return {u.code: (u.parent.code if u.parent else None) for u in session.scalars(select(Unit))}


def test_members_are_children_of_their_collective(database: Database) -> None:
    changes = committed(database, load_plan_file, PLAN, settings_clock())

    parents = _parents(database)
    assert {code for code, parent in parents.items() if parent == "jiedao"} == {
        "street-1",
        "street-2",
        "street-3",
    }
    assert parents["zhifa"] is None and parents["office"] is None
    assert changes.collectives_without_members == ["zhifa"]
    with database.unit_of_work() as session:
        jiedao = session.scalar(select(Unit).where(Unit.code == "jiedao"))
        assert jiedao is not None and jiedao.kind == UnitKind.COLLECTIVE


def test_reloading_a_plan_with_members_changes_nothing(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    before = dump(database)

    changes = committed(database, load_plan_file, PLAN, settings_clock())

    assert changes.total == 0 and dump(database) == before


def test_a_member_dropped_from_the_list_leaves_its_collective(database: Database, tmp_path: Path) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    path = tmp_path / "fewer.yaml"
    path.write_text(
        PLAN.read_text(encoding="utf-8").replace("[street-1, street-2, street-3]", "[street-1, street-3]"),
        encoding="utf-8",
    )

    changes = committed(database, load_plan_file, path, settings_clock())

    assert changes.changed["units"] == ["street-2"]
    assert _parents(database)["street-2"] is None


def test_export_writes_members_back_and_loads_to_the_same_ledger(database: Database, tmp_path: Path) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    text = committed(database, export_plan, "test-collectives")
    units = {unit["code"]: unit for unit in yaml.safe_load(text)["units"]}
    assert units["jiedao"]["members"] == ["street-1", "street-2", "street-3"]
    assert units["street-1"]["parent"] is None
    assert [code for code, unit in units.items() if "members" in unit] == ["jiedao"]
    before = dump(database)
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")

    changes = committed(database, load_plan_file, path, settings_clock())

    assert changes.total == 0 and dump(database) == before


def test_plan_load_says_which_collectives_have_no_members(cli: object, database: Database) -> None:
    result = cli("plan", "load", str(PLAN))  # type: ignore[operator]

    assert result.exit_code == 0, result.output
    assert "collectives without members (each is one unit): zhifa" in result.output


def test_the_assessment_scores_each_member_of_a_collective_on_its_own_share(database: Database) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(session, code="r-members", feedback_date=date(2026, 11, 2))
        problem = make_problem(session, round_)
        jiedao = make_unit(session, "jiedao", name="各街道办事处", kind=UnitKind.COLLECTIVE)
        street_1 = make_unit(
            session, "street-1", name="示例街道一", kind=UnitKind.STREET_OFFICE, parent=jiedao
        )
        make_unit(session, "street-2", name="示例街道二", kind=UnitKind.STREET_OFFICE, parent=jiedao)
        measure = make_measure(
            session, problem, code="M-1", lead_unit=jiedao, deadline=None, cadence="每周一 09:00"
        )
        # Only 示例街道一 reports the 11-16 → 11-23 period (a day late); 示例街道二 does not report at all.
        make_report(session, measure, unit=street_1, submitted_at=datetime(2026, 11, 24, 15, tzinfo=CST))
        session.commit()
        ranking = compute_ranking(session, "r-members", parse_period("2026-W48"), assessment_clock())

    scores = {score.code: score for score in ranking.scores}
    assert set(scores) == {"street-1", "street-2"}  # the collective is scored through its members
    assert {line.rule for line in scores["street-1"].lines} == {"report_late"}
    assert "report_late" not in {line.rule for line in scores["street-2"].lines}
    assert scores["street-1"].total != scores["street-2"].total
    assert all(score.collective == "jiedao" for score in scores.values())
