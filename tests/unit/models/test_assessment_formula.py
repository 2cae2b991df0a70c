"""The assessment formula on hand-built records: each rule, caps, co-units, extensions, collectives, ties, lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from models.assessment import (
    Adjustment,
    Colour,
    EscalationRecord,
    ExtensionRecord,
    ListKind,
    ReportPeriodRecord,
    ReviewDecision,
    ReviewRecord,
    Role,
    ShareRecord,
    UnitRecord,
    parse_period,
)
from models.assessment_formula import Formula, assess, format_points, parse_formula, score_unit
from models.errors import InvalidFormula
from models.periods import ReportOutcome
from tasks.assessment.formula import default_formula

ZONE = "Asia/Shanghai"
WEEK = parse_period("2026-W48")  # 2026-11-23 … 2026-11-29


def at(day: int, hour: int = 10) -> datetime:
    """A moment in week 48 of 2026 (UTC+8 local hour)."""
    return datetime(2026, 11, day, hour - 8, 0, tzinfo=UTC)


def share(**facts: Any) -> ShareRecord:
    values: dict[str, Any] = {"measure_code": "M-1", "unit_code": "u1", "role": Role.LEAD}
    values.update(facts)
    return ShareRecord(**values)


def unit(code: str = "u1", shares: Sequence[ShareRecord] = (), **overrides: Any) -> UnitRecord:
    values: dict[str, Any] = {
        "code": code,
        "name": f"{code}单位",
        "kind": "department",
        "shares": tuple(shares),
    }
    values.update(overrides)
    return UnitRecord(**values)


def points(record: ShareRecord, formula: Formula | None = None) -> dict[str, Decimal]:
    score = score_unit(unit(shares=[record]), formula or default_formula(), WEEK, ZONE)
    out: dict[str, Decimal] = {}
    for line in score.lines:
        out[line.rule] = out.get(line.rule, Decimal(0)) + line.points
    return out


def test_reports_on_time_late_and_missing_per_cadence_period() -> None:
    record = share(
        report_periods=(
            ReportPeriodRecord(at(16, 9), at(23, 9), ReportOutcome.ON_TIME, at(20)),
            ReportPeriodRecord(at(23, 9), at(24, 9), ReportOutcome.LATE, at(24, 15)),
            ReportPeriodRecord(at(24, 9), at(25, 9), ReportOutcome.MISSING),
        )
    )
    assert points(record) == {"report_late": Decimal(-1), "report_missing": Decimal(-3)}


def test_completion_by_the_deadline_earns_and_after_it_costs() -> None:
    assert points(share(deadline=date(2026, 11, 25), completed_at=at(25))) == {"completed_on_time": 2}
    assert points(share(deadline=date(2026, 11, 20), completed_at=at(25))) == {"completed_late": -2}


def test_an_extension_moves_the_deadline_but_counts_as_an_extension() -> None:
    record = share(
        deadline=date(2026, 11, 30),
        original_deadline=date(2026, 11, 20),
        completed_at=at(26),
        extensions=(ExtensionRecord(at(23), date(2026, 11, 20), date(2026, 11, 30)),),
    )
    assert points(record) == {"completed_extended": 1, "extension": -1}


def test_overdue_working_days_count_half_a_point_each_on_one_line() -> None:
    days = tuple(date(2026, 11, d) for d in (23, 24, 25, 26, 27))
    score = score_unit(
        unit(shares=[share(deadline=date(2026, 11, 20), overdue_days=days)]), default_formula(), WEEK, ZONE
    )
    [line] = score.lines
    assert (line.rule, line.points, line.day) == ("overdue_workday", Decimal("-2.5"), date(2026, 11, 27))
    assert "逾期5个工作日（11月23日至11月27日）" in line.detail


@pytest.mark.parametrize(("colour", "expected"), [(Colour.BLUE, -3), (Colour.YELLOW, -5), (Colour.RED, -10)])
def test_each_escalation_colour_costs_its_points(colour: Colour, expected: int) -> None:
    assert points(share(escalations=(EscalationRecord(at(24), colour),))) == {
        f"escalation_{colour.value}": expected
    }


def test_a_returned_claim_and_closing_on_time_or_late() -> None:
    record = share(
        deadline=date(2026, 11, 25),
        reviews=(ReviewRecord(at(23), ReviewDecision.RETURNED), ReviewRecord(at(27), ReviewDecision.CLOSED)),
    )
    assert points(record) == {"returned": -2, "closed_late": -1}
    assert points(
        share(deadline=date(2026, 11, 27), reviews=(ReviewRecord(at(27), ReviewDecision.CLOSED),))
    ) == {"closed_on_time": 1}


def test_a_late_acknowledgement_costs_per_working_day() -> None:
    record = share(ack_late_days=(date(2026, 11, 24), date(2026, 11, 25)))
    assert points(record) == {"ack_late_workday": -1}


def test_a_co_unit_share_weighs_half() -> None:
    escalation = (EscalationRecord(at(24), Colour.YELLOW),)
    assert points(share(role=Role.CO, escalations=escalation)) == {"escalation_yellow": Decimal("-2.5")}
    lead = score_unit(unit(shares=[share(escalations=escalation)]), default_formula(), WEEK, ZONE)
    assert "（牵头）" in lead.lines[0].detail


def test_a_rule_is_capped_per_period_and_the_lines_add_up_to_the_base_score() -> None:
    periods = tuple(
        ReportPeriodRecord(at(23, 9), at(23, 9), ReportOutcome.MISSING) for _ in range(12)
    )  # 12 missing daily periods across measures: -36 capped at -30
    shares = [share(measure_code=f"M-{i}", report_periods=(p,)) for i, p in enumerate(periods)]
    score = score_unit(unit(shares=shares), default_formula(), WEEK, ZONE)
    cap = [line for line in score.lines if line.rule == "cap"]
    assert len(cap) == 1 and cap[0].points == Decimal(6)
    assert score.base_score == Decimal(70)
    assert Decimal(100) + sum(line.points for line in score.lines) == score.base_score
    assert score.asked == 12


def test_the_floor_holds_the_base_score_and_says_so() -> None:
    formula = _formula(floor=95)
    score = score_unit(
        unit(shares=[share(escalations=(EscalationRecord(at(24), Colour.RED),))]), formula, WEEK, ZONE
    )
    assert score.base_score == Decimal(95)
    assert [line.rule for line in score.lines] == ["escalation_red", "floor"]


def test_adjustments_are_shown_apart_and_move_only_the_total() -> None:
    bonus = Adjustment(Decimal(3), "市级表扬", "督查室", at(25))
    score = score_unit(
        unit(shares=[share(deadline=date(2026, 11, 25), completed_at=at(24))], adjustments=(bonus,)),
        default_formula(),
        WEEK,
        ZONE,
    )
    assert (score.base_score, score.adjustment, score.total) == (Decimal(102), Decimal(3), Decimal(105))
    assert all(line.rule != "adjustment" for line in score.lines)


def test_only_measures_that_asked_something_are_scored_and_counted() -> None:
    idle = share(measure_code="M-9", deadline=date(2027, 3, 1))
    assert not idle.asked
    due = share(measure_code="M-2", deadline=date(2026, 11, 26), due_in_period=True)
    score = score_unit(unit(shares=[idle, due]), default_formula(), WEEK, ZONE)
    assert score.asked == 1 and score.base_score == 100


def test_external_and_leadership_units_and_units_asked_nothing_are_not_ranked() -> None:
    busy = share(escalations=(EscalationRecord(at(24), Colour.BLUE),))
    ranking = assess(
        [
            unit("a", [busy]),
            unit("police", [busy], kind="external"),
            unit("party", [busy], kind="leadership"),
            unit("idle", []),
        ],
        default_formula(),
        WEEK,
        round_code="r",
        timezone=ZONE,
    )
    assert [s.code for s in ranking.ranked] == ["a"]
    reasons = {s.code: s.unranked_reason for s in ranking.scores if not s.ranked}
    assert reasons == {
        "police": "区外单位不参与排名",
        "party": "领导班子不参与排名",
        "idle": "本期无考评事项",
    }


def _formula(**changes: Any) -> Formula:
    source = dict(default_formula().source)
    source.update(changes)
    return parse_formula(source)


def _ranking(
    totals: dict[str, int], lines: dict[str, list[ShareRecord]] | None = None, **formula: Any
) -> Any:
    units = []
    for code, total in totals.items():
        adjustments = (Adjustment(Decimal(total - 100), "调整", "test", at(27)),) if total != 100 else ()
        shares = (lines or {}).get(
            code, [share(unit_code=code, due_in_period=True, deadline=date(2026, 11, 27))]
        )
        units.append(unit(code, shares, adjustments=adjustments))
    return assess(
        units, _formula(**formula) if formula else default_formula(), WEEK, round_code="r", timezone=ZONE
    )


def test_ties_share_a_rank_the_next_rank_is_skipped_and_the_notes_say_why() -> None:
    ranking = _ranking({"a": 98, "b": 96, "c": 96, "d": 90})
    assert [(s.code, s.rank, s.tied) for s in ranking.ranked] == [
        ("a", 1, False),
        ("b", 2, True),
        ("c", 2, True),
        ("d", 4, False),
    ]
    assert any("第2名并列2个单位（b单位、c单位，均为96分）" in note for note in ranking.notes)


def test_red_list_takes_the_top_units_past_the_threshold_and_ties_at_its_border() -> None:
    ranking = _ranking({"a": 105, "b": 103, "c": 101, "d": 101, "e": 99})
    assert [s.code for s in ranking.on_list(ListKind.RED)] == ["a", "b", "c", "d"]
    assert "红榜末位并列，4个单位同时列入。" in ranking.notes


def test_a_missing_report_keeps_a_unit_off_the_red_list() -> None:
    missing = share(
        unit_code="a", report_periods=(ReportPeriodRecord(at(23, 9), at(24, 9), ReportOutcome.MISSING),)
    )
    ranking = _ranking({"a": 110, "b": 101}, lines={"a": [missing]})
    assert [s.code for s in ranking.on_list(ListKind.RED)] == ["b"]


def test_black_list_takes_the_bottom_under_the_threshold_and_every_red_escalation() -> None:
    red = share(unit_code="top", escalations=(EscalationRecord(at(24), Colour.RED),))
    ranking = _ranking({"top": 120, "b": 100, "c": 89, "d": 85, "e": 80, "f": 70}, lines={"top": [red]})
    black = {s.code: s.list_reason for s in ranking.on_list(ListKind.BLACK)}
    assert set(black) == {"top", "d", "e", "f"}
    assert black["top"] == "本期有红色督办"
    assert black["f"] == "得分70，位列第6名"
    assert not ranking.on_list(ListKind.RED) or "top" not in {s.code for s in ranking.on_list(ListKind.RED)}


def test_change_since_the_previous_period() -> None:
    ranking = assess(
        [unit("a", [share(due_in_period=True)]), unit("b", [share(unit_code="b", due_in_period=True)])],
        default_formula(),
        WEEK,
        round_code="r",
        timezone=ZONE,
        previous_totals={"a": Decimal("97.5")},
    )
    assert {s.code: s.change for s in ranking.scores} == {"a": Decimal("2.5"), "b": None}


def test_members_of_a_collective_are_scored_one_by_one() -> None:
    late = share(
        measure_code="M-7",
        unit_code="street-1",
        collective="各街道办事处",
        escalations=(EscalationRecord(at(24), Colour.BLUE),),
    )
    fine = share(
        measure_code="M-7",
        unit_code="street-2",
        collective="各街道办事处",
        due_in_period=True,
        deadline=date(2026, 11, 27),
    )
    ranking = assess(
        [
            unit("street-1", [late], kind="street_office", collective="jiedao"),
            unit("street-2", [fine], kind="street_office", collective="jiedao"),
        ],
        default_formula(),
        WEEK,
        round_code="r",
        timezone=ZONE,
    )
    assert [(s.code, s.total) for s in ranking.ranked] == [
        ("street-2", Decimal(100)),
        ("street-1", Decimal(97)),
    ]
    assert "牵头·各街道办事处成员" in ranking.score_of("street-1").lines[0].detail  # type: ignore[union-attr]


def test_a_formula_with_errors_lists_every_one() -> None:
    with pytest.raises(InvalidFormula) as caught:
        parse_formula(
            {
                "name": "x",
                "base": "lots",
                "rules": {"report_late": {"points": -1, "cap": 5}, "nonsense": {"points": 1}},
                "lists": {"red": {"size": -1}},
                "colour": "red",
            }
        )
    fields = {issue.field for issue in caught.value.issues}
    assert fields == {
        "version",
        "base",
        "rules.report_late.cap",
        "rules.nonsense",
        "lists.red.size",
        "colour",
    }


def test_points_are_printed_with_their_sign() -> None:
    assert [format_points(Decimal(v)) for v in ("2", "-0.50", "0", "1.25")] == ["+2", "-0.5", "0", "+1.25"]
