"""Bench 3: the daily reminder/escalation sweep over the whole city round, delivered to a slow loopback receiver.

- decision: ``tasks.notify.planner.plan_messages`` (committed) at 10:00 on the round's last day (every live measure judged,
  every message rendered and recorded in the delivery log, escalation steps recorded);
- delivery: ``tasks.notify.outbox.deliver_due`` with the real ``AppriseSender`` (claim, send, record per message)
  to ``bench.receiver`` answering each POST after ~100 ms; the receiver counts every message by its
  ``X-Zhenggai-Key``, so lost (in the log as sent, never received) and duplicated (received more than
  once) are counted where messages arrive;
- baseline: ``bench.baselines.send_sequentially`` (a plain blocking Apprise loop) on the first
  ``--baseline`` messages of the same log, to the same receiver.

    python -m bench.bench_sweep [--scale 1] [--seed 8] [--delay 0.1] [--baseline 200]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from bench.common import Results, common_arguments, ensure_city, receiver, sqlite_url

TARGET_DECISION_S = 5.0
TARGET_RATE = 500.0


def _log_messages(database: Any, limit: int | None = None) -> list[Any]:
    """The recorded messages (key, URL, title, body) as the sequential baseline sends them."""
    from sqlalchemy import select

    from models.tables import Contact, Delivery
    from tasks.notify.sender import PreparedMessage

    with database.unit_of_work() as session:
        query = (
            select(Delivery.key, Delivery.url_index, Contact.urls, Delivery.title, Delivery.body)
            .join(Contact, Contact.id == Delivery.contact_id)
            .order_by(Delivery.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            PreparedMessage(key, urls[index], title, body)
            for key, index, urls, title, body in session.execute(query)
        ]


def _sent_keys(database: Any) -> tuple[set[str], dict[str, int]]:
    from sqlalchemy import func, select

    from models.enums import DeliveryStatus
    from models.tables import Delivery

    with database.unit_of_work() as session:
        sent = set(session.scalars(select(Delivery.key).where(Delivery.status == DeliveryStatus.SENT)))
        by_status = {
            str(status.value): n
            for status, n in session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        }
    return sent, by_status


def run(
    *,
    seed: int,
    scale: float,
    workdir: Any,
    delay: float = 0.1,
    baseline: int = 200,
    concurrency: int | None = None,
    profile: Any = None,
) -> Results:
    results = Results("sweep")
    try:
        from bench.baselines import send_sequentially
        from tasks.notify.outbox import deliver_due
        from tasks.notify.planner import plan_messages
        from tasks.notify.sender import AppriseSender
    except ImportError as exc:
        for name in ("decision", "delivery", "sequential baseline"):
            results.unavailable(name, f"tasks.notify has not landed ({exc})")
        return results

    from models.db import Database
    from models.notifications import Policy
    from models.settings import Settings

    city = ensure_city(workdir, seed, scale)
    info = city.info
    database = Database(sqlite_url(city.scratch_copy("sweep")))
    settings = Settings()
    policy = Policy.from_settings(settings)
    now = datetime.fromisoformat(info.sweep_at)
    clock = settings.clock(now)

    def plan(db: Any) -> Any:
        with db.unit_of_work() as session:
            planned = plan_messages(session, clock, policy, round_code=info.round_code)
            session.commit()
        return planned

    fan = concurrency or settings.delivery_concurrency
    max_attempts = settings.delivery_retries + 1

    with receiver(info.receiver_port, delay) as rx:
        started = time.perf_counter()
        planned = plan(database)
        decision = time.perf_counter() - started
        results.add(
            "decision (plan_messages)",
            decision,
            "s",
            target=f"< {TARGET_DECISION_S:g} s",
            met=decision < TARGET_DECISION_S,
            note=f"{info.measures} measures → {planned.planned} messages "
            f"({planned.held} held), {planned.escalations} escalation steps",
        )

        started = time.perf_counter()
        counts = deliver_due(database, AppriseSender(), now=now, concurrency=fan, max_attempts=max_attempts)
        delivery = time.perf_counter() - started
        stats = rx.stats()
        sent, by_status = _sent_keys(database)
        received = stats["keys"]
        lost = len([key for key in sent if key not in received])
        duplicated = stats["extra_copies"]
        unexpected = len([key for key in received if key not in sent])
        rate = counts.sent / delivery if delivery else 0.0
        results.add(
            f"delivery (deliver_due, {fan} threads)",
            rate,
            "msg/s",
            target=f"≥ {TARGET_RATE:g} msg/s",
            met=rate >= TARGET_RATE and lost == 0 and duplicated == 0,
            note=f"{counts.sent} sent in {delivery:.2f} s; log {by_status}; receiver {stats['requests']} requests, "
            f"max {stats['max_in_flight']} in flight",
        )
        results.add("lost", lost, "msgs", target="0", met=lost == 0, note="sent in the log, never received")
        results.add(
            "duplicated",
            duplicated,
            "msgs",
            target="0",
            met=duplicated == 0,
            note=f"extra copies received; {unexpected} received keys not marked sent",
        )

        if baseline > 0:
            rx.reset()
            messages = _log_messages(database, baseline)
            seq = send_sequentially(messages)
            after = rx.stats()
            results.add(
                f"sequential Apprise loop ({len(messages)} msgs)",
                seq.per_second,
                "msg/s",
                note=f"{seq.sent} sent in {seq.seconds:.1f} s, {after['requests']} received; "
                f"concurrent/sequential = {rate / seq.per_second if seq.per_second else 0:.1f}×",
            )
    if profile is not None and decision >= TARGET_DECISION_S:
        # The same decision again on a fresh copy of the ledger, under pyinstrument, for the notes.
        from pyinstrument import Profiler

        fresh = Database(sqlite_url(city.scratch_copy("sweep-profile")))
        profiler = Profiler()
        profiler.start()
        plan(fresh)
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, color=False))
        fresh.dispose()
    database.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument("--delay", type=float, default=0.1, help="receiver delay per request (s)")
    parser.add_argument(
        "--baseline", type=int, default=200, help="messages for the sequential loop (0: skip)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, help="default: Settings.delivery_concurrency"
    )
    parser.add_argument(
        "--profile", type=__import__("pathlib").Path, default=None, help="pyinstrument the decision"
    )
    args = parser.parse_args(argv)
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        delay=args.delay,
        baseline=args.baseline,
        concurrency=args.concurrency,
        profile=args.profile,
    ).emit(args.json)


if __name__ == "__main__":
    main()
