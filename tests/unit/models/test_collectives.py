"""A measure a collective owns, member by member: each member's status and light, the measure across them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.clock import Clock
from models.collectives import (
    CO,
    MemberShare,
    all_members_done,
    judge_share,
    member_status,
    missing_of,
    progress,
    standing_claim,
)
from models.enums import MeasureStatus, ReportStatus
from models.rules import Light, MeasureState
from models.workdays import WeekdayCalendar

CST = ZoneInfo("Asia/Shanghai")
CLOCK = Clock(WeekdayCalendar(), "Asia/Shanghai", datetime(2023, 11, 6, 10, tzinfo=CST))


def share(name: str, status: MeasureStatus, **more: object) -> MemberShare:
    return MemberShare(
        code=name, name=name, collective_code="jiedao", collective="各街道办事处", status=status, **more
    )  # type: ignore[arg-type]


def test_a_members_status_is_its_own_claim_until_the_measure_is_finished() -> None:
    assert member_status(MeasureStatus.IN_PROGRESS, None) == MeasureStatus.PLANNED
    assert member_status(MeasureStatus.IN_PROGRESS, ReportStatus.IN_PROGRESS) == MeasureStatus.IN_PROGRESS
    assert member_status(MeasureStatus.IN_PROGRESS, ReportStatus.DONE) == MeasureStatus.DONE
    # Done or 销号 for the measure is done or 销号 for every member.
    assert member_status(MeasureStatus.CLOSED, None) == MeasureStatus.CLOSED
    assert member_status(MeasureStatus.DONE, ReportStatus.IN_PROGRESS) == MeasureStatus.DONE


def test_a_done_claim_made_before_the_measure_was_returned_no_longer_stands() -> None:
    before, returned, after = (datetime(2023, 10, day, 10, tzinfo=CST) for day in (9, 10, 11))
    assert standing_claim(ReportStatus.DONE, before, returned) == ReportStatus.IN_PROGRESS
    assert standing_claim(ReportStatus.DONE, after, returned) == ReportStatus.DONE
    assert standing_claim(ReportStatus.DONE, before, None) == ReportStatus.DONE
    assert standing_claim(ReportStatus.IN_PROGRESS, before, returned) == ReportStatus.IN_PROGRESS


def test_the_measure_is_done_only_when_every_member_reported_done() -> None:
    assert all_members_done([ReportStatus.DONE, ReportStatus.DONE])
    assert not all_members_done([ReportStatus.DONE, ReportStatus.IN_PROGRESS])
    assert not all_members_done([ReportStatus.DONE, None])
    assert not all_members_done([])


def test_progress_counts_the_members_done_and_names_the_laggards() -> None:
    shares = [
        share("示例街道一", MeasureStatus.DONE),
        share("示例街道二", MeasureStatus.IN_PROGRESS),
        share("示例街道三", MeasureStatus.PLANNED),
    ]
    (group,) = progress(shares)

    assert (group.done, group.total, group.all_done) == (1, 3, False)
    assert group.label == "街道办事处 1/3 已完成"
    assert group.laggards == ("示例街道二", "示例街道三")
    assert str(group) == "街道办事处 1/3 已完成（未完成：示例街道二、示例街道三）"
    assert str(progress([share("示例街道一", MeasureStatus.DONE)])[0]) == "街道办事处 1/1 已完成"


def test_each_member_has_its_own_light_and_any_overdue_member_makes_the_group_overdue() -> None:
    past = date(2023, 10, 31)
    done = judge_share(share("示例街道一", MeasureStatus.DONE), past, CLOCK)
    late = judge_share(share("示例街道二", MeasureStatus.IN_PROGRESS), past, CLOCK)

    assert (done.state, done.light) == (MeasureState.DONE, Light.GREEN)
    assert (late.state, late.light) == (MeasureState.OVERDUE, Light.RED)
    assert progress([done, late])[0].overdue
    assert not progress([done])[0].overdue


def test_a_members_missing_report_is_its_own_and_the_measure_owes_the_earliest() -> None:
    week = (datetime(2023, 10, 23, 9, tzinfo=CST), datetime(2023, 10, 30, 9, tzinfo=CST))
    earlier = (datetime(2023, 10, 16, 9, tzinfo=CST), datetime(2023, 10, 23, 9, tzinfo=CST))
    shares = [
        share("示例街道一", MeasureStatus.IN_PROGRESS),
        share("示例街道二", MeasureStatus.IN_PROGRESS, missing_period=week),
        share("示例街道三", MeasureStatus.PLANNED, missing_period=earlier),
        share("示例街道四", MeasureStatus.PLANNED, missing_period=earlier, role=CO),  # a co-owner's member
    ]
    judged = judge_share(shares[1], None, CLOCK)

    assert (judged.state, judged.light) == (MeasureState.MISSING_REPORT, Light.YELLOW)
    assert missing_of(shares) == earlier
    assert missing_of(shares[:2]) == week
    assert missing_of(shares[:1]) is None
    assert [g.role for g in progress(shares)] == ["lead", "co"]


def test_the_notice_names_laggard_members_before_the_final_punctuation() -> None:
    from models.notice import with_laggards

    assert with_laggards("发放宣传一封信4万份。", ["示例街道二", "示例街道三"]) == (
        "发放宣传一封信4万份（示例街道二、示例街道三尚未完成）。"
    )
    assert with_laggards("开展联合执法；", ["示例街道一"]) == "开展联合执法（示例街道一尚未完成）；"
    assert with_laggards("开展联合执法", ["示例街道一"]) == "开展联合执法（示例街道一尚未完成）"


def test_an_escalation_key_names_the_member_it_chased() -> None:
    from models.notifications import EscalationStep, Level, escalation_member

    step = EscalationStep(1, "XH-08-1", Level.BLUE, Level.UNIT, 3, date(2023, 12, 29), "—", "street-2")
    assert step.dedupe_key == "escalation|XH-08-1@street-2|2023-12-29|blue"
    assert escalation_member(step.dedupe_key) == "street-2"
    assert escalation_member("escalation|XH-08-1|2023-12-29|blue") is None
    assert escalation_member(None) is None


def test_a_members_own_moves_end_in_done_at_its_claim() -> None:
    from models.collectives import member_moves

    moves = [(datetime(2023, 10, 20, tzinfo=CST), MeasureStatus.IN_PROGRESS)]
    done_at = datetime(2023, 11, 1, tzinfo=CST)
    later = (datetime(2023, 11, 2, tzinfo=CST), MeasureStatus.DONE)

    assert member_moves(moves, None) == tuple(moves)
    assert member_moves([*moves, later], done_at) == (moves[0], (done_at, MeasureStatus.DONE))
