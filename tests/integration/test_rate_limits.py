"""Per-endpoint rate limits on real SQLite and PostgreSQL, to the loopback receiver, on a clock the test
controls: never above an endpoint's limit in a minute, none lost, none twice, the wait shown as queued."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import DeliveryStatus
from models.notifications import Policy, allowed_from
from models.rate_limits import SPACING
from models.tables import Delivery
from models.workdays import WeekdayCalendar
from tasks.notify.log import list_deliveries
from tasks.notify.outbox import deliver, deliver_due, due_ids
from tasks.notify.planner import plan_messages
from tasks.notify.sender import AppriseSender
from tests.support.limits import crowded_ledger, minute_by_minute
from tests.support.loopback import JsonReceiver
from tests.support.work import committed

TIMEZONE = "Asia/Shanghai"
TZ = ZoneInfo(TIMEZONE)
CAL = WeekdayCalendar()
POLICY = Policy()
TUESDAY = datetime(2023, 12, 26, 10, tzinfo=TZ)


def plan(database: Database, now: datetime) -> list[int]:
    return committed(database, plan_messages, Clock(CAL, TIMEZONE, now), POLICY).new_ids


def statuses(database: Database) -> Counter[str]:
    with database.unit_of_work() as session:
        return Counter(s.value for s in session.scalars(select(Delivery.status)))


def test_each_endpoint_gets_at_most_its_limit_a_minute_and_every_message_once(database: Database) -> None:
    with JsonReceiver() as receiver:
        # "robot": 7 measures at 3 a minute; "shared": 2 more to the same robot URL (one window);
        # "own": a JSON webhook of one's own, not limited.
        crowded_ledger(database, receiver, {"robot": (7, 3), "own": (2, None)})
        crowded_ledger(database, receiver, {"shared": (2, 3)}, deadline=date(2023, 12, 29))
        with database.unit_of_work() as session:  # the shared unit's contact reaches the robot too
            from models.tables import Contact

            contact = session.scalars(select(Contact).where(Contact.code == "liaison-shared")).one()
            contact.urls = [receiver.url("robot")]
            session.commit()
        plan(database, TUESDAY)

        def one_pass(now: datetime) -> None:
            deliver_due(database, AppriseSender(), now=now, concurrency=4, claim_clock=lambda: now)

        first = minute_by_minute(receiver, one_pass, TUESDAY, 1)[0]
        assert first == {"robot": 3, "own": 2}
        assert statuses(database) == {"sent": 5, "queued": 6}
        with database.unit_of_work() as session:  # the log lists the wait, due when the window frees
            queued = list_deliveries(session, Clock(CAL, TIMEZONE, TUESDAY), status="queued")
            assert len(queued) == 6 and {d.due_at for d, _, _ in queued} == {TUESDAY + SPACING}

        later = minute_by_minute(receiver, one_pass, TUESDAY + SPACING, 3)
        assert later == [{"robot": 3}, {"robot": 3}, {}]
        assert statuses(database) == {"sent": 11}
        keys = receiver.keys()
        assert len(keys) == 11 and set(keys.values()) == {1}  # none lost, none twice


def test_a_turn_that_falls_in_quiet_hours_waits_for_the_next_working_morning(database: Database) -> None:
    friday_evening = datetime(2023, 12, 29, 17, 59, 30, tzinfo=TZ)
    with JsonReceiver() as receiver:
        crowded_ledger(database, receiver, {"robot": (3, 2)}, deadline=date(2024, 1, 3))
        plan(database, friday_evening)
        quiet = partial(allowed_from, Clock(CAL, TIMEZONE, friday_evening), POLICY)
        ids = due_ids(database, now=friday_evening, max_attempts=4)
        counts = deliver(
            database,
            AppriseSender(),
            ids,
            now=friday_evening,
            allowed_from=quiet,
            claim_clock=lambda: friday_evening,
        )
        assert counts.sent == 2 and counts.queued == 1
        monday = datetime.combine(date(2024, 1, 1), time(8, 30), tzinfo=TZ)
        with database.unit_of_work() as session:
            waiting = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.QUEUED)).one()
            assert waiting.due_at == monday  # not 18:00:32 (quiet), not dropped
        assert deliver_due(database, AppriseSender(), now=friday_evening + timedelta(minutes=5)).sent == 0
        assert deliver_due(database, AppriseSender(), now=monday).sent == 1
        assert len(receiver.keys()) == 3


def test_senders_in_parallel_share_one_window_per_endpoint(database: Database) -> None:
    with JsonReceiver(delay=0.05) as receiver:
        crowded_ledger(database, receiver, {"robot": (12, 4)})
        ids = plan(database, TUESDAY)
        results = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    deliver(
                        database,
                        AppriseSender(),
                        ids,
                        now=TUESDAY,
                        concurrency=4,
                        claim_clock=lambda: TUESDAY,
                    )
                )
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Three senders at once (a sweep, serve, a worker): the robot still got its 4, each once.
        assert receiver.paths() == {"robot": 4} and set(receiver.keys().values()) == {1}
        assert sum(r.sent for r in results) == 4
        assert statuses(database) == {"sent": 4, "queued": 8}


class _Waits:
    """The sweep's clock for waiting: sleeping moves it on at once (no real wait in a test)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_sweep_waits_for_the_queued_turns_of_the_day_and_sends_them(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.notify
    from flows.notify import sweep

    waits = _Waits()
    monkeypatch.setattr(flows.notify, "time", waits)
    with JsonReceiver() as receiver:
        crowded_ledger(database, receiver, {"robot": (5, 2)})
        result = sweep(as_of=TUESDAY)
        # 2 at once, 2 a spacing later, the last one after another: all in the one sweep, each once
        assert result["delivered"]["sent"] == 5 and receiver.paths() == {"robot": 5}
        # (a slot counts from when its send finished, so a turn may come a moment after the claim's)
        assert sum(waits.slept) >= 2 * SPACING.total_seconds()
        assert set(receiver.keys().values()) == {1}


def test_a_reference_is_limited_by_the_scheme_it_resolves_to(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``env:`` and a ``secret:`` reference to the same JSON robot (``json`` limited to 2 a minute here, as
    a scheme default): resolved at the claim, one window between them, the scheme's default applied."""
    from models.tables import Contact

    with JsonReceiver() as receiver:
        crowded_ledger(database, receiver, {"by-env": (3, None), "by-secret": (2, None)})
        monkeypatch.setenv("ZG_TEST_ROBOT_URL", receiver.url("robot"))
        with database.unit_of_work() as session:
            for code, reference in (
                ("liaison-by-env", "env:ZG_TEST_ROBOT_URL"),
                ("liaison-by-secret", "secret:robot"),
            ):
                session.scalars(select(Contact).where(Contact.code == code)).one().urls = [reference]
            session.commit()
        plan(database, TUESDAY)
        sender = AppriseSender(secret_loader={"robot": receiver.url("robot")}.__getitem__)

        def one_pass(now: datetime) -> None:
            deliver_due(database, sender, now=now, concurrency=4, limits={"json": 2}, claim_clock=lambda: now)

        assert minute_by_minute(receiver, one_pass, TUESDAY, 4) == [
            {"robot": 2},
            {"robot": 2},
            {"robot": 1},
            {},
        ]
        assert statuses(database) == {"sent": 5}
        keys = receiver.keys()
        assert len(keys) == 5 and set(keys.values()) == {1}  # none lost, none twice
