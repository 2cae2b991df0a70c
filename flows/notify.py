"""Notification flows: the daily ``sweep`` (plan → record → deliver), the weekly ``digest``, and
``notify_measure``, the subflow a measure's ``check_measure`` run hands its reminders to.

Recipes only: the work is in ``tasks.notify_tasks`` (and the functions it wraps in ``tasks.notify.outbox``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger

from models.settings import get_settings
from tasks.notify_tasks import (
    deliver_batch,
    delivery_summary,
    due_deliveries,
    plan_digest_messages,
    plan_notifications,
)

BATCH_SIZE = 250  # messages per delivery task run: few task runs, each sending concurrently


def _deliver(now: datetime, measure_code: str | None = None) -> dict[str, Any]:
    settings = get_settings()
    due = due_deliveries(now, measure_code=measure_code)
    ids: list[int] = due["ids"]
    delays = [settings.delivery_retry_delay_seconds * 2**n for n in range(settings.delivery_retries)]
    batch_task = deliver_batch.with_options(
        retries=settings.delivery_retries, retry_delay_seconds=delays or 0
    )
    for start in range(0, len(ids), BATCH_SIZE):
        # A batch that still fails after its retries leaves its failures in the log; go on with the next.
        batch_task(ids[start : start + BATCH_SIZE], now, return_state=True)
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
def sweep(as_of: datetime | None = None, round_code: str | None = None) -> dict[str, Any]:
    """Plan reminders, chasing and escalations for every live measure, record them, deliver what is due."""
    now = as_of or datetime.now(UTC)
    planned = plan_notifications(now, round_code=round_code)
    return _summarise("sweep", planned, _deliver(now))


@flow(name="digest", log_prints=False)
def digest(as_of: datetime | None = None, round_code: str | None = None) -> dict[str, Any]:
    """Send each unit this week's digest of everything it leads or co-owns (once per ISO week)."""
    now = as_of or datetime.now(UTC)
    planned = plan_digest_messages(now, round_code=round_code)
    return _summarise("digest", planned, _deliver(now))


@flow(name="notify-measure", log_prints=False)
def notify_measure(
    measure_code: str, scheduled_time: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """The hand-over from ``check_measure``: plan and deliver one measure's messages for a scheduled run.

    Planned as of ``scheduled_time`` (the caller hands over only runs that are not stale: a backlog
    after an outage sends nothing stale); keys make a repeated or overlapping run harmless. Messages
    due at a quiet moment are held; delivery happens at ``now`` (default: the wall clock).
    """
    planned = plan_notifications(scheduled_time, measure_code=measure_code, actor="check_measure")
    current = max(now or datetime.now(UTC), scheduled_time)
    return _summarise(f"notify {measure_code}", planned, _deliver(current, measure_code))
