"""Bench 3: the daily reminder/escalation sweep over the whole city round, delivered to a slow loopback receiver.

- decision: ``tasks.notify.planner.plan_messages`` (committed) at 10:00 on the round's last day (every live measure judged,
  every message rendered and recorded in the delivery log, escalation steps recorded);
- delivery: ``tasks.notify.outbox.deliver_due`` with the real ``AppriseSender`` (claim, send, record per message)
  to ``bench.receiver`` answering each POST after ~100 ms; the receiver counts every message by its
  ``X-Zhenggai-Key``, so lost (in the log as sent, never received) and duplicated (received more than
  once) are counted where messages arrive;
- baseline: ``bench.baselines.send_sequentially`` (a plain blocking Apprise loop) on the first
  ``--baseline`` messages of the same log, to the same receiver.
- fan-out: ``--fanout 5000`` messages over ``--endpoints 1000`` endpoints (a ledger of their own, on
  SQLite and on PostgreSQL when it is reachable) through ``deliver_due`` with ``--fan-concurrency``
  threads (chunked claims, batched outcomes), no limit hit; then again with ``--limit`` messages a
  minute per endpoint: every endpoint at or under its limit (the receiver's busiest 60 s of any one
  endpoint), the total time the limit implies, 0 lost, 0 duplicated.

    python -m bench.bench_sweep [--scale 1] [--seed 8] [--delay 0.1] [--baseline 200]
        [--fanout 5000 --endpoints 1000 --fan-concurrency 128 --limit 3]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from bench.common import Results, common_arguments, ensure_city, receiver, sqlite_url

TARGET_DECISION_S = 5.0
TARGET_RATE = 500.0
TARGET_FAN_OUT = {"SQLite": 300.0, "PostgreSQL": 500.0}


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


def _fan_out_ledger(database: Any, port: int, messages: int, endpoints: int, limit: int | None) -> None:
    """``endpoints`` contacts, each a path of the receiver with its own ``limit`` a minute (None: the json
    scheme's, none), and ``messages`` open deliveries spread over them in turn."""
    from datetime import UTC

    from sqlalchemy import insert

    from models.enums import DeliveryStatus, MessageKind
    from models.tables import Contact, Delivery

    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        contacts = [
            Contact(
                code=f"bench-{n:04d}",
                person=f"联络员{n}",
                urls=[f"json://127.0.0.1:{port}/e{n:04d}"],
                rate_limit=limit,
            )
            for n in range(endpoints)
        ]
        session.add_all(contacts)
        session.flush()
        rows = [
            {
                "key": f"bench|{MessageKind.DIGEST.value}|e{n % endpoints:04d}|{n}",
                "kind": MessageKind.DIGEST.value,
                "contact_id": contacts[n % endpoints].id,
                "url_index": 0,
                "recipient_masked": f"json://127.0.0.1:{port}/…",
                "channel": "json",
                "title": "整改工作提醒",
                "body": f"第{n}条：请按时报送整改进展。\n",
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "error": "",
                "due_at": now,
                "created_at": now,
            }
            for n in range(messages)
        ]
        for start in range(0, len(rows), 1000):
            session.execute(insert(Delivery), rows[start : start + 1000])
        session.commit()


class SleepingSender:
    """A far end that takes ``delay`` and always accepts, without Apprise or a socket: what the outbox
    itself (claims, outcomes, the ledger) can carry when sending costs no CPU."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def send(self, message: Any) -> Any:
        from tasks.notify.sender import SendResult

        time.sleep(self.delay)
        return SendResult(True)


def _deliver_share(
    url: str, ids: list[int], concurrency: int, attempts: int, delay: float, sleeping: bool
) -> int:
    """One sending process's share of the fan-out: passes over ``ids`` until none of them is queued
    (its claims and the endpoints' windows shared with the other processes through the ledger)."""
    from datetime import UTC

    from models.db import Database
    from tasks.notify.outbox import deliver, next_queued
    from tasks.notify.sender import AppriseSender

    database = Database(url)
    sender = SleepingSender(delay) if sleeping else AppriseSender()
    sent = 0
    while True:
        sent += deliver(
            database, sender, ids, now=datetime.now(UTC), concurrency=concurrency, max_attempts=attempts
        ).sent
        turn = next_queued(database, ids)
        if turn is None:
            break
        time.sleep(max(0.0, (turn - datetime.now(UTC)).total_seconds()))
    database.dispose()
    return sent


def fan_out(
    results: Results,
    backend: str,
    url: str,
    *,
    messages: int,
    endpoints: int,
    concurrency: int,
    delay: float,
    limit: int | None,
    sleeping: bool = False,
    processes: int = 1,
) -> None:
    """Deliver ``messages`` over ``endpoints`` on a fresh ledger at ``url``, passes until none is queued
    (``processes`` sending processes on the same ledger, ``concurrency`` threads each)."""
    from datetime import UTC

    from bench.common import free_port
    from models.db import Database
    from models.settings import Settings
    from tasks.notify.outbox import deliver_due, due_ids, next_queued
    from tasks.notify.sender import AppriseSender

    database = Database(url)
    database.upgrade()
    port = free_port()
    _fan_out_ledger(database, port, messages, endpoints, limit)
    attempts = Settings().delivery_retries + 1
    label = f"{messages:,} msgs / {endpoints:,} endpoints, {backend}, {concurrency} threads"
    if processes > 1:
        label += f" × {processes} processes"
    with receiver(port, delay) as rx:
        started = time.perf_counter()
        ids = due_ids(database, now=datetime.now(UTC), max_attempts=attempts)
        sent = passes = 0
        if processes > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
                shares = [
                    pool.submit(
                        _deliver_share, url, ids[k::processes], concurrency, attempts, delay, sleeping
                    )
                    for k in range(processes)
                ]
                sent = sum(share.result() for share in shares)
        while processes == 1:
            passes += 1
            counts = deliver_due(
                database,
                SleepingSender(delay) if sleeping else AppriseSender(),
                now=datetime.now(UTC),
                concurrency=concurrency,
                max_attempts=attempts,
            )
            sent += counts.sent
            turn = next_queued(database, ids)
            if turn is None:
                break
            time.sleep(max(0.0, (turn - datetime.now(UTC)).total_seconds()))
        seconds = time.perf_counter() - started
        stats = rx.stats()
        log_sent, by_status = _sent_keys(database)
    lost = len([key for key in log_sent if key not in stats["keys"]])
    duplicated = stats["extra_copies"]
    clean = lost == 0 and duplicated == 0 and len(log_sent) == messages
    if sleeping:
        rate = sent / seconds if seconds else 0.0
        results.add(
            f"outbox alone (a sender sleeping {delay:g} s, no Apprise), {label}",
            rate,
            "msg/s",
            note=f"{sent} sent in {seconds:.2f} s; log {by_status}",
        )
    elif limit is None:
        rate = sent / seconds if seconds else 0.0
        target = TARGET_FAN_OUT[backend]
        results.add(
            f"fan-out {label}",
            rate,
            "msg/s",
            target=f"≥ {target:g} msg/s",
            met=rate >= target and clean,
            note=f"{sent} sent in {seconds:.2f} s; log {by_status}; lost {lost}, duplicated {duplicated}; "
            f"receiver max {stats['max_in_flight']} in flight, busiest endpoint {stats['busiest_window']} in 60 s",
        )
    else:
        from models.rate_limits import SPACING

        per_endpoint = -(-messages // endpoints)
        implied = SPACING.total_seconds() * ((per_endpoint - 1) // limit)
        results.add(
            f"fan-out with {limit}/min per endpoint, {label}",
            stats["busiest_window"],
            "msgs in 60 s",
            target=f"≤ {limit}",
            met=stats["busiest_window"] <= limit and clean,
            note=f"{sent} sent in {seconds:.1f} s over {passes} passes (the limit implies ≥ {implied:.0f} s: "
            f"{per_endpoint} messages an endpoint at {limit} a minute); lost {lost}, duplicated {duplicated}; "
            f"log {by_status}",
        )
    database.dispose()


def run_fan_out(
    workdir: Any,
    *,
    messages: int,
    endpoints: int,
    concurrency: int,
    delay: float,
    limit: int | None,
    sleeping: bool = False,
    processes: int = 1,
) -> Results:
    """The fan-out on SQLite and, when reachable, PostgreSQL: no limit hit, then ``limit`` a minute."""
    from pathlib import Path

    from bench.common import postgres_available, scratch_postgres

    results = Results("fan-out")
    limits: list[int | None] = [None] if limit is None else [None, limit]
    for each in limits:
        path = Path(workdir) / f"fanout-{each or 'free'}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        args = {
            "messages": messages,
            "endpoints": endpoints,
            "concurrency": concurrency,
            "delay": delay,
            "limit": each,
            "sleeping": sleeping,
            "processes": processes,
        }
        fan_out(results, "SQLite", sqlite_url(path), **args)  # type: ignore[arg-type]
        why = postgres_available()
        if why is None:
            with scratch_postgres("zg_fanout") as url:
                fan_out(results, "PostgreSQL", url, **args)  # type: ignore[arg-type]
        else:
            results.unavailable(f"fan-out, PostgreSQL, limit {each}", why)
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
    parser.add_argument("--fanout", type=int, default=0, help="messages of the fan-out bench (0: skip it)")
    parser.add_argument("--endpoints", type=int, default=1000, help="endpoints the fan-out spreads over")
    parser.add_argument("--fan-concurrency", type=int, default=128, help="sending threads of the fan-out")
    parser.add_argument(
        "--limit", type=int, default=None, help="then again with this many messages a minute per endpoint"
    )
    parser.add_argument(
        "--sleeping-sender", action="store_true", help="fan-out without Apprise: the outbox's own ceiling"
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="sending processes of the fan-out, sharing the ledger"
    )
    args = parser.parse_args(argv)
    if args.fanout:
        run_fan_out(
            args.workdir,
            messages=args.fanout,
            endpoints=args.endpoints,
            concurrency=args.fan_concurrency,
            delay=args.delay,
            limit=args.limit,
            sleeping=args.sleeping_sender,
            processes=args.processes,
        ).emit(args.json)
        return
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
