"""``sync_deployments``: the ledger's measures as ``check_measure`` deployments (see ``tasks.schedule.sync``).

``sync_bulk`` / the ``sync_deployments`` flow / ``zhenggai sync``: one async client, the parameter schema
computed once, a few concurrent requests, only the differences written; removes and pauses too. (The
one-by-one ``to_deployment(...).apply()`` path it is measured against lives in ``bench/baselines.py``.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, task

from flows.check_measure import check_measure
from models.clock import Clock
from models.db import Database, get_database
from models.settings import Settings, get_settings
from tasks.schedule.deployments import WantedDeployment, wanted_deployments
from tasks.schedule.sync import SyncResult, reconcile


def parameter_schema() -> dict[str, Any]:
    """The ``check_measure`` parameter schema, computed once per sync (as ``to_deployment`` sends it)."""
    from prefect.utilities.callables import parameter_schema as compute

    return dict(compute(check_measure).model_dump(exclude_unset=True))


def plan_sync(
    database: Database, settings: Settings, *, clock: Clock | None = None, round_code: str | None = None
) -> list[WantedDeployment]:
    """What the ledger wants the server to hold, registered as of the clock (default: now)."""
    with database.unit_of_work() as session:
        # An unknown round is refused there (UnknownRound), before anything is sent to Prefect.
        return wanted_deployments(
            session,
            clock or settings.clock(),
            reminder_offsets=settings.reminder_offsets,
            reminder_hour=settings.reminder_hour,
            round_code=round_code,
        )


async def sync_bulk_async(
    wanted: list[WantedDeployment],
    *,
    work_pool: str | None = None,
    round_code: str | None = None,
    concurrency: int = 4,
) -> SyncResult:
    """Reconcile ``wanted`` with the Prefect API through one async client."""
    from prefect.client.orchestration import get_client

    schema = parameter_schema()
    async with get_client() as client:
        return await reconcile(
            client,
            wanted,
            parameter_schema=schema,
            work_pool=work_pool,
            round_code=round_code,
            concurrency=concurrency,
        )


def sync_bulk(
    database: Database | None = None,
    settings: Settings | None = None,
    *,
    work_pool: str | None = None,
    round_code: str | None = None,
    concurrency: int = 4,
    clock: Clock | None = None,
) -> SyncResult:
    """Plan from the ledger and reconcile, outside any flow run (the CLI and ``serve`` call this)."""
    settings = settings or get_settings()
    database = database or get_database(settings)
    wanted = plan_sync(database, settings, clock=clock, round_code=round_code)
    return asyncio.run(
        sync_bulk_async(wanted, work_pool=work_pool, round_code=round_code, concurrency=concurrency)
    )


@task(name="reconcile-deployments")
def reconcile_task(
    wanted: list[WantedDeployment], work_pool: str | None, round_code: str | None, concurrency: int
) -> SyncResult:
    """Make the Prefect server's measure deployments match the wanted ones, writing only differences."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    result = run_coro_as_sync(
        sync_bulk_async(wanted, work_pool=work_pool, round_code=round_code, concurrency=concurrency)
    )
    assert result is not None
    return result


@flow(name="sync_deployments")
def sync_deployments(
    round_code: str | None = None, work_pool: str | None = None, concurrency: int = 4
) -> dict[str, Any]:
    """Reconcile the ledger's measures with their ``check_measure`` deployments."""
    from prefect import get_run_logger

    settings = get_settings()
    wanted = plan_sync(get_database(settings), settings, round_code=round_code)
    result = reconcile_task(wanted, work_pool, round_code, concurrency)
    get_run_logger().info("sync: %s", result.summary())
    return {
        "summary": result.summary(),
        "created": result.created,
        "updated": result.updated,
        "paused": result.paused,
        "removed": result.removed,
        "unchanged": result.unchanged,
    }
