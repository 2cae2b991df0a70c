"""``sync_deployments``: the ledger's measures as ``check_measure`` deployments (see ``tasks.schedule.sync``).

``sync_bulk`` / the ``sync_deployments`` flow / ``zhenggai sync``: one async client, the parameter schema
computed once, a few concurrent requests, only the differences written; removes and pauses too. (The
one-by-one ``to_deployment(...).apply()`` path it is measured against lives in ``bench/baselines.py``.)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import flow, task

from flows.check_measure import check_measure
from flows.retries import retry_transient
from models.clock import Clock
from models.db import Database, get_database
from models.notifications import Policy
from models.settings import Settings, get_settings
from tasks.calendar.ledger import ledger_calendar, ledger_clock
from tasks.schedule.alerts import AlertSpec, ensure_alert
from tasks.schedule.deployments import (
    HOUSEKEEPING_CADENCES,
    WantedDeployment,
    WantedSchedule,
    housekeeping_schedules,
    wanted_deployments,
)
from tasks.schedule.sync import SyncResult, align_housekeeping, ensure_pool_limit, reconcile


def parameter_schema() -> dict[str, Any]:
    """The ``check_measure`` parameter schema, computed once per sync (as ``to_deployment`` sends it)."""
    from prefect.utilities.callables import parameter_schema as compute

    return dict(compute(check_measure).model_dump(exclude_unset=True))


def plan_sync(
    database: Database,
    settings: Settings,
    *,
    clock: Clock | None = None,
    round_code: str | None = None,
    skipped: dict[str, str] | None = None,
) -> list[WantedDeployment]:
    """What the ledger wants the server to hold, registered as of the clock (default: now, on the ledger's
    calendar: imported years included). ``skipped`` collects the measures whose dates cannot be computed."""
    with database.unit_of_work() as session:
        if clock is None:
            clock = settings.clock(calendar=ledger_calendar(session, settings))
        # An unknown round is refused there (UnknownRound), before anything is sent to Prefect.
        return wanted_deployments(
            session,
            clock,
            reminder_offsets=settings.reminder_offsets,
            reminder_hour=settings.reminder_hour,
            round_code=round_code,
            skipped=skipped,
        )


async def sync_bulk_async(
    wanted: list[WantedDeployment],
    *,
    work_pool: str | None = None,
    leave_pool: bool = False,
    round_code: str | None = None,
    concurrency: int = 4,
    skipped: dict[str, str] | None = None,
    housekeeping: dict[tuple[str, str], tuple[WantedSchedule, ...]] | None = None,
) -> SyncResult:
    """Reconcile ``wanted`` with the Prefect API through one async client (and ``housekeeping``'s
    deployments with their working-day schedules, where they exist); on the worker path the pool
    gets the configured flow-run limit (``ZHENGGAI_FLOW_RUN_LIMIT``)."""
    from prefect.client.orchestration import get_client

    schema = parameter_schema()
    async with get_client() as client:
        if work_pool is not None:
            await ensure_pool_limit(client, work_pool, get_settings().flow_run_limit)
        if housekeeping:
            await align_housekeeping(client, housekeeping)
        alert = await ensure_alert(client, run_failed_alert(), schema=alert_schema(), work_pool=work_pool)
        result = await reconcile(
            client,
            wanted,
            parameter_schema=schema,
            work_pool=work_pool,
            leave_pool=leave_pool,
            round_code=round_code,
            concurrency=concurrency,
            skipped=skipped,
        )
        result.alert = alert
        return result


def run_failed_alert() -> AlertSpec:
    """The failed-run alert: ``flows.run_failed.tell_run_failed`` on failed or crashed ``zhenggai`` runs."""
    from flows import run_failed

    return AlertSpec(
        flow_name=run_failed.FLOW_NAME,
        deployment_name=run_failed.DEPLOYMENT_NAME,
        entrypoint=run_failed.ENTRYPOINT,
        automation_name=run_failed.AUTOMATION_NAME,
        tag=run_failed.WATCHED_TAG,
        description="整改跟踪任务运行失败或崩溃时，向督办室发送一条消息",
    )


def alert_schema() -> dict[str, Any]:
    """The ``tell_run_failed`` parameter schema."""
    from prefect.utilities.callables import parameter_schema as compute

    from flows.run_failed import tell_run_failed

    return dict(compute(tell_run_failed).model_dump(exclude_unset=True))


@dataclass(frozen=True)
class BulkSync:
    """A bulk sync planned from the ledger and not yet sent: what ``apply_bulk`` reconciles."""

    wanted: list[WantedDeployment]
    skipped: dict[str, str]
    housekeeping: dict[tuple[str, str], tuple[WantedSchedule, ...]]
    work_pool: str | None
    leave_pool: bool
    round_code: str | None
    concurrency: int


def fingerprint(plan: BulkSync) -> str:
    """A digest of everything a sync of ``plan`` makes the server hold (the wanted deployments, the skipped
    measures, the housekeeping schedules, the pool, the schemas and the failed-run alert, this release's
    and Prefect's versions): an equal digest, and a sync would find nothing to write on a server that
    still holds what the last one left."""
    import hashlib
    from importlib.metadata import version

    text = repr(
        (
            plan.wanted,
            sorted(plan.skipped.items()),
            sorted(plan.housekeeping.items()),
            plan.work_pool,
            plan.leave_pool,
            plan.round_code,
            parameter_schema(),
            alert_schema(),
            run_failed_alert(),
            version("zhenggai"),
            version("prefect"),
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_bulk(
    database: Database | None = None,
    settings: Settings | None = None,
    *,
    work_pool: str | None = None,
    leave_pool: bool = False,
    round_code: str | None = None,
    concurrency: int = 4,
    clock: Clock | None = None,
) -> BulkSync:
    """The ledger's side of ``sync_bulk``: reads the ledger only, so ``serve`` runs it while its local
    Prefect server starts."""
    settings = settings or get_settings()
    database = database or get_database(settings)
    skipped: dict[str, str] = {}
    wanted = plan_sync(database, settings, clock=clock, round_code=round_code, skipped=skipped)
    return BulkSync(
        wanted=wanted,
        skipped=skipped,
        housekeeping=housekeeping_wanted(clock or ledger_clock(database, settings), settings),
        work_pool=work_pool or settings.work_pool,
        leave_pool=leave_pool,
        round_code=round_code,
        concurrency=concurrency,
    )


def apply_bulk(plan: BulkSync) -> SyncResult:
    """The Prefect side of ``sync_bulk``: reconcile a planned sync with the API."""
    return asyncio.run(
        sync_bulk_async(
            plan.wanted,
            work_pool=plan.work_pool,
            leave_pool=plan.leave_pool,
            round_code=plan.round_code,
            concurrency=plan.concurrency,
            skipped=plan.skipped,
            housekeeping=plan.housekeeping,
        )
    )


def sync_bulk(
    database: Database | None = None,
    settings: Settings | None = None,
    *,
    work_pool: str | None = None,
    leave_pool: bool = False,
    round_code: str | None = None,
    concurrency: int = 4,
    clock: Clock | None = None,
) -> SyncResult:
    """Plan from the ledger and reconcile, outside any flow run (the CLI, review and ``serve`` call this).

    The work pool is the installation's (``ZHENGGAI_WORK_POOL``) unless ``work_pool`` names another;
    with neither, each deployment stays in the pool it is in (``leave_pool`` moves them out of it).
    """
    return apply_bulk(
        plan_bulk(
            database,
            settings,
            work_pool=work_pool,
            leave_pool=leave_pool,
            round_code=round_code,
            concurrency=concurrency,
            clock=clock,
        )
    )


def housekeeping_wanted(
    clock: Clock, settings: Settings
) -> dict[tuple[str, str], tuple[WantedSchedule, ...]]:
    """The housekeeping deployments' working-day schedules as of the clock (see ``HOUSEKEEPING_CADENCES``; the
    sweep's include the daily digests' hour, ``Settings.digest_hour``)."""
    policy = Policy.from_settings(settings)
    return {key: housekeeping_schedules(*key, clock, policy) for key in HOUSEKEEPING_CADENCES}


@task(name="reconcile-deployments")
def reconcile_task(
    wanted: list[WantedDeployment],
    work_pool: str | None,
    round_code: str | None,
    concurrency: int,
    skipped: dict[str, str] | None = None,
) -> SyncResult:
    """Make the Prefect server's measure deployments match the wanted ones, writing only differences."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    settings = get_settings()
    result = run_coro_as_sync(
        sync_bulk_async(
            wanted,
            work_pool=work_pool,
            round_code=round_code,
            concurrency=concurrency,
            skipped=skipped,
            housekeeping=housekeeping_wanted(ledger_clock(get_database(settings), settings), settings),
        )
    )
    assert result is not None
    return result


@task(name="warn-missing-calendar", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient)
def warn_missing_calendar(now: datetime | None = None) -> dict[str, Any] | None:
    """From 1 November, next year's working days not official: an event and the week's message to the office."""
    from prefect import get_run_logger
    from prefect.events import emit_event

    from models.notifications import Policy
    from tasks.notify.office import record_calendar_warning

    settings = get_settings()
    database = get_database(settings)
    clock = ledger_clock(database, settings, now)
    with database.unit_of_work() as session:
        warning, recorded = record_calendar_warning(session, clock, Policy.from_settings(settings))
        session.commit()
    if warning is None:
        return None
    get_run_logger().warning("calendar: %s: %s", warning.title, warning.body)
    emit_event(
        event="zhenggai.calendar.missing",
        resource={"prefect.resource.id": f"zhenggai.calendar.{warning.year}"},
        payload={"year": warning.year, "week": warning.week, "command": warning.command},
    )
    return {"year": warning.year, "week": warning.week, "messages_recorded": recorded.recorded}


@flow(name="sync_deployments")
def sync_deployments(
    round_code: str | None = None, work_pool: str | None = None, concurrency: int = 4
) -> dict[str, Any]:
    """Reconcile the ledger's measures with their ``check_measure`` deployments (the housekeeping flow).

    ``work_pool`` defaults to the installation's (``ZHENGGAI_WORK_POOL``); with neither, every deployment
    stays in the pool it is in.
    """
    from prefect import get_run_logger

    settings = get_settings()
    skipped: dict[str, str] = {}
    wanted = plan_sync(get_database(settings), settings, round_code=round_code, skipped=skipped)
    result = reconcile_task(wanted, work_pool or settings.work_pool, round_code, concurrency, skipped)
    logger = get_run_logger()
    logger.info("sync: %s", result.summary())
    for line in result.warnings():
        logger.warning("sync: %s", line)
    calendar = warn_missing_calendar()
    return {
        "calendar_missing": calendar,
        "summary": result.summary(),
        "created": result.created,
        "updated": result.updated,
        "paused": result.paused,
        "removed": result.removed,
        "unchanged": result.unchanged,
        "held_paused": result.held_paused,
        "skipped": sorted(result.skipped),
    }
