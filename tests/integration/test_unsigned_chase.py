"""签收 chased for every owner the portal lets sign: each member of a collective lead on its own (a reminder,
then the ladder, its 督办单 addressed to the member), a co-unit reminded once; exactly once per assignment,
and a signature stops that signer's chase only."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import UnitKind
from models.notifications import Policy
from models.tables import Delivery, DubanSheet, StatusEvent, Unit
from tasks.notify.unsigned import plan_unsigned_assignments
from tasks.reports.assignments import acknowledge
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.integration.test_duban import CAL, TIMEZONE, at
from tests.support.work import committed

POLICY = Policy(ack_chase_after=3)


def _ledger(database: Database) -> None:
    """各街道办事处 (two members) leads XH-08-1, assigned Tuesday 2 January 2024, with 城管科 as co-unit."""
    with database.unit_of_work() as session:
        coordinator = make_contact(session, "duban-office", role="督办室", urls=["json://127.0.0.1:1/d"])
        leader = make_contact(session, "leader-li", role="分管副局长", urls=["json://127.0.0.1:1/l"])
        jiedao = make_unit(session, "jiedao", name="各街道办事处", kind=UnitKind.COLLECTIVE)
        make_contact(session, "jiedao-office", unit=jiedao, urls=["json://127.0.0.1:1/j"])
        for n in (1, 2):
            street = make_unit(session, f"street-{n}", kind=UnitKind.STREET_OFFICE, parent=jiedao)
            make_contact(session, f"street-{n}-liaison", unit=street, urls=[f"json://127.0.0.1:1/s{n}"])
        co = make_unit(session, "chengguan", name="城管科")
        make_contact(session, "chengguan-liaison", unit=co, urls=["json://127.0.0.1:1/c"])
        problem = make_problem(session, make_round(session, coordinator=coordinator))
        make_measure(
            session,
            problem,
            code="XH-08-1",
            lead_unit=jiedao,
            co_units=[co],
            leader=leader,
            deadline=date(2024, 6, 28),
            created_at=datetime(2024, 1, 2, 2, tzinfo=UTC),
        )
        session.commit()


def _chase(database: Database, day: date) -> list[str]:
    before = _keys(database)
    committed(database, plan_unsigned_assignments, Clock(CAL, TIMEZONE, at(day)), POLICY)
    return sorted(set(_keys(database)) - set(before))


def _keys(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(Delivery.key)))


def _sign(database: Database, unit_code: str, day: date) -> None:
    with database.unit_of_work() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        assert unit_id is not None
        acknowledge(session, "XH-08-1", unit_id=unit_id, token_id=None, actor="t", now=at(day))
        session.commit()


def test_each_member_and_the_co_unit_are_chased_once_per_assignment(database: Database) -> None:
    _ledger(database)
    assert _chase(database, date(2024, 1, 4)) == []  # 2 working days: not yet
    anchor = "unsigned-"
    reminded = _chase(database, date(2024, 1, 5))
    assert [key.split(anchor)[0] for key in reminded] == [
        "XH-08-1@street-1|ack_reminder|street-1-liaison#0|",
        "XH-08-1@street-2|ack_reminder|street-2-liaison#0|",
        "XH-08-1|ack_reminder|chengguan-liaison#0|",  # the co-unit, in its own words
    ]  # the collective itself is not chased: its members sign
    assert _chase(database, date(2024, 1, 5)) == [] and _chase(database, date(2024, 1, 8)) == []
    _sign(database, "street-1", date(2024, 1, 8))
    blue = _chase(database, date(2024, 1, 9))  # street-2 still unsigned: 蓝色督办 to the leader and street-2
    assert [key.split(anchor)[0] for key in blue] == [
        "XH-08-1@street-2|escalation|leader-li#0|",
        "XH-08-1@street-2|escalation|street-2-liaison#0|",
    ]
    with database.unit_of_work() as session:
        (sheet,) = session.scalars(select(DubanSheet))
        assert (sheet.member, sheet.level, sheet.unsigned_workdays) == ("street-2", "blue", 5)
        events = list(session.scalars(select(StatusEvent.dedupe_key).where(StatusEvent.kind == "escalation")))
        assert [e.split("|unsigned-")[0] for e in events] == ["escalation|XH-08-1@street-2"]
        body = session.scalar(select(Delivery.body).where(Delivery.key.like("XH-08-1|ack_reminder|%")))
        assert body is not None and "您单位配合的整改措施下达已 3 个工作日，您单位尚未签收" in body
    later = _chase(database, date(2024, 1, 30))  # street-2 climbs on; the co-unit is never escalated
    assert later and all(key.startswith("XH-08-1@street-2|escalation|") for key in later)
    _sign(database, "chengguan", date(2024, 1, 30))
    _sign(database, "street-2", date(2024, 1, 30))
    assert _chase(database, date(2024, 2, 20)) == []
