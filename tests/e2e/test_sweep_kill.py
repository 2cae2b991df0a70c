"""Kill the sweep in the middle of its fan-out (a real SIGKILL of a real process), then sweep again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import DeliveryStatus
from models.settings import Settings
from models.tables import Delivery
from tasks.notify.outbox import deliver_due, expire_in_doubt
from tasks.notify.sender import AppriseSender
from tests.factories import make_contact, make_measure, make_problem, make_unit
from tests.support.limits import crowded_ledger, minute_by_minute
from tests.support.loopback import JsonReceiver

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
UNITS = 40
CONCURRENCY = 4
HOLD_AFTER = 12


def kill_mid_fan_out(settings: Settings, receiver: JsonReceiver) -> None:
    """Start ``zhenggai sweep`` in its own process and SIGKILL it once every sending thread is inside a
    request the receiver holds."""
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "ZHENGGAI_DATABASE_URL": settings.resolved_database_url,
        "ZHENGGAI_DATA_DIR": str(settings.data_dir),
        "ZHENGGAI_DELIVERY_CONCURRENCY": str(CONCURRENCY),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from flows.cli import main; main()", "sweep", "--as-of", "2023-12-26T10:00"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        # Every sending thread is now inside a request the receiver has taken in and holds.
        while receiver.holding < CONCURRENCY:
            assert process.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, f"only {receiver.holding} requests held"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def test_killed_mid_fan_out_then_rerun_sends_every_remaining_message_once(
    database: Database, settings: Settings, cli: Callable[..., Any]
) -> None:
    from flows.notify import sweep

    with JsonReceiver(hold_after=HOLD_AFTER) as receiver:
        with database.unit_of_work() as session:
            problem = make_problem(session)
            for n in range(UNITS):
                unit = make_unit(session, f"unit-{n:03d}")
                make_contact(session, f"liaison-{n:03d}", unit=unit, urls=[receiver.url(f"u{n:03d}")])
                make_measure(session, problem, code=f"K-{n:03d}", lead_unit=unit, deadline=date(2023, 12, 29))
            session.commit()

        kill_mid_fan_out(settings, receiver)
        arrived_before_kill = len(receiver.requests)
        assert arrived_before_kill == HOLD_AFTER + CONCURRENCY

        with database.unit_of_work() as session:
            statuses = Counter(s.value for s in session.scalars(select(Delivery.status)))
        assert statuses == {
            "sent": HOLD_AFTER,
            "sending": CONCURRENCY,
            "pending": UNITS - HOLD_AFTER - CONCURRENCY,
        }

        receiver.hold_after = None
        receiver.release()
        result = sweep(as_of=datetime(2023, 12, 26, 10, tzinfo=TZ))
        assert result["planned"]["recorded"] == 0
        assert result["delivered"]["sent"] == UNITS - HOLD_AFTER - CONCURRENCY

        keys = receiver.keys()
        assert len(keys) == UNITS and set(keys.values()) == {1}  # each message arrived once, none twice

        # The claims the killed process left are in doubt once their lease is over: failed, not resent.
        assert expire_in_doubt(database, lease_seconds=0) == CONCURRENCY
        again = sweep(as_of=datetime(2023, 12, 26, 11, tzinfo=TZ))
        assert again["delivered"]["due"] == 0 and len(receiver.requests) == UNITS
        with database.unit_of_work() as session:
            doubtful = session.scalars(
                select(Delivery).where(Delivery.status == DeliveryStatus.IN_DOUBT)
            ).all()
            assert len(doubtful) == CONCURRENCY and all("in doubt" in d.error for d in doubtful)
            named = doubtful[0].id
            statuses = Counter(s.value for s in session.scalars(select(Delivery.status)))
        # Nothing lost without being listed: every message is sent, or listed in doubt (at most one per
        # sending thread, the documented bound).
        assert statuses == {"sent": UNITS - CONCURRENCY, "in_doubt": CONCURRENCY}

        # The documented --resend sends no message in doubt: no duplicate.
        listed = cli("notifications", "--status", "in_doubt")
        assert listed.exit_code == 0 and f"{CONCURRENCY} message(s): in_doubt {CONCURRENCY}" in listed.output
        resent = cli("notifications", "--resend")
        assert resent.exit_code == 0, resent.output
        assert f"{CONCURRENCY} message(s) in doubt left alone" in resent.output
        assert len(receiver.requests) == UNITS and set(receiver.keys().values()) == {1}

        # Named on purpose (the recipient says it did not arrive): that one message goes again.
        resent = cli("notifications", "--resend", "--id", named)
        assert resent.exit_code == 0, resent.output
        keys = receiver.keys()
        assert len(receiver.requests) == UNITS + 1 and sorted(keys.values()) == [1] * (UNITS - 1) + [2]


def test_killed_mid_rate_limited_fan_out_then_reruns_keep_every_limit_and_lose_nothing(
    database: Database, settings: Settings
) -> None:
    """Four robots at 5 messages a minute, 10 messages each: killed in the first minute, then passes a
    minute apart on the test's clock. Every robot stays at or under 5 a minute (the killed run's sends
    counted), every message arrives once or is listed in doubt, at most the concurrency in doubt."""
    robots, per_robot, limit = 4, 10, 5
    with JsonReceiver(hold_after=HOLD_AFTER) as receiver:
        crowded_ledger(database, receiver, {f"robot{n}": (per_robot, limit) for n in range(robots)})
        kill_mid_fan_out(settings, receiver)
        minutes = [receiver.paths()]
        assert sum(minutes[0].values()) == HOLD_AFTER + CONCURRENCY
        with database.unit_of_work() as session:
            statuses = Counter(s.value for s in session.scalars(select(Delivery.status)))
        assert statuses["sending"] == CONCURRENCY and statuses["sent"] == HOLD_AFTER

        receiver.hold_after = None
        receiver.release()
        expire_in_doubt(database, lease_seconds=0)  # the killed run's claims: in doubt, never resent
        start = datetime(2023, 12, 26, 10, tzinfo=TZ)
        passes = minute_by_minute(
            receiver,
            lambda now: deliver_due(
                database, AppriseSender(), now=now, concurrency=CONCURRENCY, claim_clock=lambda: now
            ),
            start,
            4,
        )
        minutes[0] += passes[0]  # the rerun's first pass is in the killed run's minute
        minutes += passes[1:]
        assert all(n <= limit for minute in minutes for n in minute.values()), minutes
        with database.unit_of_work() as session:
            statuses = Counter(s.value for s in session.scalars(select(Delivery.status)))
        assert statuses == {"sent": robots * per_robot - CONCURRENCY, "in_doubt": CONCURRENCY}
        keys = receiver.keys()
        assert len(keys) == robots * per_robot and set(keys.values()) == {1}  # none lost, none twice
