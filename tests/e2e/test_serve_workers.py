"""The other way to run: prefect.yaml deployed to a process work pool, measure deployments synced into it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.schedules import WORKWEEK
from models.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

ROOT = Path(__file__).resolve().parents[2]


async def _read() -> list[Any]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return list(await client.read_deployments(limit=200))


def test_prefect_yaml_deploys_housekeeping_and_sync_fills_the_pool(
    seeded_database: Database, settings: Settings
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.sync import sync_bulk

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "ZHENGGAI_CODE_DIR": str(ROOT)}
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    pool = subprocess.run(
        [*prefect, "work-pool", "create", "zhenggai", "--type", "process", "--overwrite"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = subprocess.run(
        [*prefect, "deploy", "--all"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr

    (housekeeping,) = [d for d in asyncio.run(_read()) if d.name == "housekeeping"]
    assert housekeeping.work_pool_name == "zhenggai"
    assert housekeeping.parameters == {"work_pool": "zhenggai"}
    (schedule,) = housekeeping.schedules
    assert (schedule.slug, schedule.schedule.cron, schedule.schedule.timezone) == (
        "daily-sync",
        "30 7 * * *",
        "Asia/Shanghai",
    )

    by_name = {d.name: d for d in asyncio.run(_read())}
    assert {"daily-sweep", "weekly-digest", "generate-notice", "assess-units"} <= set(by_name)
    housekeeping_names = ("daily-sweep", "weekly-digest", "generate-notice", "assess-units")
    assert {by_name[n].work_pool_name for n in housekeeping_names} == {"zhenggai"}
    assert sorted((s.slug, s.schedule.timezone) for s in by_name["daily-sweep"].schedules) == [
        ("daily-sweep", "Asia/Shanghai"),
        ("digest-hour", "Asia/Shanghai"),  # the daily digests' hour (09:00)
    ]
    assert [(s.slug, s.schedule.timezone) for s in by_name["assess-units"].schedules] == [
        ("assess-units", "Asia/Shanghai")
    ]

    result = sync_bulk(seeded_database, settings, work_pool="zhenggai")
    assert len(result.created) + len(result.updated) == 28
    # the sync brings the sweep, digest and assessment to serve's working-day schedules
    from flows.serve import housekeeping_schedules

    after = {d.name: d for d in asyncio.run(_read())}
    for flow_name, name in (
        ("sweep", "daily-sweep"),
        ("digest", "weekly-digest"),
        ("assess_units", "assess-units"),
    ):
        held_schedules = {s.slug: s.schedule for s in after[name].schedules}
        wanted = {s.slug: s for s in housekeeping_schedules(flow_name, name)}
        assert set(held_schedules) == set(wanted) and name in wanted
        for slug, schedule in held_schedules.items():
            assert schedule.timezone == "Asia/Shanghai" and schedule.rrule == wanted[slug].rrule
    sweeps = {s.slug: s.schedule.rrule for s in after["daily-sweep"].schedules}
    assert set(sweeps) == {"daily-sweep", "digest-hour"}
    # working-day RRULE sets, not the cron of prefect.yaml: the weekdays with the calendar's 调休 (RDATE) and
    # holidays (EXDATE) from this month on (models.schedules.exceptions_start); a month without either has
    # none in its text, so the days themselves are checked in tests/unit/models/test_cadence.py
    assert all(f"RRULE:FREQ=WEEKLY;BYDAY={WORKWEEK};" in rrule for rrule in sweeps.values()), sweeps
    measures = [d for d in asyncio.run(_read()) if "zhenggai" in d.tags]
    assert len(measures) == 28 and {d.work_pool_name for d in measures} == {"zhenggai"}
    # a sync without a pool leaves them where they are; back to `zhenggai serve` only when told
    assert sync_bulk(seeded_database, settings).summary() == "0 created, 0 updated, 0 paused, 0 removed"
    back = sync_bulk(seeded_database, settings, leave_pool=True)
    assert len(back.updated) == 28
    assert {d.work_pool_name for d in asyncio.run(_read()) if "zhenggai" in d.tags} == {None}
