"""The review steps before 销号: the plan's setting checked, where a claim stands, and four-eyes."""

from __future__ import annotations

import pytest

from models.errors import ReviewStepMissing, SameReviewer
from models.review_steps import (
    ClaimStage,
    HistoryEntry,
    check_step,
    claim_stage,
    review_steps_problem,
    reviewer_identity,
    stored_steps,
)

TWO = ["分管领导确认", "销号"]


def claimed(*extra: HistoryEntry) -> list[HistoryEntry]:
    return [
        HistoryEntry("report", "done", "portal token #3 '街道'"),
        HistoryEntry("status", "done", "portal token #3 '街道'"),
        *extra,
    ]


def confirm(actor: str, note: str = "已审阅") -> HistoryEntry:
    return HistoryEntry("review", "confirm", actor, note)


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        (TWO, None),
        (["销号"], None),
        (["初审", "分管领导确认", "销号"], None),
        ([], "list the steps"),
        (["分管领导确认"], "the last step is 销号"),
        (["销号", "销号"], "销号 is the last step only"),
        (["初审", "初审", "销号"], "each step has its own name"),
        (["", "销号"], "every step is a name"),
        ([1, "销号"], "every step is a name"),
        (["a", "b", "c", "d", "销号"], "at most 3 steps"),
    ],
)
def test_a_plans_review_steps_end_with_the_close(steps: list[object], problem: str | None) -> None:
    found = review_steps_problem(steps)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_one_step_is_stored_as_none_as_before() -> None:
    assert stored_steps(None) is None and stored_steps(["销号"]) is None
    assert stored_steps(TWO) == TWO


def test_a_round_without_steps_closes_in_one_step() -> None:
    stage = claim_stage(None, claimed())
    assert stage == ClaimStage(()) and stage.next_step == "销号" and not stage.confirmed
    assert stage.label == "待销号"
    assert check_step(stage, "accept", "desk token #1 '督查室'") == "销号"
    with pytest.raises(ReviewStepMissing, match="one step"):
        check_step(stage, "confirm", "desk token #1 '督查室'")


def test_a_claim_is_confirmed_then_closed_by_another_person() -> None:
    fresh = claim_stage(TWO, claimed())
    assert fresh.next_step == "分管领导确认" and fresh.label == "待分管领导确认"
    with pytest.raises(ReviewStepMissing, match="分管领导确认 comes before 销号"):
        check_step(fresh, "accept", "desk token #1 '督查室'")
    assert check_step(fresh, "confirm", "desk token #2 '李某某'") == "分管领导确认"
    done = claim_stage(TWO, claimed(confirm("desk token #2 '李某某'", "同意销号")))
    assert done.confirmed and done.label == "已分管领导确认，待销号"
    assert done.taken[0].who == "李某某" and done.taken[0].reason == "同意销号"
    with pytest.raises(ReviewStepMissing, match="every confirmation is taken"):
        check_step(done, "confirm", "desk token #1 '督查室'")
    assert check_step(done, "accept", "desk token #1 '督查室'") == "销号"


def test_one_person_takes_one_step_whatever_the_door() -> None:
    stage = claim_stage(TWO, claimed(confirm("desk token #2 '李某某'")))
    for same in ("api token #9 '李某某'", "李某某", " 李某某 "):
        with pytest.raises(SameReviewer, match="four-eyes"):
            check_step(stage, "accept", same)
    assert reviewer_identity("cli coordinator") == "cli coordinator"


def test_new_evidence_or_a_move_sets_the_claim_back_to_its_first_step() -> None:
    confirmed = claimed(confirm("desk token #2 '李某某'"))
    after_report = claim_stage(TWO, [*confirmed, HistoryEntry("report", "done", "portal")])
    assert after_report.taken == () and after_report.next_step == "分管领导确认"
    returned = [
        *confirmed,
        HistoryEntry("review", "return", "desk"),
        HistoryEntry("status", "in_progress", "d"),
    ]
    assert claim_stage(TWO, [*returned, *claimed()]).taken == ()
    other_events = [*confirmed, HistoryEntry("escalation", "blue", "sweep"), HistoryEntry("edit", None, "d")]
    assert claim_stage(TWO, other_events).confirmed


def test_three_steps_are_taken_in_order_by_three_people() -> None:
    steps = ["初审", "分管领导确认", "销号"]
    stage = claim_stage(steps, claimed(confirm("甲")))
    assert stage.label == "已初审，待分管领导确认"
    assert check_step(stage, "confirm", "乙") == "分管领导确认"
    stage = claim_stage(steps, claimed(confirm("甲"), confirm("乙")))
    with pytest.raises(SameReviewer):
        check_step(stage, "accept", "甲")
    assert check_step(stage, "accept", "丙") == "销号"
    assert check_step(stage, "return", "甲") == ""  # 退回 takes no step: anyone may send it back
