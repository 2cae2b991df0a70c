"""The ``assess_units`` flow under Prefect: closes last week and last month, publishes the ranking as an
artifact, delivers the ranking to the leaders and each unit its own score, exactly once."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import EventKind, MessageKind
from models.tables import AssessmentResult, Delivery, StatusEvent
from tests.factories import make_contact, make_measure, make_problem, make_report, make_round, make_unit
from tests.support.loopback import JsonReceiver, json_receiver

__all__ = ["json_receiver"]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.combine(date(2023, 12, 4), time(9), tzinfo=TZ)  # first working day of 2023-W49


def _ledger(database: Database, receiver: JsonReceiver) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(
            session,
            code="flow-round",
            coordinator=make_contact(session, "duban-office", urls=[receiver.url("duban")]),
            head=make_contact(session, "bureau-head", urls=[receiver.url("head")]),
        )
        problem = make_problem(session, round_)
        office = make_unit(session, "office", name="局办公室")
        make_contact(session, "office-liaison", unit=office, urls=[receiver.url("office")])
        team = make_unit(session, "team", name="执法大队")
        make_contact(session, "team-liaison", unit=team, urls=[receiver.url("team")])
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=[receiver.url("leader")]
        )
        meeting = make_measure(
            session,
            problem,
            code="FL-1",
            lead_unit=office,
            leader=leader,
            deadline=None,
            cadence="每周一 09:00",
        )
        make_report(session, meeting, submitted_at=datetime(2023, 11, 27, 15, tzinfo=TZ))
        slipping = make_measure(
            session, problem, code="FL-2", lead_unit=team, leader=leader, deadline=date(2023, 11, 20)
        )
        session.add(
            StatusEvent(
                measure=slipping,
                at=datetime(2023, 11, 28, 8, 30, tzinfo=TZ),
                actor="sweep",
                kind=EventKind.ESCALATION,
                from_value="unit",
                to_value="blue",
            )
        )
        session.commit()


async def _artifact(key: str) -> object:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return found[0] if found else None


def test_assess_units_closes_publishes_and_tells_everyone_once(
    database: Database, json_receiver: JsonReceiver
) -> None:
    from flows.assess import assess_units

    _ledger(database, json_receiver)
    result = assess_units(as_of=MONDAY)
    assert set(result["periods"]) == {"flow-round 2023-W48", "flow-round 2023-11"}
    week = result["periods"]["flow-round 2023-W48"]
    assert week["created"] and week["revision"] == 1 and week["artifact"] == "assessment-flow-round-2023-w48"
    with database.unit_of_work() as session:
        assert sorted(session.scalars(select(AssessmentResult.period))) == ["2023-11", "2023-W48"]
        kinds = set(session.scalars(select(Delivery.kind)))
    assert kinds == {MessageKind.ASSESSMENT}

    artifact = asyncio.run(_artifact("assessment-flow-round-2023-w48"))
    assert artifact is not None
    rows = json.loads(artifact.data)  # type: ignore[attr-defined]
    assert [row["单位"] for row in rows] == ["局办公室", "执法大队"] and rows[1]["总分"] == "94.5"

    with database.unit_of_work() as session:
        errors = set(session.scalars(select(Delivery.error)))
    assert result["delivered"].get("sent") == 10, errors
    for who in ("leader", "head", "duban"):
        titles = sorted(m.body["title"] for m in json_receiver.to(who))
        assert titles == [
            "【考评排名】2023年11月整改工作考评结果",
            "【考评排名】2023年第48周（11月27日至12月3日）整改工作考评结果",
        ]
    [team_week] = [m for m in json_receiver.to("team") if "第48周" in m.body["title"]]
    assert team_week.body["title"] == "【考评结果】执法大队 2023年第48周（11月27日至12月3日）得分94.5分"
    assert (
        "蓝色督办 -3分" in team_week.body["message"]
        and "逾期（每个工作日） -2.5分" in team_week.body["message"]
    )
    [office_week] = [m for m in json_receiver.to("office") if "第48周" in m.body["title"]]
    assert office_week.body["message"].splitlines()[1:4] == [
        "您单位2023年第48周（11月27日至12月3日）整改工作考评：基础得分 99 分，加减分 0 分，总分 99 分，在 2 个单位中排第 1 名。",
        "扣分情况：",
        "1. [FL-1] 2023-11-27 迟报进展 -1分：报送周期11月20日09:00至11月27日09:00，11月27日15:00补报（牵头）",
    ]

    before = len(json_receiver.requests)
    again = assess_units(as_of=MONDAY.replace(hour=11))
    assert not again["periods"]["flow-round 2023-W48"]["created"]
    assert again["periods"]["flow-round 2023-W48"]["messages"]["recorded"] == 0
    assert len(json_receiver.requests) == before
