"""Collectives (各街道办事处) and their members in a real database: the plan's members loaded, reported on
load, exported back; the assessment's seam reading them."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from models.assessment import parse_period
from models.clock import Clock
from models.db import Database
from models.enums import EventKind, MeasureStatus, ReportStatus, UnitKind
from models.errors import InvalidPlan, InvalidReport
from models.notifications import EscalationStep, Level
from models.rules import Light, MeasureState
from models.tables import Measure, StatusEvent, Unit
from models.workdays import WeekdayCalendar
from tasks.assessment.results import compute_ranking
from tasks.exchange.excel_export import export_ledger
from tasks.exchange.excel_members import MEMBERS_SHEET
from tasks.ledger.plan_export import export_plan
from tasks.ledger.plan_load import load_plan_file
from tasks.ledger.queries import measure_views
from tasks.reports.record import ReportInput, record_report
from tasks.reports.review import ReviewAction, review_measure
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
        # The 蓝 step that chased 示例街道二 (keyed for it by the planner) is its share's, not 示例街道一's.
        step = EscalationStep(
            measure.id, "M-1", Level.BLUE, Level.UNIT, 3, date(2026, 11, 20), "—", "street-2"
        )
        session.add(
            StatusEvent(
                measure=measure,
                at=datetime(2026, 11, 25, 9, tzinfo=CST),
                actor="sweep",
                kind=EventKind.ESCALATION,
                to_value="blue",
                dedupe_key=step.dedupe_key,
            )
        )
        session.commit()
        ranking = compute_ranking(session, "r-members", parse_period("2026-W48"), assessment_clock())

    scores = {score.code: score for score in ranking.scores}
    assert set(scores) == {"street-1", "street-2"}  # the collective is scored through its members
    assert {line.rule for line in scores["street-1"].lines} == {"report_late"}
    assert {line.rule for line in scores["street-2"].lines} == {"report_missing", "escalation_blue"}
    assert scores["street-1"].total != scores["street-2"].total
    assert all(score.collective == "jiedao" for score in scores.values())


def _report(database: Database, unit: str, status: ReportStatus, day: int, measure: str = "C-01-1") -> None:
    data = ReportInput(
        measure=measure,
        unit=unit,
        text=f"{unit}进展",
        claimed_status=status,
        submitted_at=datetime(2023, 10, day, 10, tzinfo=CST),
    )
    committed(database, record_report, data, actor="test", clock=members_clock(day))


def members_clock(day: int) -> Clock:
    return Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2023, 10, day, 12, tzinfo=CST))


def _status(database: Database, code: str = "C-01-1") -> MeasureStatus:
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == code))
        assert measure is not None
        return measure.status


def test_the_measure_is_done_when_every_member_has_reported_done(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    _report(database, "street-1", ReportStatus.DONE, 9)
    _report(database, "street-2", ReportStatus.DONE, 10)
    assert _status(database) == MeasureStatus.IN_PROGRESS  # 示例街道三 has not

    _report(database, "street-3", ReportStatus.DONE, 11)

    assert _status(database) == MeasureStatus.DONE


def test_a_returned_measure_needs_every_member_to_report_done_again(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    for day, unit in enumerate(("street-1", "street-2", "street-3"), start=9):
        _report(database, unit, ReportStatus.DONE, day)
    assert _status(database) == MeasureStatus.DONE
    returned_at = datetime(2023, 10, 12, 9, tzinfo=CST)
    committed(
        database,
        review_measure,
        "C-01-1",
        ReviewAction.RETURN,
        reason="台账不全",
        actor="督查室",
        now=returned_at,
    )

    with database.unit_of_work() as session:
        (view,) = measure_views(session, members_clock(12), measure_code="C-01-1")
    # The coordinator's 退回 applies to every member's share: none is done any more.
    assert [str(group) for group in view.progress] == [
        "街道办事处 0/3 已完成（未完成：示例街道一、示例街道二、示例街道三）"
    ]
    _report(database, "street-1", ReportStatus.DONE, 13)
    assert _status(database) == MeasureStatus.IN_PROGRESS  # the other two have not reported done again
    _report(database, "street-2", ReportStatus.DONE, 16)
    _report(database, "street-3", ReportStatus.DONE, 17)
    assert _status(database) == MeasureStatus.DONE


def test_views_show_each_members_share_and_the_laggards(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    _report(database, "street-1", ReportStatus.DONE, 9)
    _report(database, "street-2", ReportStatus.IN_PROGRESS, 10)
    _report(database, "street-1", ReportStatus.DONE, 10, measure="C-01-2")

    with database.unit_of_work() as session:
        views = {v.code: v for v in measure_views(session, members_clock(17), round_code="test-collectives")}
    weekly = views["C-01-1"]
    assert [str(group) for group in weekly.progress] == [
        "街道办事处 1/3 已完成（未完成：示例街道二、示例街道三）"
    ]
    shares = {share.code: share for share in weekly.members}
    # Weekly on Mondays: 10-16 asked for the 10-09 → 10-16 week. 示例街道三 never reported.
    assert not shares["street-1"].report_missing and shares["street-1"].light == Light.GREEN
    assert not shares["street-2"].report_missing
    assert shares["street-3"].report_missing and shares["street-3"].state == MeasureState.MISSING_REPORT
    assert weekly.report_missing and weekly.state == MeasureState.MISSING_REPORT
    # As a co-owner, 各街道办事处's members are counted too; the lead's own state is untouched.
    (co,) = views["C-01-2"].progress
    assert (co.role, co.label) == ("co", "街道办事处 1/3 已完成")
    # A collective without members is one unit, as before.
    assert views["C-01-3"].members == () and views["C-01-3"].progress == []


def test_a_member_overdue_makes_the_measure_overdue(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    for unit in ("street-1", "street-2"):
        _report(database, unit, ReportStatus.DONE, 9)

    with database.unit_of_work() as session:
        (view,) = measure_views(session, members_clock(31).on(date(2023, 11, 2)), measure_code="C-01-1")
    assert view.state == MeasureState.OVERDUE
    (group,) = view.progress
    assert group.overdue and group.laggards == ("示例街道三",)
    assert [share.light for share in view.members] == [Light.GREEN, Light.GREEN, Light.RED]


def test_a_unit_outside_the_collective_cannot_report_for_a_member(database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    with pytest.raises(InvalidReport, match="does not own"):
        _report(database, "office", ReportStatus.DONE, 9)


def test_status_for_a_member_lists_what_its_collective_owns(cli: Any, database: Database) -> None:
    committed(database, load_plan_file, PLAN, settings_clock())
    _report(database, "street-1", ReportStatus.DONE, 9)

    result = cli("status", "--unit", "street-2", "--as-of", "2023-10-17")

    assert result.exit_code == 0, result.output
    assert "C-01-1" in result.output and "C-01-3" not in result.output
    assert "C-01-1 街道办事处 1/3 已完成（未完成：示例街道二、示例街道三）" in result.output
    detail = cli("status", "--measure", "C-01-1", "--as-of", "2023-10-17")
    assert "示例街道一：已完成" in detail.output and "示例街道三：未启动" in detail.output


def test_reports_for_members_is_kept_and_exported(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "reporting.yaml"
    path.write_text(
        PLAN.read_text(encoding="utf-8").replace(
            "    members: [street-1, street-2, street-3]\n",
            "    members: [street-1, street-2, street-3]\n    reports_for_members: true\n",
        ),
        encoding="utf-8",
    )
    committed(database, load_plan_file, path, settings_clock())

    units = {
        u["code"]: u for u in yaml.safe_load(committed(database, export_plan, "test-collectives"))["units"]
    }

    assert units["jiedao"]["reports_for_members"] is True
    assert "reports_for_members" not in units["zhifa"]


def test_only_a_collective_reports_for_members(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(
        PLAN.read_text(encoding="utf-8").replace(
            "    kind: department\n", "    kind: department\n    reports_for_members: true\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidPlan, match="only a unit of kind collective reports for members"):
        committed(database, load_plan_file, path, settings_clock())


def test_the_ledger_workbook_has_one_row_per_member_share(database: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    committed(database, load_plan_file, PLAN, settings_clock())
    _report(database, "street-2", ReportStatus.DONE, 10)
    path = tmp_path / "台账.xlsx"

    count = committed(database, export_ledger, "test-collectives", path, members_clock(17))

    workbook = load_workbook(path)
    assert count == 3 and workbook.sheetnames == ["整改台账", "说明", MEMBERS_SHEET]
    rows = list(workbook[MEMBERS_SHEET].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[4], r[5], r[6]) for r in rows] == [
        ("C-01-1", "示例街道一", "牵头", "未启动"),
        ("C-01-1", "示例街道二", "牵头", "已完成"),
        ("C-01-1", "示例街道三", "牵头", "未启动"),
        ("C-01-2", "示例街道一", "配合", "未启动"),
        ("C-01-2", "示例街道二", "配合", "未启动"),
        ("C-01-2", "示例街道三", "配合", "未启动"),
    ]
    assert rows[1][8] == "2023-10-10 10:00" and rows[0][9] == "黄灯"  # 示例街道一 owes last week's report


def test_the_notice_names_members_not_done_only_when_its_options_ask(
    database: Database, tmp_path: Path
) -> None:
    from tasks.notice.load import load_notice_document

    committed(database, load_plan_file, PLAN, settings_clock())
    _report(database, "street-1", ReportStatus.DONE, 9)
    # The collective's coordinating office writes the joint account the notice quotes.
    _report(database, "jiedao", ReportStatus.IN_PROGRESS, 10)

    def outcome() -> str:
        with database.unit_of_work() as session:
            document = load_notice_document(session, "test-collectives", members_clock(17))
        return "\n".join(document.plain_paragraphs())

    plain = outcome()
    assert "一是jiedao进展" in plain and "尚未完成" not in plain
    asking = tmp_path / "asking.yaml"
    asking.write_text(
        PLAN.read_text(encoding="utf-8").replace(
            "  coordinator: duban\n", "  coordinator: duban\n  notice:\n    name_laggard_members: true\n"
        ),
        encoding="utf-8",
    )
    committed(database, load_plan_file, asking, settings_clock())

    assert "一是jiedao进展（示例街道二、示例街道三尚未完成）" in outcome()


def test_a_member_that_reported_done_is_not_overdue_while_the_others_are(database: Database) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(session, code="r-done", feedback_date=date(2026, 11, 2))
        problem = make_problem(session, round_)
        jiedao = make_unit(session, "jiedao", name="各街道办事处", kind=UnitKind.COLLECTIVE)
        street_1 = make_unit(
            session, "street-1", name="示例街道一", kind=UnitKind.STREET_OFFICE, parent=jiedao
        )
        make_unit(session, "street-2", name="示例街道二", kind=UnitKind.STREET_OFFICE, parent=jiedao)
        measure = make_measure(session, problem, code="D-1", lead_unit=jiedao, deadline=date(2026, 11, 20))
        make_report(
            session,
            measure,
            unit=street_1,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2026, 11, 18, 15, tzinfo=CST),
        )
        session.commit()
        ranking = compute_ranking(session, "r-done", parse_period("2026-W48"), assessment_clock())

    lines = {score.code: {line.rule for line in score.lines} for score in ranking.scores}
    assert "overdue_workday" not in lines["street-1"]  # done two days before the deadline
    assert "overdue_workday" in lines["street-2"]  # the measure is still open for it


def test_members_of_an_ongoing_measure_owe_the_rounds_ongoing_cadence(
    database: Database, tmp_path: Path
) -> None:
    """A 长期坚持 measure (no deadline, no cadence) a collective leads asks each member for the round's
    ongoing cadence (每月最后一个工作日 by default), as a measure with one owner is asked."""
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    ongoing = plan["problems"][0]["measures"][0]
    del ongoing["deadline"], ongoing["cadence"]
    path = tmp_path / "ongoing.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    committed(database, load_plan_file, path, settings_clock())
    _report(database, "street-1", ReportStatus.IN_PROGRESS, 30)

    with database.unit_of_work() as session:
        (view,) = measure_views(session, members_clock(31).on(date(2023, 11, 6)), measure_code="C-01-1")
    shares = {share.code: share for share in view.members}
    # October's last working day (10-31) asked for October: 示例街道一 reported on 10-30, the others never.
    assert not shares["street-1"].report_missing
    assert shares["street-2"].report_missing and shares["street-3"].report_missing
    assert view.report_missing
