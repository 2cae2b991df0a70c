"""Reminders and escalations of a collective's measure fan out to its members, exactly once each,
delivered for real to a JSON receiver on loopback."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import DeliveryStatus, EventKind, ReportStatus, UnitKind
from models.notifications import Policy
from models.tables import Delivery, Measure, StatusEvent, Unit
from models.workdays import WeekdayCalendar
from tasks.notify.outbox import deliver
from tasks.notify.planner import plan_messages
from tasks.notify.sender import AppriseSender
from tests.factories import make_contact, make_measure, make_report, make_unit
from tests.support.loopback import JsonReceiver, json_receiver
from tests.support.work import committed

__all__ = ["json_receiver"]

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar()
STREETS = ("street-1", "street-2", "street-3")


def at(day: date) -> Clock:
    return Clock(CAL, "Asia/Shanghai", datetime.combine(day, time(10), tzinfo=TZ))


def _seed(database: Database, receiver: JsonReceiver) -> None:
    """各街道办事处 (three members, each with a liaison) leads one measure due Friday 2023-12-29; 示例街道一
    has reported it done."""
    with database.unit_of_work() as session:
        jiedao = make_unit(session, "jiedao", name="各街道办事处", kind=UnitKind.COLLECTIVE)
        make_contact(session, "jiedao-office", unit=jiedao, urls=[receiver.url("jiedao")])
        members = {}
        for number, code in enumerate(STREETS, start=1):
            members[code] = make_unit(
                session,
                code,
                name=f"示例街道{'一二三'[number - 1]}",
                kind=UnitKind.STREET_OFFICE,
                parent=jiedao,
            )
            make_contact(session, f"{code}-liaison", unit=members[code], urls=[receiver.url(code)])
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=[receiver.url("leader")]
        )
        measure = make_measure(
            session, code="XH-08-1", lead_unit=jiedao, leader=leader, deadline=date(2023, 12, 29)
        )
        make_report(
            session,
            measure,
            unit=members["street-1"],
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 12, 20, 10, tzinfo=TZ),
        )
        session.commit()


def _plan_and_deliver(database: Database, clock: Clock) -> list[int]:
    ids = committed(database, plan_messages, clock, Policy()).new_ids
    deliver(database, AppriseSender(), ids, now=clock.now, concurrency=2)
    return ids


def test_each_member_not_done_is_reminded_once_and_the_collective_is_not(
    database: Database, json_receiver: JsonReceiver
) -> None:
    _seed(database, json_receiver)
    tuesday = at(date(2023, 12, 26))  # 3 working days before the deadline

    first = _plan_and_deliver(database, tuesday)
    again = _plan_and_deliver(database, tuesday)  # a second sweep the same day

    assert len(first) == 2 and again == []
    paths = Counter(request.path for request in json_receiver.requests)
    assert paths == {"/street-2": 1, "/street-3": 1}  # 示例街道一 is done; the collective only reads
    assert all(count == 1 for count in json_receiver.keys().values())
    with database.unit_of_work() as session:
        keys = sorted(session.scalars(select(Delivery.key)))
    assert [key.split("|")[0] for key in keys] == ["XH-08-1@street-2", "XH-08-1@street-3"]


def test_escalation_steps_are_each_members_recorded_once(
    database: Database, json_receiver: JsonReceiver
) -> None:
    _seed(database, json_receiver)
    late = at(date(2024, 1, 8))  # 6 working days overdue: the unit and 蓝 (the leader) steps

    _plan_and_deliver(database, late)
    _plan_and_deliver(database, late)

    with database.unit_of_work() as session:
        steps = session.scalars(select(StatusEvent).where(StatusEvent.kind == EventKind.ESCALATION)).all()
        keys = sorted(step.dedupe_key or "" for step in steps)
    assert keys == sorted(
        f"escalation|XH-08-1@{code}|2023-12-29|{level}"
        for code in ("street-2", "street-3")
        for level in ("unit", "blue")
    )
    paths = Counter(request.path for request in json_receiver.requests)
    # Each late member hears its 逾期 message once; the leader hears once per late member.
    assert paths == {"/street-2": 1, "/street-3": 1, "/leader": 2}
    assert all(count == 1 for count in json_receiver.keys().values())


def test_a_members_message_is_cancelled_when_it_reports_done_before_sending(
    database: Database, json_receiver: JsonReceiver
) -> None:
    _seed(database, json_receiver)
    tuesday = at(date(2023, 12, 26))
    ids = committed(database, plan_messages, tuesday, Policy()).new_ids
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "XH-08-1"))
        street_2 = session.scalar(select(Unit).where(Unit.code == "street-2"))
        make_report(
            session,
            measure,
            unit=street_2,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 12, 26, 9, tzinfo=TZ),
        )
        session.commit()

    deliver(database, AppriseSender(), ids, now=tuesday.now, concurrency=2)

    assert Counter(request.path for request in json_receiver.requests) == {"/street-3": 1}
    with database.unit_of_work() as session:
        rows = {row.key.split("|")[0]: row for row in session.scalars(select(Delivery))}
        assert rows["XH-08-1@street-2"].error == "member reported done before sending"
        assert rows["XH-08-1@street-3"].status == DeliveryStatus.SENT
