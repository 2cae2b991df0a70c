"""Daily digests on real SQLite and PostgreSQL, to the loopback receiver: a contact who reads one gets one
message a working day carrying its items, exactly once, and none of those items alone; re-running the
sweep sends nothing again."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import DeliveryStatus, MessageKind
from models.notifications import Policy
from models.tables import Delivery
from models.workdays import WeekdayCalendar
from tasks.notify.outbox import deliver_due
from tasks.notify.planner import compose_digests, plan_messages
from tasks.notify.sender import AppriseSender
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.support.loopback import JsonReceiver
from tests.support.work import committed

TIMEZONE = "Asia/Shanghai"
TZ = ZoneInfo(TIMEZONE)
CAL = WeekdayCalendar()
POLICY = Policy()


def sweep(database: Database, now: datetime) -> None:
    """What the sweep flow does: plan, compose the digests, deliver what is due."""
    clock = Clock(CAL, TIMEZONE, now)

    def plan(session: object) -> None:
        plan_messages(session, clock, POLICY)  # type: ignore[arg-type]
        compose_digests(session, clock, POLICY)  # type: ignore[arg-type]

    committed(database, plan)
    deliver_due(database, AppriseSender(), now=now, concurrency=4)


def test_a_daily_digest_carries_each_item_once_and_no_item_goes_alone(database: Database) -> None:
    with JsonReceiver() as receiver:
        with database.unit_of_work() as session:
            leader = make_contact(
                session,
                "leader-li",
                person="李某某",
                role="分管副局长",
                digest="daily",
                urls=[receiver.url("leader")],
            )
            round_ = make_round(session)
            problem = make_problem(session, round_)
            busy = make_unit(session, "busy", name="第一街道办事处")
            make_contact(session, "busy-liaison", unit=busy, digest="daily", urls=[receiver.url("busy")])
            calm = make_unit(session, "calm", name="第二街道办事处")
            make_contact(session, "calm-liaison", unit=calm, urls=[receiver.url("calm")])
            for n in range(3):  # overdue since 2023-12-20: 逾期 daily, and 蓝色督办 to the leader
                make_measure(
                    session,
                    problem,
                    code=f"B-{n}",
                    lead_unit=busy,
                    leader=leader,
                    deadline=date(2023, 12, 20),
                )
            make_measure(session, problem, code="B-9", lead_unit=busy, deadline=date(2023, 12, 29))  # 提醒
            make_measure(session, problem, code="C-1", lead_unit=calm, deadline=date(2023, 12, 29))
            session.commit()

        tuesday = datetime(2023, 12, 26, 10, tzinfo=TZ)
        sweep(database, tuesday)
        sweep(database, tuesday)  # the same day again: nothing new, nothing sent twice
        paths = receiver.paths()
        assert paths == {"busy": 1, "leader": 1, "calm": 1}  # one digest each; calm reads per message
        with database.unit_of_work() as session:
            rows = session.scalars(select(Delivery)).all()
            digests = {d.id: d for d in rows if d.kind == MessageKind.DAILY_DIGEST}
            items = [d for d in rows if d.status == DeliveryStatus.DIGESTED]
            assert len(digests) == 2 and all(d.status == DeliveryStatus.SENT for d in digests.values())
            assert len(items) == 7 and all(d.digest_id in digests for d in items)  # 3 逾期 + 1 提醒 + 3 蓝色
            busy_digest = next(d for d in digests.values() if d.key.startswith("contact:busy-liaison"))
            assert busy_digest.key == "contact:busy-liaison|daily_digest|busy-liaison#0|2023-12-26"
        sent_keys = receiver.keys()
        assert set(sent_keys.values()) == {1} and not any(k.startswith("B-") for k in sent_keys)
        body = receiver.to("busy")[0].body
        text = str(body)
        assert "即将到期（1条）" in text and "已逾期（3条）" in text

        wednesday = datetime(2023, 12, 27, 10, tzinfo=TZ)
        sweep(database, wednesday)
        sweep(database, wednesday)
        assert receiver.paths() == {"busy": 2, "leader": 1, "calm": 1}  # the day's new 逾期 only
        with database.unit_of_work() as session:
            latest = session.scalars(
                select(Delivery).where(
                    Delivery.key == "contact:busy-liaison|daily_digest|busy-liaison#0|2023-12-27"
                )
            ).one()
            carried = Counter(
                d.kind for d in session.scalars(select(Delivery).where(Delivery.digest_id == latest.id))
            )
            assert carried == {"overdue": 3}
        assert set(receiver.keys().values()) == {1}
