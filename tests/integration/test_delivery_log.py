"""The delivery log on real SQLite and PostgreSQL: recorded once, claimed once, retried, failed, in doubt."""

from __future__ import annotations

import logging
import threading
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from models.clock import Clock
from models.db import Database
from models.enums import DeliveryStatus, MeasureStatus
from models.notifications import Policy
from models.tables import Delivery, Measure, StatusEvent
from models.workdays import WeekdayCalendar, workdays_in
from tasks.notify.log import list_deliveries, resend
from tasks.notify.outbox import FAILED_AFTER_DOUBT, SENT_AFTER_DOUBT, deliver, deliver_due, expire_in_doubt
from tasks.notify.planner import plan_messages
from tasks.notify.sender import PreparedMessage, SendResult
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.support.fake_sender import FakeSender
from tests.support.work import committed

TIMEZONE = "Asia/Shanghai"  # what Settings.timezone says
TZ = ZoneInfo(TIMEZONE)
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
    first = committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2023, 12, 22))), POLICY)
    assert first.recorded == first.planned == 6  # 3 units × 2 URLs, reminder step -5
    again = committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2023, 12, 22), 15)), POLICY)
    assert again.planned == 6 and again.recorded == 0
    with database.unit_of_work() as session:
        rows = session.scalars(select(Delivery)).all()
        assert len(rows) == 6
        assert {r.recipient_masked for r in rows if r.channel == "json"} == {"json://127.0.0.1:1/…"}
        assert all("剩余工作日：5 个" in r.body for r in rows)


def test_escalation_steps_are_status_events_once(database: Database) -> None:
    ledger(database)
    for day in workdays_in(CAL, date(2024, 1, 2), date(2024, 1, 31)):
        committed(database, plan_messages, Clock(CAL, TIMEZONE, at(day)), POLICY)
        committed(database, plan_messages, Clock(CAL, TIMEZONE, at(day, 16)), POLICY)
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
    ids = committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids
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
        "cancelled": 0,
        "queued": 0,
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
    ids = committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids
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
    plan = committed(database, plan_messages, Clock(CAL, TIMEZONE, evening), POLICY)
    assert plan.held == plan.recorded == 2
    sender = FakeSender()
    assert deliver_due(database, sender, now=evening).sent == 0
    assert deliver_due(database, sender, now=at(date(2023, 12, 25), 8)).sent == 0
    assert deliver_due(database, sender, now=at(date(2023, 12, 25), 9)).sent == 2


def test_a_claim_left_by_a_dead_process_is_in_doubt_and_not_resent(database: Database) -> None:
    ledger(database)
    now = at(date(2023, 12, 22))
    ids = committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids
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
            doubtful is not None
            and doubtful.status == DeliveryStatus.IN_DOUBT
            and "in doubt" in doubtful.error
        )
        # A resend of every failed message leaves it (it may have arrived); named, it goes again.
        assert resend(session, Clock(CAL, TIMEZONE, now)) == []
        assert resend(session, Clock(CAL, TIMEZONE, now), ids=[ids[0]]) == [ids[0]]
        session.commit()
    assert deliver_due(database, sender, now=now).sent == 1
    assert len(sender.sent) == 2 and max(sender.sent_keys().values()) == 1


def test_the_log_is_filtered_by_unit_status_and_day(database: Database) -> None:
    ledger(database, units=2)
    now = at(date(2023, 12, 22))
    committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY)
    deliver_due(database, FakeSender(dead={"json://127.0.0.1:1/u001"}), now=now, max_attempts=1)
    with database.unit_of_work() as session:
        assert len(list_deliveries(session, Clock(CAL, TIMEZONE, now))) == 4
        assert len(list_deliveries(session, Clock(CAL, TIMEZONE, now), unit_code="unit-001")) == 2
        failed = list_deliveries(session, Clock(CAL, TIMEZONE, now), status="failed")
        assert [(row[1], row[2]) for row in failed] == [("M-001", "unit-001")]
        assert len(list_deliveries(session, Clock(CAL, TIMEZONE, now), day=date(2023, 12, 22))) == 4
        assert list_deliveries(session, Clock(CAL, TIMEZONE, now), day=date(2023, 12, 21)) == []


def test_plan_accepts_env_and_secret_references_and_refuses_malformed_ones(
    database: Database, tmp_path: Any
) -> None:
    from models.errors import InvalidPlan
    from tasks.ledger.plan_load import load_plan_file
    from tests.conftest import EXAMPLE_DIR

    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    good = text.replace('"json://127.0.0.1:8089/dangzu"', '"env:DANGZU_ROBOT_URL"').replace(
        '"json://127.0.0.1:8089/bangongshi"', '"secret:bangongshi-robot"'
    )
    assert good != text
    path = tmp_path / "plan.yaml"
    path.write_text(good.replace('"json://127.0.0.1:8089/jiedao"', '"secret:Jiedao Robot"'), encoding="utf-8")
    clock = Clock(CAL, TIMEZONE, at(date(2023, 12, 1)))
    with pytest.raises(InvalidPlan) as raised:
        committed(database, load_plan_file, path, clock)
    assert len(raised.value.issues) == 1 and "secret:block-name" in str(raised.value)
    path.write_text(good, encoding="utf-8")
    committed(database, load_plan_file, path, clock)
    with database.unit_of_work() as session:
        from models.tables import Contact

        urls = session.scalars(
            select(Contact.urls).where(Contact.code.in_(["dangzu-liaison", "bangongshi-liaison"]))
        )
        assert {u for pair in urls for u in pair} >= {"env:DANGZU_ROBOT_URL", "secret:bangongshi-robot"}


@dataclass
class OutlastsTheLease(FakeSender):
    """A send so slow that the next sweep's ``expire_in_doubt`` marks it in doubt before it returns."""

    database: Database | None = None

    def send(self, message: PreparedMessage) -> SendResult:
        clock.sleep(0.01)
        assert self.database is not None and expire_in_doubt(self.database, lease_seconds=0) == 1
        return super().send(message)


def test_a_send_that_outlasts_the_lease_records_its_true_outcome(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ledger(database)
    now = at(date(2023, 12, 22))
    ids = committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids
    sender = OutlastsTheLease(dead={"mailto://127.0.0.1:1?to=u000@example.org"}, database=database)
    with caplog.at_level(logging.WARNING, logger="zhenggai.notify"):
        counts = deliver(database, sender, ids, now=now, concurrency=1, max_attempts=4)
    assert counts.sent == 1 and counts.failed == 1 and len(sender.sent) == 1
    assert sum("marked in doubt" in r.getMessage() for r in caplog.records) == 2
    with database.unit_of_work() as session:
        arrived, lost = (session.get(Delivery, row_id) for row_id in ids)
        assert arrived is not None and lost is not None
        assert arrived.status == DeliveryStatus.SENT and arrived.sent_at is not None
        assert arrived.error == SENT_AFTER_DOUBT and "in doubt" in arrived.error
        assert lost.status == DeliveryStatus.FAILED and lost.sent_at is None
        assert lost.error.startswith(FAILED_AFTER_DOUBT) and "connection refused" in lost.error
        # The message that went out is not resent; the one that did not arrive is.
        assert resend(session, Clock(CAL, TIMEZONE, now), ids=ids) == [lost.id]
        session.commit()
    assert deliver(database, FakeSender(), ids, now=now).sent == 1


def _fail_all(database: Database, errors: dict[int, str]) -> None:
    with database.unit_of_work() as session:
        for row_id, error in errors.items():
            session.execute(
                update(Delivery)
                .where(Delivery.id == row_id)
                .values(status=DeliveryStatus.FAILED, error=error, attempts=4)
            )
        session.commit()


def test_resend_picks_ids_in_sql_and_keeps_one_prefix(database: Database) -> None:
    ledger(database, units=3)
    now = at(date(2023, 12, 22))
    ids = sorted(committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids)
    _fail_all(database, {ids[0]: "HTTP 500", ids[1]: "resent after: HTTP 502", ids[2]: "timeout"})
    with database.unit_of_work() as session:
        # ids[3] is pending, an unknown id is ignored: only failed rows among the ids are chosen.
        assert sorted(resend(session, Clock(CAL, TIMEZONE, now), ids=[ids[1], ids[0], ids[3], 10**9])) == [
            ids[0],
            ids[1],
        ]
        session.commit()
    with database.unit_of_work() as session:
        rows = {
            row_id: (status, error, attempts)
            for row_id, status, error, attempts in session.execute(
                select(Delivery.id, Delivery.status, Delivery.error, Delivery.attempts)
            )
        }
    assert rows[ids[0]] == (DeliveryStatus.PENDING, "resent after: HTTP 500", 0)
    assert rows[ids[1]] == (DeliveryStatus.PENDING, "resent after: HTTP 502", 0)
    assert rows[ids[2]] == (DeliveryStatus.FAILED, "timeout", 4)
    _fail_all(database, {ids[0]: "resent after: HTTP 500"})
    with database.unit_of_work() as session:
        assert resend(session, Clock(CAL, TIMEZONE, now), unit_code="unit-000") == [ids[0]]
        session.commit()
        assert session.scalar(select(Delivery.error).where(Delivery.id == ids[0])) == "resent after: HTTP 500"


def test_a_day_ends_before_the_next_midnight_in_the_configured_zone(database: Database) -> None:
    ledger(database)
    now = at(date(2023, 12, 22))
    first, second = committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids
    with database.unit_of_work() as session:  # one due at 10:00, one at the next day's midnight
        session.execute(
            update(Delivery)
            .where(Delivery.id == second)
            .values(due_at=datetime.combine(date(2023, 12, 23), time.min, tzinfo=TZ))
        )
        session.commit()
    _fail_all(database, {first: "HTTP 500", second: "HTTP 500"})

    def listed(day: date, timezone: str = TIMEZONE) -> list[int]:
        with database.unit_of_work() as session:
            return [row[0].id for row in list_deliveries(session, Clock(CAL, timezone, at(day)), day=day)]

    assert listed(date(2023, 12, 22)) == [first]
    assert listed(date(2023, 12, 23)) == [second]
    # The zone is the caller's (Settings.timezone): 10:00 in Shanghai is 18:00 the day before in Los Angeles.
    assert listed(date(2023, 12, 21), "America/Los_Angeles") == [first]
    assert listed(date(2023, 12, 22), "America/Los_Angeles") == [second]
    with database.unit_of_work() as session:
        assert resend(session, Clock(CAL, TIMEZONE, now), day=date(2023, 12, 22)) == [first]


def test_messages_of_a_measure_done_closed_or_removed_meanwhile_are_not_sent(database: Database) -> None:
    ledger(database, units=4)
    evening = at(date(2023, 12, 22), 19)
    assert committed(database, plan_messages, Clock(CAL, TIMEZONE, evening), POLICY).held == 8
    with database.unit_of_work() as session:
        measures = {m.code: m for m in session.scalars(select(Measure))}
        measures["M-000"].status = MeasureStatus.CLOSED  # 销号 over the weekend
        measures["M-001"].status = MeasureStatus.DONE
        measures["M-002"].removed_at = datetime.now(TZ)  # removed from the plan
        session.commit()
    sender = FakeSender()
    counts = deliver_due(database, sender, now=at(date(2023, 12, 25), 9))
    assert counts.cancelled == 6 and counts.sent == 2
    assert {m.key.split("|")[0] for m in sender.sent} == {"M-003"}
    with database.unit_of_work() as session:
        outcome = {
            (code, status, error)
            for code, status, error in session.execute(
                select(Measure.code, Delivery.status, Delivery.error).join(
                    Measure, Measure.id == Delivery.measure_id
                )
            )
        }
    assert outcome == {
        ("M-000", DeliveryStatus.FAILED, "measure closed before sending"),
        ("M-001", DeliveryStatus.FAILED, "measure reported done before sending"),
        ("M-002", DeliveryStatus.FAILED, "measure removed before sending"),
        ("M-003", DeliveryStatus.SENT, ""),
    }
    assert deliver_due(database, sender, now=at(date(2023, 12, 25), 10)).as_dict() == {
        "sent": 0,
        "failed": 0,
        "retry": 0,
        "skipped": 0,
        "in_doubt": 0,
        "cancelled": 0,
        "queued": 0,
    }
