"""Assessment from the ledger on SQLite and PostgreSQL: records gathered, periods closed and kept, 加减分."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from models.assessment import ListKind, parse_period
from models.clock import Clock
from models.db import Database
from models.enums import EventKind, MeasureStatus, UnitKind
from models.errors import InvalidAdjustment, InvalidPeriod, PeriodNotClosed, UnknownUnit
from models.tables import AssessmentResult, StatusEvent
from models.workdays import WeekdayCalendar
from tasks.assessment.adjustments import add_adjustment
from tasks.assessment.results import close_period, compute_ranking, period_history, period_result
from tests.factories import make_measure, make_problem, make_report, make_round, make_unit
from tests.support.work import committed, settings_clock

ZONE = "Asia/Shanghai"
CST = ZoneInfo(ZONE)
WEEK = parse_period("2026-W48")
ROUND = "r-assess"


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def clock(month: int = 11, day: int = 30, hour: int = 10) -> Clock:
    return Clock(WeekdayCalendar(), ZONE, local(month, day, hour))


def event(
    session: Session, measure: Any, kind: EventKind, at: datetime, to: str, frm: str | None = None
) -> None:
    session.add(StatusEvent(measure=measure, at=at, actor="test", kind=kind, from_value=frm, to_value=to))
    session.flush()


def seed(session: Session) -> dict[str, Any]:
    """Three units and three measures whose week 2026-W48 the docstrings of the tests spell out."""
    round_ = make_round(session, code=ROUND, feedback_date=date(2026, 11, 2))
    problem = make_problem(session, round_)
    office = make_unit(session, "office", name="局办公室", kind=UnitKind.DEPARTMENT)
    team = make_unit(session, "team", name="执法大队", kind=UnitKind.ENFORCEMENT_TEAM)
    police = make_unit(session, "police", name="区公安分局", kind=UnitKind.EXTERNAL)
    meeting = make_measure(
        session,
        problem,
        code="AS-1",
        lead_unit=office,
        deadline=None,
        cadence="每周一 09:00",
        co_units=[police],
    )
    make_report(session, meeting, submitted_at=local(11, 24, 15))  # the 11-16 → 11-23 period, a day late
    slipping = make_measure(
        session, problem, code="AS-2", lead_unit=team, deadline=date(2026, 11, 13), co_units=[office]
    )
    event(session, slipping, EventKind.STATUS, local(11, 3), "in_progress", "planned")
    event(session, slipping, EventKind.ESCALATION, local(11, 24, 8, 30), "yellow", "blue")
    done = make_measure(session, problem, code="AS-3", lead_unit=office, deadline=date(2026, 11, 25))
    event(session, done, EventKind.STATUS, local(11, 24, 16), "done", "in_progress")
    event(session, done, EventKind.REVIEW, local(11, 25), "accept", "done")
    event(session, done, EventKind.STATUS, local(11, 25), "closed", "done")
    session.commit()
    return {"round": round_, "slipping": slipping}


def totals(ranking: Any) -> dict[str, Decimal]:
    return {s.code: s.total for s in ranking.scores}


def test_the_week_is_scored_from_reports_status_escalations_and_reviews(database: Database) -> None:
    with database.unit_of_work() as session:
        seed(session)
        ranking = compute_ranking(session, ROUND, WEEK, clock())
    # office: AS-1 late −1; co on AS-2: overdue 5 days −2.5×0.5, yellow −5×0.5; AS-3 done +2 and closed +1 on time
    # team: AS-2 overdue −2.5, yellow −5; police (external): co on AS-1 late −0.5, not ranked
    assert totals(ranking) == {
        "office": Decimal("98.25"),
        "team": Decimal("92.50"),
        "police": Decimal("99.50"),
    }
    assert [(s.code, s.rank) for s in ranking.ranked] == [("office", 1), ("team", 2)]
    office = ranking.score_of("office")
    assert office is not None and office.asked == 3
    assert {line.rule for line in office.lines} == {
        "report_late",
        "overdue_workday",
        "escalation_yellow",
        "completed_on_time",
        "closed_on_time",
    }
    assert ranking.formula_version == "2026.1"


def test_a_closed_period_keeps_its_result_when_later_reports_arrive(database: Database) -> None:
    with database.unit_of_work() as session:
        facts = seed(session)
        stored, created = close_period(session, ROUND, WEEK, clock(), actor="督查室")
        session.commit()
        assert created and stored.stored is not None and stored.stored.revision == 1
        # A report that answers AS-1's next period arrives: a new computation would differ, the stored one not.
        make_report(session, facts["slipping"], submitted_at=local(11, 26, 11))
        event(session, facts["slipping"], EventKind.REVIEW, local(11, 26, 12), "return", "done")
        session.commit()
        again = period_result(session, ROUND, WEEK, clock(12, 1))
        assert again.stored is not None and totals(again.ranking) == totals(stored.ranking)
        live = compute_ranking(session, ROUND, WEEK, clock(12, 1))
        assert totals(live)["team"] == Decimal("90.50")
        unchanged, created = close_period(session, ROUND, WEEK, clock(12, 1), actor="督查室")
        assert not created and unchanged.stored == stored.stored


def test_a_recomputation_is_explicit_recorded_and_keeps_the_earlier_revision(database: Database) -> None:
    with database.unit_of_work() as session:
        facts = seed(session)
        close_period(session, ROUND, WEEK, clock(), actor="督查室")
        event(session, facts["slipping"], EventKind.REVIEW, local(11, 26, 12), "return", "done")
        with pytest.raises(InvalidPeriod, match="needs a reason"):
            close_period(session, ROUND, WEEK, clock(12, 1), actor="督查室", recompute=True)
        result, created = close_period(
            session, ROUND, WEEK, clock(12, 1), actor="督查室", recompute=True, reason="补录退回记录"
        )
        session.commit()
        assert created and result.stored is not None and result.stored.revision == 2
        assert totals(result.ranking)["team"] == Decimal("90.50")
        history = period_history(session, ROUND, WEEK)
        assert [(s.revision, s.reason) for s, _ in history] == [(1, ""), (2, "补录退回记录")]
        assert session.query(AssessmentResult).count() == 2


def test_a_period_cannot_be_closed_before_it_ends(database: Database) -> None:
    with database.unit_of_work() as session:
        seed(session)
        with pytest.raises(PeriodNotClosed, match="2026-W48 has not ended"):
            close_period(session, ROUND, WEEK, clock(11, 29, 23), actor="督查室")
        assert session.query(AssessmentResult).count() == 0


def test_adjustments_move_the_total_apart_from_the_base_score(database: Database) -> None:
    with database.unit_of_work() as session:
        seed(session)
        outcome = add_adjustment(
            session, ROUND, "team", WEEK, points="8", reason="市级通报表扬", actor="督查室", now=local(11, 27)
        )
        session.commit()
        assert not outcome.period_closed
        ranking = compute_ranking(session, ROUND, WEEK, clock())
        team = ranking.score_of("team")
        assert team is not None
        assert (team.base_score, team.adjustment, team.total, team.rank) == (
            Decimal("92.50"),
            Decimal("8.00"),
            Decimal("100.50"),
            1,
        )
        assert [a.reason for a in team.adjustments] == ["市级通报表扬"]


@pytest.mark.parametrize(
    ("unit", "points", "reason", "error"),
    [
        ("team", "lots", "x", InvalidAdjustment),
        ("team", "0", "x", InvalidAdjustment),
        ("team", "1.255", "x", InvalidAdjustment),
        ("team", "101", "x", InvalidAdjustment),
        ("team", "3", "  ", InvalidAdjustment),
        ("nobody", "3", "x", UnknownUnit),
    ],
)
def test_a_wrong_adjustment_writes_nothing(
    database: Database, unit: str, points: str, reason: str, error: type[Exception]
) -> None:
    from models.tables import AssessmentAdjustment

    with database.unit_of_work() as session:
        seed(session)
        with pytest.raises(error):
            add_adjustment(
                session, ROUND, unit, WEEK, points=points, reason=reason, actor="x", now=local(11, 27)
            )
        assert session.query(AssessmentAdjustment).count() == 0


def test_change_since_the_previous_period_reads_its_stored_result(database: Database) -> None:
    with database.unit_of_work() as session:
        seed(session)
        previous = parse_period("2026-W47")
        close_period(session, ROUND, previous, clock(), actor="督查室")
        ranking = compute_ranking(session, ROUND, WEEK, clock())
        before = period_result(session, ROUND, previous, clock()).ranking
        team_before = before.score_of("team")
        team = ranking.score_of("team")
        assert team is not None and team_before is not None
        assert team.change == team.total - team_before.total


def test_a_real_report_review_path_scores_the_same(database: Database) -> None:
    """A done claim recorded through the report intake and closed through review counts as on time."""
    from tasks.reports.record import ReportInput, record_report
    from tasks.reports.review import ReviewAction, review_measure

    with database.unit_of_work() as session:
        round_ = make_round(session, code=ROUND, feedback_date=date(2026, 11, 2))
        unit = make_unit(session, "solo", name="市容科")
        make_measure(
            session, make_problem(session, round_), code="AS-9", lead_unit=unit, deadline=date(2026, 11, 26)
        )
        session.commit()
        record_report(
            session,
            ReportInput(measure="AS-9", text="已完成", claimed_status="done"),
            actor="solo",
            clock=clock(11, 24),
        )
        review_measure(
            session, "AS-9", ReviewAction.ACCEPT, reason="核查属实", actor="督查室", now=local(11, 26)
        )
        session.commit()
        ranking = compute_ranking(session, ROUND, WEEK, clock())
    solo = ranking.score_of("solo")
    assert solo is not None
    assert [(line.rule, line.points) for line in solo.lines] == [
        ("completed_on_time", Decimal("2.00")),
        ("closed_on_time", Decimal("1.00")),
    ]
    assert solo.list == ListKind.RED
    _ = MeasureStatus


PLAN = """
round:
  code: r-formula
  title: 考评公式测试
  inspected_org: 测试局党组
  inspecting_body: 区委巡察组
  inspection_start: 2026-06-01
  inspection_end: 2026-07-01
  feedback_date: 2026-08-01
  assessment: {assessment}
units:
  - {{code: fu, name: 测试科, kind: department}}
problems:
  - title: 问题一
    measures:
      - {{code: FM-1, text: 措施一, lead_unit: fu, deadline: 2026-12-31}}
"""


def test_a_plan_names_its_formula_file_beside_it_and_results_name_its_version(
    database: Database, tmp_path: Any
) -> None:
    from tasks.assessment.formula import DEFAULT_FORMULA_FILE
    from tasks.ledger.plan_export import export_plan
    from tasks.ledger.plan_load import load_plan_file

    formula = DEFAULT_FORMULA_FILE.read_text(encoding="utf-8").replace(
        'version: "2026.1"', 'version: "区考评-2"'
    )
    (tmp_path / "assessment.yaml").write_text(formula, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(assessment="assessment.yaml"), encoding="utf-8")
    committed(database, load_plan_file, plan, settings_clock())
    with database.unit_of_work() as session:
        ranking = compute_ranking(session, "r-formula", WEEK, clock())
        exported = export_plan(session, "r-formula")
    assert ranking.formula_version == "区考评-2"
    assert "version: 区考评-2" in exported
    again = tmp_path / "again.yaml"
    again.write_text(exported, encoding="utf-8")
    assert committed(database, load_plan_file, again, settings_clock()).total == 0


def test_a_broken_formula_file_names_its_file_line_and_field_and_loads_nothing(
    database: Database, tmp_path: Any
) -> None:
    from models.errors import InvalidPlan
    from models.tables import Round
    from tasks.ledger.plan_load import load_plan_file

    (tmp_path / "assessment.yaml").write_text(
        'name: 区考评\nversion: "1"\nbase: 100\nrules:\n  report_late: {points: -1, cap: 5}\n',
        encoding="utf-8",
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(assessment="assessment.yaml"), encoding="utf-8")
    with pytest.raises(InvalidPlan) as caught:
        committed(database, load_plan_file, plan, settings_clock())
    [issue] = caught.value.issues
    assert issue.where.endswith("assessment.yaml:5") and issue.field == "rules.report_late.cap"
    plan.write_text(
        PLAN.format(assessment="{name: x, version: '1', base: 100, rules: {late: {points: 1}}}"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidPlan, match=r"round.assessment.rules.late: is not a rule"):
        committed(database, load_plan_file, plan, settings_clock())
    with database.unit_of_work() as session:
        assert session.query(Round).count() == 0


def test_the_desk_page_gives_each_unit_its_trend_from_stored_periods(database: Database) -> None:
    from tasks.assessment.views import ranking_page

    with database.unit_of_work() as session:
        seed(session)
        close_period(session, ROUND, parse_period("2026-W47"), clock(), actor="督查室")
        page = ranking_page(session, ROUND, WEEK, clock(), trend_periods=3)
    assert page.periods == ("2026-W46", "2026-W47", "2026-W48") and page.stored is None
    team = next(row for row in page.rows if row.score.code == "team")
    assert [point.period for point in team.trend] == list(page.periods)
    assert team.trend[0].total is None  # 2026-W46 was never closed
    assert team.trend[1].total is not None and team.trend[2].total == Decimal("92.50")


def test_the_portal_view_gives_a_unit_its_deductions_and_adjustments_apart(database: Database) -> None:
    from tasks.assessment.views import unit_score_view

    with database.unit_of_work() as session:
        seed(session)
        add_adjustment(
            session,
            ROUND,
            "office",
            WEEK,
            points="-1",
            reason="台账不规范",
            actor="督查室",
            now=local(11, 27),
        )
        view = unit_score_view(session, ROUND, "office", WEEK, clock())
        with pytest.raises(UnknownUnit):
            unit_score_view(session, ROUND, "nobody", WEEK, clock())
    assert view.unit_name == "局办公室" and view.ranked_units == 2
    assert {line.rule for line in view.deductions} == {"report_late", "overdue_workday", "escalation_yellow"}
    assert {line.rule for line in view.credits} == {"completed_on_time", "closed_on_time"}
    assert [a.reason for a in view.adjustments] == ["台账不规范"] and view.score.adjustment == Decimal(
        "-1.00"
    )


def test_the_progress_notice_names_the_black_list_when_its_options_ask(database: Database) -> None:
    from tasks.notice.load import load_notice_document

    with database.unit_of_work() as session:
        facts = seed(session)
        facts["round"].notice_options = {"blacklist": "week"}
        event(session, facts["slipping"], EventKind.ESCALATION, local(11, 27, 8, 30), "red", "yellow")
        sunday = clock(11, 29, 20)
        before_close = load_notice_document(session, ROUND, sunday)
        assert before_close.blacklist is None  # 2026-W48 has not been closed
        close_period(session, ROUND, WEEK, clock(11, 30, 9), actor="督查室")
        notice = load_notice_document(session, ROUND, clock(12, 2))
        facts["round"].notice_options = {}
        plain = load_notice_document(session, ROUND, clock(12, 2))
    paragraphs = notice.plain_paragraphs()
    sentence = "在2026年第48周（11月23日至11月29日）整改工作考评中，局办公室、执法大队列入黑榜，请上述单位认真分析原因、限期整改，确保整改任务按时保质完成。"
    assert paragraphs[-2] == sentence  # just before the closing (no signature in this round)
    assert sentence not in plain.plain_paragraphs()


def test_a_wrong_blacklist_option_is_refused() -> None:
    from models.notice import notice_option_issues

    [issue] = notice_option_issues({"blacklist": "year"})
    assert (issue.field, issue.message) == ("notice.blacklist", "'year' is not week or month")
