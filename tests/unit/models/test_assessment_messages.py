"""A closed period's messages: the ranking to each leader, its own score to each unit asked something."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.assessment import Colour, EscalationRecord, Ranking, Role, ShareRecord, UnitRecord, parse_period
from models.assessment_formula import assess
from models.assessment_messages import plan_assessment_messages
from models.clock import Clock
from models.enums import MessageKind
from models.notifications import Policy, Recipient
from models.workdays import WeekdayCalendar
from tasks.assessment.formula import default_formula
from tasks.notify.render import render_message

ZONE = "Asia/Shanghai"


def _ranking() -> Ranking:
    escalated = ShareRecord(
        "M-1",
        "team",
        Role.LEAD,
        escalations=(EscalationRecord(datetime(2026, 11, 24, 1, tzinfo=UTC), Colour.BLUE),),
    )
    return assess(
        [
            UnitRecord("team", "执法大队", "enforcement_team", (escalated,)),
            UnitRecord("idle", "区卫生队", "department", ()),
        ],
        default_formula(),
        parse_period("2026-W48"),
        round_code="r",
        timezone=ZONE,
    )


def test_leaders_get_the_ranking_and_units_asked_something_their_own_score() -> None:
    leader = Recipient(1, "leader-li", "李某某", urls=("json://127.0.0.1/leader",))
    team = Recipient(2, "team-liaison", "联络员", urls=("json://127.0.0.1/team", "mailto://a@b"), unit_id=7)
    idle = Recipient(3, "idle-liaison", "联络员", urls=("json://127.0.0.1/idle",), unit_id=8)
    monday = Clock(WeekdayCalendar(), ZONE, datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # 09:30 local
    messages = plan_assessment_messages(
        _ranking(),
        leaders=[leader],
        units={"team": (7, [team]), "idle": (8, [idle])},
        clock=monday,
        policy=Policy(),
    )
    assert [m.key for m in messages] == [
        "assess:r|assessment|leader-li#0|2026-W48",
        "assess:r:team|assessment|team-liaison#0|2026-W48",
        "assess:r:team|assessment|team-liaison#1|2026-W48",
    ]
    assert {m.kind for m in messages} == {MessageKind.ASSESSMENT} and messages[1].unit_id == 7
    title, body = render_message(messages[0])
    assert title == "【考评排名】2026年第48周（11月23日至11月29日）整改工作考评结果"
    assert "1. 执法大队 97分" in body and "红榜：本期无" in body
    title, body = render_message(messages[1])
    assert title == "【考评结果】执法大队 2026年第48周（11月23日至11月29日）得分97分"
    assert "1. [M-1] 2026-11-24 蓝色督办 -3分：蓝色督办（牵头）" in body


def test_a_sunday_close_holds_the_messages_until_monday_morning() -> None:
    sunday = Clock(WeekdayCalendar(), ZONE, datetime(2026, 11, 29, 12, tzinfo=UTC))
    leader = Recipient(1, "leader-li", "李某某", urls=("json://127.0.0.1/leader",))
    [message] = plan_assessment_messages(
        _ranking(), leaders=[leader], units={}, clock=sunday, policy=Policy()
    )
    assert message.held and message.due_at.date() == date(2026, 11, 30)
