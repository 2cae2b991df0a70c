"""Re-loading a plan keeps what the ledger gained since, refuses removals unless allowed, and dry-runs.

Each of these reverted or wiped the ledger before: a 销号 undone by ``plan load`` of the unchanged seed,
a 退回 undone by ``zhenggai demo``, a cadence set with ``measure schedule`` overwritten, owners and
deadlines removed without a word (issue 12, items 1 to 3).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import EventKind, MeasureStatus
from models.errors import RemovalsRefused
from models.tables import Measure, StatusEvent
from tasks.ledger.cadence import set_cadence
from tasks.ledger.history import record_edit
from tasks.ledger.plan_load import load_plan_file
from tasks.reports.review import ReviewAction, review_measure
from tests.conftest import EXAMPLE_DIR
from tests.support.dump import dump
from tests.support.work import committed, settings_clock

PLAN = EXAMPLE_DIR / "plan.yaml"
MINIMAL = Path(__file__).parents[1] / "data" / "plans" / "minimal.yaml"


def _measure(database: Database, code: str) -> Measure:
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == code))
        assert measure is not None
        session.expunge(measure)  # its columns stay readable after the unit of work ends
        return measure


def _review(database: Database, code: str, action: ReviewAction, actor: str = "督办室") -> None:
    committed(database, review_measure, code, action, reason="核实", actor=actor, now=settings_clock().now)


def _edited(tmp_path: Path, old: str, new: str, source: Path = MINIMAL) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_closed_measure_stays_closed_when_the_unchanged_plan_is_loaded_again(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    assert _measure(database, "XH-05-6").status == MeasureStatus.DONE
    _review(database, "XH-05-6", ReviewAction.ACCEPT)

    changes = committed(database, load_plan_file, PLAN, settings_clock())
    again = committed(database, load_plan_file, PLAN, settings_clock(), take_plan=["status"])

    assert _measure(database, "XH-05-6").status == MeasureStatus.CLOSED
    day = settings_clock().today.isoformat()
    assert changes.kept == [
        f"XH-05-6 状态: 已销号 (plan: 已完成) kept: changed in the ledger on {day} by 督办室"
        "; reopen it with `zhenggai review reopen`"
    ]
    assert changes.total == 0 and not changes.fields
    assert again.kept == changes.kept  # not even --take-plan status un-closes it


def test_a_status_a_reviewer_reached_is_kept_and_taken_from_the_plan_only_when_asked(
    database: Database,
) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    _review(database, "XH-05-6", ReviewAction.RETURN, actor="coordinator")
    assert _measure(database, "XH-05-6").status == MeasureStatus.IN_PROGRESS
    before = dump(database)

    kept = committed(database, load_plan_file, PLAN, settings_clock())

    assert dump(database) == before
    assert len(kept.kept) == 1 and kept.kept[0].startswith(
        "XH-05-6 状态: 推进中 (plan: 已完成) kept: changed"
    )
    assert kept.kept[0].endswith("by coordinator")

    taken = committed(database, load_plan_file, PLAN, settings_clock(), take_plan=["status"])

    assert _measure(database, "XH-05-6").status == MeasureStatus.DONE
    assert taken.changed["measures"] == ["XH-05-6"] and not taken.kept
    assert taken.fields[0].startswith("XH-05-6 状态: 推进中 → 已完成 (the ledger's value of ")
    with database.unit_of_work() as session:
        last = session.scalars(
            select(StatusEvent).where(StatusEvent.kind == EventKind.STATUS).order_by(StatusEvent.id.desc())
        ).first()
        assert last is not None and "--take-plan status" in last.reason and last.actor == "plan load"
    # The plan owns the status again: the next load has nothing to keep.
    assert committed(database, load_plan_file, PLAN, settings_clock()).kept == []


def test_a_cadence_a_deadline_and_an_owner_changed_in_the_ledger_are_kept(
    database: Database, tmp_path: Path
) -> None:
    committed(database, load_plan_file, MINIMAL, settings_clock())
    now = settings_clock().now
    committed(database, set_cadence, "T-01-1", "每周一 09:00", actor="cli", now=now)
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "T-01-2"))
        assert measure is not None
        measure.deadline_spec, measure.deadline = "2024-03-31", None
        record_edit(session, measure, "deadline", "完成时限：→ 2024-03-31（延期）", actor="督办室", now=now)
        session.commit()
    plan = _edited(tmp_path, "text: 制订门前三包实施意见", "text: 制订并印发门前三包实施意见")

    changes = committed(database, load_plan_file, plan, settings_clock())

    assert _measure(database, "T-01-1").cadence == "每周一 09:00"
    assert _measure(database, "T-01-2").deadline_spec == "2024-03-31"
    assert changes.fields == ["T-01-2 措施: 制订门前三包实施意见 → 制订并印发门前三包实施意见"]
    assert changes.kept[0].startswith(
        "T-01-1 频次: 每周一 09:00 (plan: 0 9 * * 1-5) kept: changed in the ledger"
    )
    assert changes.kept[1].startswith("T-01-2 完成时限: 2024-03-31 (plan: 20个工作日")
    assert all(" kept: changed in the ledger on " in line for line in changes.kept)
    assert changes.kept[0].endswith("by cli") and changes.kept[1].endswith("by 督办室")

    taken = committed(database, load_plan_file, plan, settings_clock(), take_plan=["deadline", "cadence"])

    assert _measure(database, "T-01-1").cadence == "0 9 * * 1-5"
    assert _measure(database, "T-01-2").deadline_spec == "20个工作日"
    assert not taken.kept and len(taken.fields) == 2
    with database.unit_of_work() as session:
        reasons = session.scalars(
            select(StatusEvent.reason).where(
                StatusEvent.kind == EventKind.PLAN, StatusEvent.from_value.is_not(None)
            )
        ).all()
    assert sorted(r.split(":")[0] for r in reasons) == [
        "taken from the plan (--take-plan cadence)",
        "taken from the plan (--take-plan deadline)",
    ]


def test_a_measure_added_in_the_ledger_is_not_removed_by_the_plan(database: Database) -> None:
    committed(database, load_plan_file, MINIMAL, settings_clock())
    with database.unit_of_work() as session:
        template = session.scalar(select(Measure).where(Measure.code == "T-01-2"))
        assert template is not None
        added = Measure(
            code="T-01-9",
            problem=template.problem,
            ordinal=9,
            text="桌面新增的措施",
            lead_unit=template.lead_unit,
        )
        session.add(added)
        record_edit(session, added, "measures", "措施：新增", actor="督办室", now=settings_clock().now)
        session.commit()

    changes = committed(database, load_plan_file, MINIMAL, settings_clock())

    assert _measure(database, "T-01-9").removed_at is None
    assert changes.kept and changes.kept[0].startswith("T-01-9 (not in the plan) kept: added to the ledger")
    with pytest.raises(RemovalsRefused):
        committed(database, load_plan_file, MINIMAL, settings_clock(), take_plan=["measures"])
    committed(
        database, load_plan_file, MINIMAL, settings_clock(), take_plan=["measures"], allow_removals=True
    )
    assert _measure(database, "T-01-9").removed_at is not None


@pytest.mark.parametrize(
    ("old", "new", "removal"),
    [
        (
            "        lead_unit: jiedao\n        deadline: 20个工作日",
            "        deadline: 20个工作日",
            "T-01-2 责任单位: jiedao → —",
        ),
        ('        cadence: "0 9 * * 1-5"\n', "", "T-01-1 频次: 0 9 * * 1-5 → —"),
        ("deadline: 20个工作日", "deadline: 长期坚持", "T-01-2 完成时限: 20个工作日"),
        ("      - code: T-01-1\n", "      - code: T-01-3\n", "T-01-1 removed"),
    ],
)
def test_a_load_that_would_remove_refuses_and_writes_nothing_unless_allowed(
    database: Database, tmp_path: Path, old: str, new: str, removal: str
) -> None:
    committed(database, load_plan_file, MINIMAL, settings_clock())
    before = dump(database)
    plan = _edited(tmp_path, old, new)

    with pytest.raises(RemovalsRefused) as refused:
        committed(database, load_plan_file, plan, settings_clock(), allow_unassigned=True)

    assert dump(database) == before
    assert len(refused.value.removals) == 1 and refused.value.removals[0].startswith(removal)
    assert "--allow-removals" in str(refused.value) and "nothing was written" in str(refused.value)
    changes = committed(
        database, load_plan_file, plan, settings_clock(), allow_unassigned=True, allow_removals=True
    )
    assert changes.removals == refused.value.removals


def test_plan_load_dry_run_prints_the_diff_writes_nothing_and_exits_0_even_for_removals(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    assert cli("plan", "load", MINIMAL).exit_code == 0
    before = dump(database)
    plan = _edited(tmp_path, "      - code: T-01-1\n", "      - code: T-01-3\n")
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("deadline: 20个工作日", "deadline: 2023-12-31"),
        encoding="utf-8",
    )

    dry = cli("plan", "load", plan, "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dump(database) == before
    assert "dry run, nothing written: would make measures: 1 added, 1 changed, 1 removed" in dry.output
    assert "  + T-01-3 added" in dry.output
    assert "  ~ T-01-2 完成时限: 20个工作日 (" in dry.output and "→ 2023-12-31" in dry.output
    assert "  - T-01-1 removed" in dry.output
    assert "refused without --allow-removals" in dry.output

    refused = cli("plan", "load", plan)
    assert refused.exit_code == 1 and "T-01-1 removed" in refused.output
    assert dump(database) == before

    loaded = cli("plan", "load", plan, "--allow-removals")
    assert loaded.exit_code == 0, loaded.output
    assert "  - T-01-1 removed" in loaded.output and "  + T-01-3 added" in loaded.output
    assert "dry run" not in loaded.output


def test_plan_load_dry_run_of_an_invalid_file_exits_1(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    plan = _edited(
        tmp_path,
        "lead_unit: jiedao\n        deadline: 20个工作日",
        "lead_unit: nowhere\n        deadline: 20个工作日",
    )

    result = cli("plan", "load", plan, "--dry-run")

    assert result.exit_code == 1 and "nowhere" in result.output


def test_the_demo_run_again_keeps_a_return(database: Database, cli: Callable[..., Any]) -> None:
    assert cli("demo").exit_code == 0
    code = next(m.code for m in _all(database) if m.status == MeasureStatus.DONE)
    _review(database, code, ReviewAction.RETURN)

    again = cli("demo")

    assert again.exit_code == 0, again.output
    assert _measure(database, code).status == MeasureStatus.IN_PROGRESS
    assert f"= {code} 状态: 推进中 (plan: 已完成) kept: changed in the ledger on" in again.output


def _all(database: Database) -> list[Measure]:
    with database.unit_of_work() as session:
        measures = list(session.scalars(select(Measure).order_by(Measure.code)))
        session.expunge_all()
        return measures


def test_importing_the_notice_into_the_demos_round_refuses_to_wipe_it_and_records_no_duplicate(
    database: Database, cli: Callable[..., Any]
) -> None:
    from models.tables import Report

    notice = (
        "import",
        "notice",
        EXAMPLE_DIR / "notice.txt",
        "--round",
        "xinhua-2023-xc2",
        "--code-prefix",
        "XH",
    )
    assert cli("demo").exit_code == 0
    before = dump(database)

    dry = cli(*notice, "--load", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dump(database) == before
    assert "dry run, nothing written" in dry.output
    assert "  ~ XH-01-1 责任单位: dangzu → —" in dry.output
    assert "refused without --allow-removals" in dry.output

    refused = cli(*notice, "--load")

    assert refused.exit_code == 1
    assert "XH-01-1 责任单位: dangzu → —" in refused.output and "nothing was written" in refused.output
    assert dump(database) == before

    # Taken as the file says (owners removed on purpose): the notice's outcomes are the demo's reports.
    loaded = cli(*notice, "--load", "--allow-removals")

    assert loaded.exit_code == 0, loaded.output
    assert "reports: 0 recorded, 28 already recorded" in loaded.output
    with database.unit_of_work() as session:
        assert len(session.scalars(select(Report)).all()) == 28


def test_a_ledger_import_of_an_older_workbook_keeps_the_status_a_reviewer_reached(
    seeded_database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    from tasks.exchange.excel_export import export_ledger

    code = next(m.code for m in _all(seeded_database) if m.status == MeasureStatus.DONE)
    workbook = tmp_path / "台账.xlsx"
    committed(seeded_database, export_ledger, "xinhua-2023-xc2", workbook, settings_clock())
    _review(seeded_database, code, ReviewAction.ACCEPT)
    before = dump(seeded_database)

    dry = cli("ledger", "import", workbook, "--dry-run")
    loaded = cli("ledger", "import", workbook)

    assert dry.exit_code == 0 and loaded.exit_code == 0, loaded.output
    assert dump(seeded_database) == before
    kept = f"= {code} 状态: 已销号 (plan: 已完成) kept: changed in the ledger on"
    assert kept in dry.output and kept in loaded.output
    assert _measure(seeded_database, code).status == MeasureStatus.CLOSED
