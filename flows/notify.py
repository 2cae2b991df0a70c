"""Notification flows: the daily ``sweep`` (plan → record → deliver), the weekly ``digest``, and
``notify_measure``, the subflow a measure's ``check_measure`` run hands its reminders to.

The flows read like recipes; the Prefect tasks they run are defined here, each wrapping plain functions of
``tasks.notify``. Delivery retries live on the ``deliver_batch`` decorator (the flows set their number and
backoff from ``Settings.delivery_retries`` and ``delivery_retry_delay_seconds``). A batch run sends its due
messages concurrently and records each outcome; when some failed and have attempts left it raises
``DeliveryIncomplete`` so that Prefect retries the run after the backoff, and the retry sends only those
(the others are ``sent`` in the log). Caching is off: the log, not Prefect, is the memory.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flows.retries import retry_transient
from models.db import get_database
from models.errors import DeliveryIncomplete
from models.notifications import Policy, allowed_from, held_until
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.notify.duban_ladder import plan_unanswered_sheets
from tasks.notify.outbox import deliver, due_ids, expire_in_doubt, next_queued, open_among, status_counts
from tasks.notify.planner import compose_digests, plan_digests, plan_messages
from tasks.notify.sender import AppriseSender
from tasks.notify.unsigned import plan_unsigned_assignments

BATCH_SIZE = 250  # messages per delivery task run: few task runs, each sending concurrently


def _flow_run_id() -> str | None:
    try:
        from prefect.runtime import flow_run

        return str(flow_run.id) if flow_run.id else None
    except Exception:  # pragma: no cover - outside a run
        return None


def max_attempts() -> int:
    return get_settings().delivery_retries + 1


@task(
    name="plan-notifications",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def plan_notifications(
    now: datetime, round_code: str | None = None, measure_code: str | None = None, actor: str = "sweep"
) -> dict[str, Any]:
    """Plan and record the messages of every live measure (or one) at ``now``; escalation steps too."""
    settings = get_settings()
    clock = ledger_clock(get_database(settings), settings, now)
    policy = Policy.from_settings(settings)
    with get_database(settings).unit_of_work() as session:
        result = plan_messages(
            session,
            clock,
            policy,
            round_code=round_code,
            measure_code=measure_code,
            actor=actor,
            flow_run_id=_flow_run_id(),
        )
        # 督办单 unanswered past their reply deadline move the ladder on (after the ladder's own steps).
        moved = plan_unanswered_sheets(
            session,
            clock,
            policy,
            round_code=round_code,
            measure_code=measure_code,
            actor=actor,
            flow_run_id=_flow_run_id(),
        )
        # Lead units whose 签收 is pending past ack_chase_after working days are chased (off when 0).
        unsigned = plan_unsigned_assignments(
            session,
            clock,
            policy,
            round_code=round_code,
            measure_code=measure_code,
            actor=actor,
            flow_run_id=_flow_run_id(),
        )
        # Contacts who read a daily digest: today's digest carries the messages just recorded for them.
        digests = compose_digests(session, clock, policy)
        session.commit()
    return {
        **result.as_dict(),
        "duban_unanswered": moved.escalations,
        "unsigned_chased": unsigned.recorded,
        "digests": digests.recorded,
    }


# 督办单 rendered and stored a group at a time, each group's PDFs by one LibreOffice start: one start costs
# about 1.6 CPU-seconds, so a run issuing a few sheets converts them at once, but one start for a city's
# first sweep (980 sheets) converted 245 and exited 0 (docs/benchmarks.md); a group stored before the next is
# converted also keeps what was done when a later group fails (the task's retry or the next sweep goes on).
DUBAN_FILES_GROUP = 10


@task(
    name="store-duban-files",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def store_duban_files(measure_code: str | None = None) -> int:
    """Write and record the DOCX (and PDF where LibreOffice is installed) of each 督办单 not stored yet."""
    from tasks.notice.duban_files import render_sheet_files, sheets_lacking_files, store_sheet_file
    from tasks.notice.pdf import soffice_path

    settings = get_settings()
    database = get_database(settings)
    formats = ("docx", "pdf") if settings.duban_pdf and soffice_path() else ("docx",)
    with database.unit_of_work() as session:
        lacking = sheets_lacking_files(session, formats, measure_code=measure_code)
    stored = 0
    for first in range(0, len(lacking), DUBAN_FILES_GROUP):
        group = lacking[first : first + DUBAN_FILES_GROUP]
        # rendered outside a transaction (a PDF takes LibreOffice seconds), a group's PDFs by one start
        rendered = render_sheet_files(group, timezone=settings.timezone, fonts_dir=settings.fonts_dir)
        for (sheet_id, fmt), content in rendered.items():
            with database.unit_of_work() as session:
                stored += store_sheet_file(session, sheet_id, fmt, content, settings.data_dir)
                session.commit()
    return stored


@task(
    name="plan-digests",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def plan_digest_messages(now: datetime, round_code: str | None = None) -> dict[str, Any]:
    """Record this week's digest of every unit."""
    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        result = plan_digests(
            session,
            ledger_clock(get_database(settings), settings, now),
            Policy.from_settings(settings),
            round_code=round_code,
        )
        session.commit()
    return result.as_dict()


@task(name="due-deliveries", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def due_deliveries(now: datetime, measure_code: str | None = None) -> dict[str, Any]:
    """Mark stuck claims in doubt, then the ids of every open delivery due at ``now``."""
    database = get_database(get_settings())
    in_doubt = expire_in_doubt(database)
    return {
        "in_doubt": in_doubt,
        "ids": due_ids(database, now=now, max_attempts=max_attempts(), measure_code=measure_code),
    }


@task(
    name="deliver-batch",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
)
def deliver_batch(ids: list[int], now: datetime) -> dict[str, int]:
    """Send a batch concurrently (bounded by ``delivery_concurrency``); raise while some may be retried."""
    settings = get_settings()
    database = get_database(settings)
    attempts = max_attempts()
    counts = deliver(
        database,
        AppriseSender(),
        ids,
        now=now,
        concurrency=settings.delivery_concurrency,
        max_attempts=attempts,
        # a message queued behind its endpoint's rate limit into quiet hours waits for the morning
        allowed_from=partial(
            allowed_from, ledger_clock(database, settings, now), Policy.from_settings(settings)
        ),
    )
    waiting = open_among(database, ids, attempts)
    if waiting:
        raise DeliveryIncomplete(
            f"{waiting} message(s) of {len(ids)} failed and will be retried; {counts.as_dict()}"
        )
    return counts.as_dict()


@task(name="queued-turn", cache_policy=NO_CACHE)
def queued_turn(ids: list[int]) -> datetime | None:
    """When the first of ``ids`` queued behind its endpoint's rate limit may go (None: none is queued)."""
    return next_queued(get_database(get_settings()), ids)


@task(name="delivery-summary", cache_policy=NO_CACHE)
def delivery_summary(ids: list[int]) -> dict[str, int]:
    """The log's statuses of ``ids`` after delivery."""
    return status_counts(get_database(get_settings()), ids)


def deliver_due_messages(
    now: datetime, measure_code: str | None = None, *, wall_clock: datetime | None = None
) -> dict[str, Any]:
    """Send every message due at ``now`` (or one measure's) in batches; the log's counts afterwards.

    Quiet hours are judged by the wall clock (``wall_clock``, default the real now), not by ``now``: a
    sweep back-dated with --as-of at 04:23 plans its messages and sends them when the quiet hours end.
    """
    settings = get_settings()
    due = due_deliveries(now, measure_code=measure_code)
    ids: list[int] = due["ids"]
    if settings.quiet_hours_by_wall_clock and ids:
        wall = settings.clock(wall_clock or datetime.now(UTC))
        until = held_until(wall, Policy.from_settings(settings))
        if until is not None:
            get_run_logger().info(
                "quiet hours by the wall clock: %s due message(s) wait until %s", len(ids), until.isoformat()
            )
            return {"due": len(ids), "in_doubt": due["in_doubt"], "held_until": until.isoformat()}
    delays = [settings.delivery_retry_delay_seconds * 2**n for n in range(settings.delivery_retries)]
    batch_task = deliver_batch.with_options(
        retries=settings.delivery_retries, retry_delay_seconds=delays or 0
    )
    started, current = time.monotonic(), now
    while True:
        for start in range(0, len(ids), BATCH_SIZE):
            # A batch that still fails after its retries leaves its failures in the log; go on with the next.
            batch_task(ids[start : start + BATCH_SIZE], current, return_state=True)
        # Messages over their endpoint's rate limit wait their turn in this run, the same working day;
        # a turn that falls in quiet hours is the next sweep's (the message is due in the morning).
        turn = queued_turn(ids) if ids else None
        if turn is None or settings.clock(turn).today != settings.clock(current).today:
            break
        time.sleep(max(0.0, (turn - current).total_seconds()))
        current = now + timedelta(seconds=time.monotonic() - started)
    summary = delivery_summary(ids) if ids else {}
    return {"due": len(ids), "in_doubt": due["in_doubt"], **summary}


def _summarise(name: str, planned: dict[str, Any], delivered: dict[str, Any]) -> dict[str, Any]:
    logger = get_run_logger()
    logger.info("%s: planned %s; delivered %s", name, planned, delivered)
    if delivered.get("failed"):
        logger.warning(
            "%s: %s message(s) failed: see `zhenggai notifications --status failed`",
            name,
            delivered["failed"],
        )
    return {"planned": planned, "delivered": delivered}


@flow(name="sweep", log_prints=False)
def sweep(
    as_of: datetime | None = None, round_code: str | None = None, wall_clock: datetime | None = None
) -> dict[str, Any]:
    """Plan reminders, chasing and escalations for every live measure, record them, deliver what is due.

    Quiet hours are judged by ``wall_clock`` (default: the real now), not by ``as_of``.
    """
    now = as_of or datetime.now(UTC)
    planned = plan_notifications(now, round_code=round_code)
    planned["duban_files"] = store_duban_files()
    return _summarise("sweep", planned, deliver_due_messages(now, wall_clock=wall_clock))


@flow(name="digest", log_prints=False)
def digest(
    as_of: datetime | None = None, round_code: str | None = None, wall_clock: datetime | None = None
) -> dict[str, Any]:
    """Send each unit this week's digest of everything it leads or co-owns (once per ISO week)."""
    now = as_of or datetime.now(UTC)
    planned = plan_digest_messages(now, round_code=round_code)
    return _summarise("digest", planned, deliver_due_messages(now, wall_clock=wall_clock))


def hand_over(measure_code: str, scheduled_time: datetime, now: datetime | None = None) -> dict[str, Any]:
    """Plan and deliver one measure's messages for a scheduled run, as tasks of the calling flow run.

    Planned as of ``scheduled_time`` (the caller hands over only runs that are not stale: a backlog
    after an outage sends nothing stale); keys make a repeated or overlapping run harmless. Messages
    due at a quiet moment are held; delivery happens at ``now`` (default: the wall clock).
    """
    planned = plan_notifications(scheduled_time, measure_code=measure_code, actor="check_measure")
    planned["duban_files"] = store_duban_files(measure_code)
    current = max(now or datetime.now(UTC), scheduled_time)
    delivered = deliver_due_messages(current, measure_code, wall_clock=now)
    return _summarise(f"notify {measure_code}", planned, delivered)


@flow(name="notify-measure", log_prints=False)
def notify_measure(
    measure_code: str, scheduled_time: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """Plan and deliver one measure's messages for a scheduled time, as a flow run of its own."""
    return hand_over(measure_code, scheduled_time, now)
