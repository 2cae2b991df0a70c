"""The delivery log on real SQLite and PostgreSQL: recorded once, claimed once, retried, failed, in doubt."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from models.db import Database
from models.notifications import Policy
from models.tables import Delivery, DeliveryStatus, StatusEvent
from models.workdays import WeekdayCalendar, workdays_in
from tasks.notify import deliver, deliver_due, expire_in_doubt, list_deliveries, plan_and_record, resend
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.support.fake_sender import FakeSender

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar(holidays=frozenset({date(2024, 1, 1)}))  # 元旦
POLICY = Policy()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def ledger(database: Database, *, units: int = 1, deadline: date = date(2023, 12, 29)) -> dict[str, Any]:
    """A round with coordinator and head, ``units`` units with one contact each (two URLs), one measure per unit."""
    with database.unit_of_work() as session:
        coordinator = make_contact(
            session, "duban-office", person="督办室", role="督办室", urls=["json://127.0.0.1:1/duban"]
        )
        head = make_contact(
            session, "bureau-head", person="王局长", role="局长", urls=["json://127.0.0.1:1/head"]
        )
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=["json://127.0.0.1:1/leader"]
        )
        round_ = make_round(session, coordinator=coordinator, head=head)
        problem = make_problem(session, round_)
        for n in range(units):
            unit = make_unit(session, f"unit-{n:03d}", name=f"第{n}街道办事处")
            make_contact(
                session,
                f"liaison-{n:03d}",
                unit=unit,
                urls=[f"json://127.0.0.1:1/u{n:03d}", f"mailto://127.0.0.1:1?to=u{n:03d}@example.org"],
            )
            make_measure(
                session, problem, code=f"M-{n:03d}", lead_unit=unit, leader=leader, deadline=deadline
            )
        session.commit()
        return {"round": round_.code}


def test_planning_twice_records_each_key_once(database: Database) -> None:
    ledger(database, units=3)
    first = plan_and_record(database, now=at(date(2023, 12, 22)), calendar=CAL, policy=POLICY)
    assert first.recorded == first.planned == 6  # 3 units × 2 URLs, reminder step -5
    again = plan_and_record(database, now=at(date(2023, 12, 22), 15), calendar=CAL, policy=POLICY)
    assert again.planned == 6 and again.recorded == 0
    with database.unit_of_work() as session:
        rows = session.scalars(select(Delivery)).all()
        assert len(rows) == 6
        assert {r.recipient_masked for r in rows if r.channel == "json"} == {"json://127.0.0.1:1/u0…"}
        assert all("剩余工作日：5 个" in r.body for r in rows)


def test_escalation_steps_are_status_events_once(database: Database) -> None:
    ledger(database)
    for day in workdays_in(CAL, date(2024, 1, 2), date(2024, 1, 31)):
        plan_and_record(database, now=at(day), calendar=CAL, policy=POLICY)
        plan_and_record(database, now=at(day, 16), calendar=CAL, policy=POLICY)
    with database.unit_of_work() as session:
        events = session.execute(
            select(StatusEvent.to_value, StatusEvent.at)
            .where(StatusEvent.kind == "escalation")
            .order_by(StatusEvent.at)
        ).all()
    assert [(level, when.astimezone(TZ).date()) for level, when in events] == [
        ("unit", date(2024, 1, 2)),
        ("blue", date(2024, 1, 4)),
        ("yellow", date(2024, 1, 10)),
        ("red", date(2024, 1, 22)),
    ]


def test_failures_are_retried_and_a_dead_endpoint_ends_failed(database: Database) -> None:
    ledger(database, units=3)
    now = at(date(2023, 12, 22))
    ids = plan_and_record(database, now=now, calendar=CAL, policy=POLICY).new_ids
    sender = FakeSender(dead={"json://127.0.0.1:1/u000"}, fail_first={"json://127.0.0.1:1/u001": 2})
    passes = [deliver(database, sender, ids, now=now, concurrency=4, max_attempts=4) for _ in range(5)]
    assert passes[0].sent == 4 and passes[0].retry == 2
    assert passes[1].retry == 2 and passes[2].sent == 1 and passes[2].retry == 1
    assert passes[3].failed == 1 and passes[4].as_dict() == {
        "sent": 0,
        "failed": 0,
        "retry": 0,
        "skipped": 0,
        "in_doubt": 0,
    }
    assert all(n == 1 for n in sender.sent_keys().values()) and len(sender.sent) == 5
    with database.unit_of_work() as session:
        dead = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)).one()
        assert dead.attempts == 4 and "connection refused" in dead.error
        flaky = session.scalars(select(Delivery).where(Delivery.key.like("%liaison-001#0%"))).one()
        assert flaky.status == DeliveryStatus.SENT and flaky.attempts == 3


def test_overlapping_runs_send_each_key_once(database: Database) -> None:
    ledger(database, units=20)
    now = at(date(2023, 12, 22))
    ids = plan_and_record(database, now=now, calendar=CAL, policy=POLICY).new_ids
    sender = FakeSender(delay=0.01)
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(deliver(database, sender, ids, now=now, concurrency=8))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 40
    assert sender.sent_keys() and max(sender.sent_keys().values()) == 1 and len(sender.sent) == 40
    assert sender.max_in_flight <= 24


def test_held_messages_wait_for_working_hours(database: Database) -> None:
    ledger(database)
    evening = at(date(2023, 12, 22), 19)
    plan = plan_and_record(database, now=evening, calendar=CAL, policy=POLICY)
    assert plan.held == plan.recorded == 2
    sender = FakeSender()
    assert deliver_due(database, sender, now=evening).sent == 0
    assert deliver_due(database, sender, now=at(date(2023, 12, 25), 8)).sent == 0
    assert deliver_due(database, sender, now=at(date(2023, 12, 25), 9)).sent == 2


def test_a_claim_left_by_a_dead_process_is_in_doubt_and_not_resent(database: Database) -> None:
    ledger(database)
    now = at(date(2023, 12, 22))
    ids = plan_and_record(database, now=now, calendar=CAL, policy=POLICY).new_ids
    with database.unit_of_work() as session:  # what a killed sender leaves behind
        session.execute(
            update(Delivery)
            .where(Delivery.id == ids[0])
            .values(
                status=DeliveryStatus.SENDING,
                attempts=1,
                last_attempt_at=datetime.now(TZ) - timedelta(minutes=5),
            )
        )
        session.commit()
    sender = FakeSender()
    counts = deliver_due(database, sender, now=now)
    assert counts.in_doubt == 1 and counts.sent == 1
    assert expire_in_doubt(database) == 0
    with database.unit_of_work() as session:
        doubtful = session.get(Delivery, ids[0])
        assert (
            doubtful is not None and doubtful.status == DeliveryStatus.FAILED and "in doubt" in doubtful.error
        )
        assert resend(session, ids=[ids[0]], now=now) == [ids[0]]
        session.commit()
    assert deliver_due(database, sender, now=now).sent == 1
    assert len(sender.sent) == 2 and max(sender.sent_keys().values()) == 1


def test_the_log_is_filtered_by_unit_status_and_day(database: Database) -> None:
    ledger(database, units=2)
    now = at(date(2023, 12, 22))
    plan_and_record(database, now=now, calendar=CAL, policy=POLICY)
    deliver_due(database, FakeSender(dead={"json://127.0.0.1:1/u001"}), now=now, max_attempts=1)
    with database.unit_of_work() as session:
        assert len(list_deliveries(session)) == 4
        assert len(list_deliveries(session, unit_code="unit-001")) == 2
        failed = list_deliveries(session, status="failed")
        assert [(row[1], row[2]) for row in failed] == [("M-001", "unit-001")]
        assert len(list_deliveries(session, day=date(2023, 12, 22))) == 4
        assert list_deliveries(session, day=date(2023, 12, 21)) == []


def test_plan_accepts_env_and_secret_references_and_refuses_malformed_ones(
    database: Database, tmp_path: Any
) -> None:
    import pytest

    from models.errors import InvalidPlan
    from tasks.plan import load_plan_file
    from tests.conftest import EXAMPLE_DIR

    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    good = text.replace('"json://127.0.0.1:8089/dangzu"', '"env:DANGZU_ROBOT_URL"').replace(
        '"json://127.0.0.1:8089/bangongshi"', '"secret:bangongshi-robot"'
    )
    assert good != text
    path = tmp_path / "plan.yaml"
    path.write_text(good.replace('"json://127.0.0.1:8089/jiedao"', '"secret:Jiedao Robot"'), encoding="utf-8")
    with pytest.raises(InvalidPlan) as raised:
        load_plan_file(database, path)
    assert len(raised.value.issues) == 1 and "secret:block-name" in str(raised.value)
    path.write_text(good, encoding="utf-8")
    load_plan_file(database, path)
    with database.unit_of_work() as session:
        from models.tables import Contact

        urls = session.scalars(
            select(Contact.urls).where(Contact.code.in_(["dangzu-liaison", "bangongshi-liaison"]))
        )
        assert {u for pair in urls for u in pair} >= {"env:DANGZU_ROBOT_URL", "secret:bangongshi-robot"}
