"""Prefect tasks of the notification flows: plan and record, then deliver in few, batched task runs.

Delivery retries live on the ``deliver_batch`` decorator (the flows set their number and backoff from
``Settings.delivery_retries`` and ``delivery_retry_delay_seconds``). A batch run sends its due messages
concurrently and records each outcome; when some failed and have attempts left it raises
``DeliveryIncomplete`` so that Prefect retries the run after the backoff, and the retry sends only
those (the others are ``sent`` in the log). Caching is off: the log, not Prefect, is the memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from models.db import get_database
from models.errors import DeliveryIncomplete
from models.notifications import Policy
from models.settings import get_settings


def _flow_run_id() -> str | None:
    try:
        from prefect.runtime import flow_run

        return str(flow_run.id) if flow_run.id else None
    except Exception:  # pragma: no cover - outside a run
        return None


def max_attempts() -> int:
    return get_settings().delivery_retries + 1


@task(name="plan-notifications", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def plan_notifications(
    now: datetime, round_code: str | None = None, measure_code: str | None = None, actor: str = "sweep"
) -> dict[str, Any]:
    """Plan and record the messages of every live measure (or one) at ``now``; escalation steps too."""
    from tasks.notify.outbox import plan_and_record

    settings = get_settings()
    result = plan_and_record(
        get_database(settings),
        now=now,
        calendar=settings.working_calendar(),
        policy=Policy.from_settings(settings),
        round_code=round_code,
        measure_code=measure_code,
        actor=actor,
        flow_run_id=_flow_run_id(),
    )
    return result.as_dict()


@task(name="plan-digests", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def plan_digest_messages(now: datetime, round_code: str | None = None) -> dict[str, Any]:
    """Record this week's digest of every unit."""
    from tasks.notify.outbox import plan_digests

    settings = get_settings()
    result = plan_digests(
        get_database(settings),
        now=now,
        calendar=settings.working_calendar(),
        policy=Policy.from_settings(settings),
        due_soon_workdays=settings.due_soon_workdays,
        round_code=round_code,
    )
    return result.as_dict()


@task(name="due-deliveries", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def due_deliveries(now: datetime, measure_code: str | None = None) -> dict[str, Any]:
    """Mark stuck claims in doubt, then the ids of every open delivery due at ``now``."""
    from tasks.notify.outbox import due_ids, expire_in_doubt

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
    from tasks.notify.outbox import deliver, open_among
    from tasks.notify.sender import AppriseSender

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
    )
    waiting = open_among(database, ids, attempts)
    if waiting:
        raise DeliveryIncomplete(
            f"{waiting} message(s) of {len(ids)} failed and will be retried; {counts.as_dict()}"
        )
    return counts.as_dict()


@task(name="delivery-summary", cache_policy=NO_CACHE)
def delivery_summary(ids: list[int]) -> dict[str, int]:
    """The log's statuses of ``ids`` after delivery."""
    from tasks.notify.outbox import status_counts

    return status_counts(get_database(get_settings()), ids)
