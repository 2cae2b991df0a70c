"""Sync the seed ledger to a real Prefect API: one deployment per measure, re-sync a no-op, runs on the
hand-checked working days when the server is asked to schedule them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.cadence import cadence_schedule
from models.db import Database
from models.deadlines import deadline_schedule
from models.enums import MeasureStatus
from models.schedules import exceptions_start
from models.settings import Settings
from models.tables import Measure, Problem
from models.workdays import ChinaCalendar
from tests.unit.models.test_cadence import AUTUMN_2023, SEED_TABLE, SPRING_2024

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED_CADENCES = {
    "XH-05-2": "每周一 09:00",
    "XH-04-1": "每月第一个工作日 09:00",
    "XH-05-7": "每个工作日 09:00",
    "XH-05-8": "每季度末 09:00",
}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _held() -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    from tasks.schedule.sync import read_managed

    async with get_client() as client:
        return {d.name: d for d in await read_managed(client)}


def held() -> dict[str, Any]:
    return dict(run(_held()))


async def _clear() -> None:
    from prefect.client.orchestration import get_client

    ids = [str(deployment.id) for deployment in (await _held()).values()]
    async with get_client() as client:
        # One request a batch (the server deletes up to 50 at once), not one a deployment: 28 one by one
        # took 2-3 s of every test's set-up.
        for start in range(0, len(ids), 50):
            batch = ids[start : start + 50]
            response = await client._client.post(
                "/deployments/bulk_delete", json={"deployments": {"id": {"any_": batch}}, "limit": 50}
            )
            response.raise_for_status()
            assert len(response.json()["deleted"]) == len(batch)


@pytest.fixture
def clean_server() -> None:
    """The harness lives for the session: start each test with no measure deployments."""
    run(_clear())


def live_codes(database: Database) -> dict[str, dict[str, str | None]]:
    """Live measures of the ledger: code → cadence, lead unit and leader codes."""
    with database.unit_of_work() as session:
        measures = session.scalars(
            select(Measure)
            .join(Measure.problem)
            .where(Measure.removed_at.is_(None), Problem.removed_at.is_(None))
        ).all()
        return {
            m.code: {
                "cadence": m.cadence,
                "unit": m.lead_unit.code if m.lead_unit else None,
                "leader": m.leader.code if m.leader else None,
            }
            for m in measures
        }


@pytest.mark.usefixtures("clean_server")
def test_sync_creates_one_deployment_per_measure_and_resync_is_a_no_op(
    seeded_database: Database, settings: Settings, cli: Any
) -> None:
    from flows.sync import sync_bulk

    measures = live_codes(seeded_database)
    assert len(measures) == 28
    first = sync_bulk(seeded_database, settings)
    assert first.summary() == "28 created, 0 updated, 0 paused, 0 removed"
    deployments = held()
    assert set(deployments) == set(measures)

    calendar = ChinaCalendar()
    feedback = date(2023, 10, 19)
    today = datetime.now(SHANGHAI).date()
    weekly = deployments["XH-05-2"]
    assert weekly.parameters == {"measure": "XH-05-2"}
    assert weekly.entrypoint == "flows.check_measure.check_measure"
    assert not weekly.paused
    facts = measures["XH-05-2"]
    expected_tags = {"zhenggai", "round:xinhua-2023-xc2", "problem:5", f"unit:{facts['unit']}"}
    if facts["leader"]:
        expected_tags.add(f"leader:{facts['leader']}")
    assert set(weekly.tags) == expected_tags
    assert "五、" in (weekly.description or "") and "频次：每周一 09:00" in (weekly.description or "")
    (schedule,) = weekly.schedules
    assert schedule.slug == "cadence" and schedule.active
    assert schedule.schedule.timezone == "Asia/Shanghai"
    assert schedule.schedule.rrule == cadence_schedule("每周一 09:00", calendar, feedback, today=today).value
    assert schedule.schedule.rrule.startswith(f"DTSTART:{today:%Y%m}01T090000\n")  # this month
    assert schedule.parameters == {"trigger": "cadence"}

    dated = deployments["XH-07-1"]  # deadline 2023-12-31, no cadence
    (reminder,) = dated.schedules
    assert reminder.slug == "deadline" and reminder.parameters == {"trigger": "deadline"}
    expected = deadline_schedule(
        date(2023, 12, 31),
        settings.reminder_offsets,
        settings.reminder_hour,
        calendar,
        exceptions_from=exceptions_start(today),
    )
    assert reminder.schedule.rrule == expected.value
    # 长期坚持 without a cadence: the round's ongoing cadence (每月最后一个工作日 09:00)
    (ongoing,) = deployments["XH-01-1"].schedules
    assert ongoing.slug == "cadence"
    assert (
        ongoing.schedule.rrule
        == cadence_schedule("每月最后一个工作日 09:00", calendar, feedback, today=today).value
    )
    for code, text in SEED_CADENCES.items():
        slugs = {s.slug for s in deployments[code].schedules}
        assert "cadence" in slugs, code
        assert measures[code]["cadence"] == text

    stamps = {name: d.updated for name, d in deployments.items()}
    again = sync_bulk(seeded_database, settings)
    assert again.summary() == "0 created, 0 updated, 0 paused, 0 removed"
    assert again.writes == 0 and again.unchanged == 28
    assert {name: d.updated for name, d in held().items()} == stamps  # nothing was written

    result = cli("sync")
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 0 paused, 0 removed" in result.output


@pytest.mark.usefixtures("clean_server")
def test_close_edit_and_remove_pause_update_and_remove(seeded_database: Database, settings: Settings) -> None:
    from flows.sync import sync_bulk

    sync_bulk(seeded_database, settings)
    before = held()
    with seeded_database.unit_of_work() as session:
        by_code = {m.code: m for m in session.scalars(select(Measure))}
        by_code["XH-07-1"].status = MeasureStatus.CLOSED
        by_code["XH-05-2"].cadence = "每周五下午3点"
        by_code["XH-03-3"].deadline = date(2024, 1, 31)
        by_code["XH-06-1"].removed_at = datetime.now(UTC)
        session.commit()

    result = sync_bulk(seeded_database, settings)
    assert result.summary() == "0 created, 2 updated, 1 paused, 1 removed"
    assert result.paused == ["XH-07-1"] and result.removed == ["XH-06-1"]
    assert result.updated == ["XH-03-3", "XH-05-2"]
    after = held()
    assert "XH-06-1" not in after
    assert after["XH-07-1"].paused and all(s.active for s in after["XH-07-1"].schedules)
    (weekly,) = after["XH-05-2"].schedules
    assert weekly.slug == "cadence"
    assert "BYDAY=FR;BYHOUR=15;BYMINUTE=0" in weekly.schedule.rrule
    assert "每周五 15:00" in (after["XH-05-2"].description or "")
    assert after["XH-05-2"].id == before["XH-05-2"].id  # updated in place
    moved = after["XH-03-3"].schedules[0].schedule.rrule  # the new deadline 2024-01-31
    today = datetime.now(SHANGHAI).date()
    expected = deadline_schedule(
        date(2024, 1, 31),
        settings.reminder_offsets,
        settings.reminder_hour,
        ChinaCalendar(),
        exceptions_from=exceptions_start(today),
    )
    # Both deadlines are past: their reminders change no run and are left out, so the schedule is the
    # daily chase from this month either way (the description changed: that is the update).
    assert moved == expected.value and "RDATE:2024" not in moved

    assert sync_bulk(seeded_database, settings).summary() == "0 created, 0 updated, 0 paused, 0 removed"

    with seeded_database.unit_of_work() as session:
        session.scalars(
            select(Measure).where(Measure.code == "XH-07-1")
        ).one().status = MeasureStatus.IN_PROGRESS
        session.scalars(select(Measure).where(Measure.code == "XH-06-1")).one().removed_at = None
        session.commit()
    back = sync_bulk(seeded_database, settings)
    assert back.summary() == "1 created, 1 updated, 0 paused, 0 removed"
    assert not held()["XH-07-1"].paused


async def _scheduled_runs(deployment_id: Any, start: date, end: date) -> list[datetime]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter
    from prefect.client.schemas.filters import FlowRunFilterExpectedStartTime as Window

    begin = datetime.combine(start, time.min, tzinfo=SHANGHAI)
    finish = datetime.combine(end, time.max, tzinfo=SHANGHAI)
    async with get_client() as client:
        response = await client.request(
            "POST",
            "/deployments/{id}/schedule",
            path_params={"id": deployment_id},
            json={
                "start_time": begin.isoformat(),
                "end_time": finish.isoformat(),
                "min_time": (finish - begin).total_seconds(),
                "min_runs": 0,
                "max_runs": 500,
            },
        )
        response.raise_for_status()
        runs: list[Any] = []
        while True:
            page = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(expected_start_time=Window(after_=begin, before_=finish)),
                limit=200,
                offset=len(runs),
            )
            runs.extend(page)
            if len(page) < 200:
                break
    return sorted(r.expected_start_time.astimezone(SHANGHAI) for r in runs if r.expected_start_time)


@pytest.mark.usefixtures("clean_server")
@pytest.mark.parametrize("window", [AUTUMN_2023, SPRING_2024], ids=["autumn-2023", "spring-festival-2024"])
def test_the_server_schedules_seed_cadences_on_the_hand_checked_days(
    seeded_database: Database, settings: Settings, window: tuple[date, date]
) -> None:
    from flows.sync import sync_bulk

    # registered as on 2023-10-01: the working-day exceptions start on 2023-01-01
    sync_bulk(seeded_database, settings, clock=settings.clock(datetime(2023, 10, 1, 12, tzinfo=UTC)))
    deployments = held()
    for code, text in SEED_CADENCES.items():
        runs = run(_scheduled_runs(deployments[code].id, *window))
        assert {r.time() for r in runs} == {time(9, 0)}, code
        assert [r.date() for r in runs] == SEED_TABLE[text][window], code
    # the make-up workdays of National Day are in the daily patrol's runs
    if window == AUTUMN_2023:
        daily = run(_scheduled_runs(deployments["XH-05-7"].id, date(2023, 10, 7), date(2023, 10, 8)))
        assert [r.date() for r in daily] == [date(2023, 10, 7), date(2023, 10, 8)]


@pytest.mark.usefixtures("clean_server")
def test_the_naive_path_registers_the_same_deployments(seeded_database: Database, settings: Settings) -> None:
    from bench.baselines import sync_naive
    from flows.sync import plan_sync, sync_bulk

    wanted = plan_sync(seeded_database, settings)
    ids = sync_naive(wanted[:3])
    assert len(ids) == 3
    naive = held()
    assert all(naive[name].path for name in naive)  # apply() records the registering process's directory
    result = sync_bulk(seeded_database, settings)
    # what to_deployment().apply() registered is what the bulk path wants but for that working
    # directory, which the bulk path clears (its module entrypoint runs wherever zhenggai is installed)
    assert result.summary() == "25 created, 3 updated, 0 paused, 0 removed"
    assert all(held()[name].path is None for name in naive)
    assert sync_bulk(seeded_database, settings).summary() == "0 created, 0 updated, 0 paused, 0 removed"


@pytest.mark.usefixtures("clean_server")
def test_the_housekeeping_flow_syncs(seeded_database: Database) -> None:
    from flows.sync import sync_deployments

    first = sync_deployments()
    assert first["summary"] == "28 created, 0 updated, 0 paused, 0 removed"
    assert (
        sync_deployments(round_code="xinhua-2023-xc2")["summary"]
        == "0 created, 0 updated, 0 paused, 0 removed"
    )


async def _make_old(work_pool: str, names: list[str]) -> None:
    """Make deployments look as an older release left them: a file entrypoint in another checkout."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate, WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
        deployments = await _held()
        for name in names:
            await client.update_deployment(
                deployments[name].id,
                DeploymentUpdate(
                    entrypoint="tasks/scheduling.py:check_measure",
                    path="/srv/zhenggai-2023",
                    pull_steps=[
                        {
                            "prefect.deployments.steps.set_working_directory": {
                                "directory": "/srv/zhenggai-2023"
                            }
                        }
                    ],
                ),
            )


@pytest.mark.usefixtures("clean_server")
def test_deployments_registered_by_an_older_release_are_repointed_by_one_sync(
    seeded_database: Database, settings: Settings, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade moves code: one sync repoints every measure deployment (entrypoint, no stale working
    directory or pull steps) and keeps its name, work pool, paused state, schedules and id."""
    from tasks.schedule.deployments import ENTRYPOINT

    with seeded_database.unit_of_work() as session:
        session.execute(
            select(Measure).where(Measure.code == "XH-07-1")
        ).scalar_one().status = MeasureStatus.CLOSED
        session.commit()
    monkeypatch.setenv("ZHENGGAI_WORK_POOL", "zhenggai-old")
    run(_make_old("zhenggai-old", []))
    assert "28 created" in cli("sync", "--workers").output
    before = held()
    run(_make_old("zhenggai-old", sorted(before)))
    old = held()
    assert {d.entrypoint for d in old.values()} == {"tasks/scheduling.py:check_measure"}
    assert all(d.path and d.pull_steps for d in old.values())

    result = cli("sync", "--workers")
    assert result.exit_code == 0, result.output
    assert "sync: 0 created, 28 updated, 0 paused, 0 removed (0 unchanged)" in result.output
    after = held()
    assert set(after) == set(before)
    for name, deployment in after.items():
        assert deployment.entrypoint == ENTRYPOINT
        assert not deployment.path and not deployment.pull_steps
        assert deployment.id == before[name].id and deployment.work_pool_name == "zhenggai-old"
        assert deployment.paused == (name == "XH-07-1")
        assert sorted(s.slug for s in deployment.schedules) == sorted(s.slug for s in before[name].schedules)
    assert "0 created, 0 updated, 0 paused, 0 removed" in cli("sync", "--workers").output


def _deploy_the_sweep_as_prefect_yaml_does() -> Any:
    """``sweep/daily-sweep`` as ``prefect deploy`` makes it from ``prefect.yaml``: a plain Monday-to-Friday cron."""
    from prefect.schedules import Cron

    from flows.notify import sweep

    deployment = sweep.to_deployment(
        name="daily-sweep",
        schedules=[Cron("30 8 * * 1-5", timezone="Asia/Shanghai", slug="daily-sweep")],
        tags=["zhenggai-housekeeping"],
    )
    return deployment.apply()


async def _sweep_deployment() -> Any:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_deployment_by_name("sweep/daily-sweep")


async def _delete(deployment_id: Any) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await client.delete_deployment(deployment_id)


@pytest.mark.usefixtures("clean_server")
def test_the_sweep_also_runs_at_the_daily_digests_hour(seeded_database: Database, settings: Settings) -> None:
    """A digest due at 09:00 goes at 09:00: the sync gives the sweep a second working-day schedule at the
    digest hour (slug ``digest-hour``), and the server schedules the sweep at both times on the working days."""
    from flows.sync import sync_bulk

    deployment_id = _deploy_the_sweep_as_prefect_yaml_does()
    try:
        as_of = settings.clock(datetime(2023, 10, 1, 12, tzinfo=UTC))
        sync_bulk(seeded_database, settings, clock=as_of)  # digest_hour 09:00, the default
        sweep = run(_sweep_deployment())
        assert sorted((s.slug, s.schedule.timezone, s.active) for s in sweep.schedules) == [
            ("daily-sweep", "Asia/Shanghai", True),
            ("digest-hour", "Asia/Shanghai", True),
        ]
        assert all("DTSTART" in s.schedule.rrule for s in sweep.schedules)
        runs = run(_scheduled_runs(deployment_id, *AUTUMN_2023))
        workdays = SEED_TABLE["每个工作日 09:00"][AUTUMN_2023]  # 调休 Saturdays in, holidays out
        assert [r.date() for r in runs if r.time() == time(8, 30)] == workdays
        assert [r.date() for r in runs if r.time() == time(9, 0)] == workdays
        assert {r.time() for r in runs} == {time(8, 30), time(9, 0)}
        # A digest hour in the sweep's own time, or in the evening's quiet hours (the digests wait for the
        # morning's sweep), needs no second run.
        for hour in (time(8, 30), time(19, 0)):
            sync_bulk(seeded_database, settings.model_copy(update={"digest_hour": hour}), clock=as_of)
            assert [s.slug for s in run(_sweep_deployment()).schedules] == ["daily-sweep"]
        later = settings.model_copy(update={"digest_hour": time(15, 45)})
        sync_bulk(seeded_database, later, clock=as_of)
        held_schedules = run(_sweep_deployment()).schedules
        assert sorted(s.slug for s in held_schedules) == ["daily-sweep", "digest-hour"]
        (digest_hour,) = [s for s in held_schedules if s.slug == "digest-hour"]
        assert "BYHOUR=15;BYMINUTE=45" in digest_hour.schedule.rrule
    finally:
        run(_delete(deployment_id))


@pytest.mark.usefixtures("clean_server")
def test_a_schedule_the_ledger_no_longer_wants_leaves_the_server(
    seeded_database: Database, settings: Settings
) -> None:
    """A measure whose deadline becomes 长期坚持 loses its ``deadline`` schedule (the server updates schedules by
    slug and keeps those a request does not name: sync deletes them), and the next sync is a no-op."""
    from flows.sync import sync_bulk

    sync_bulk(seeded_database, settings)
    with seeded_database.unit_of_work() as session:
        measure = session.scalars(select(Measure).where(Measure.code == "XH-03-3")).one()
        assert measure.deadline is not None
        measure.deadline, measure.deadline_spec, measure.cadence = None, "长期坚持", "每周一 09:00"
        session.commit()
    assert sync_bulk(seeded_database, settings).updated == ["XH-03-3"]
    assert [s.slug for s in held()["XH-03-3"].schedules] == ["cadence"]
    assert sync_bulk(seeded_database, settings).summary() == "0 created, 0 updated, 0 paused, 0 removed"


@pytest.mark.usefixtures("clean_server")
def test_sync_reads_the_server_as_prefect_does_and_names_every_deployment_it_leaves(
    seeded_database: Database, settings: Settings
) -> None:
    """Sync compares the API's JSON (``HeldDeployment``), not Prefect's models: the same fields either
    way; and its result names every deployment left on the server, which ``serve`` runs without a read."""
    from prefect.client.orchestration import get_client

    from flows.sync import sync_bulk
    from tasks.schedule.sync import _schedule_key, read_held

    first = sync_bulk(seeded_database, settings)
    models = held()
    assert first.deployment_ids == {name: d.id for name, d in models.items()}

    async def light() -> dict[str, Any]:
        async with get_client() as client:
            return {d.name: d for d in await read_held(client)}

    read = run(light())
    assert set(read) == set(models)
    for name, model in models.items():
        assert read[name].id == model.id
        assert read[name].schedule_keys == tuple(sorted(_schedule_key(s) for s in model.schedules))
        assert read[name].tags == tuple(sorted(model.tags))
        assert read[name].parameters == model.parameters
        assert read[name].paused == model.paused
        assert read[name].parameter_openapi_schema == model.parameter_openapi_schema
        assert read[name].description == model.description

    again = sync_bulk(seeded_database, settings)
    assert again.writes == 0 and again.deployment_ids == first.deployment_ids


@pytest.mark.usefixtures("clean_server")
def test_a_restart_trusts_the_last_sync_only_while_the_server_holds_what_it_left(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    """``serve``'s restart shortcut: the same plan and the same deployments on the server (two counts);
    a deleted deployment, a ledger change, or no record at all (a new PREFECT_HOME) mean a full sync."""
    from prefect.settings import PREFECT_HOME, temporary_settings

    from flows.local_server import SyncRecord, forget_sync_record, write_sync_record
    from flows.serve import unchanged_since_last_sync
    from flows.sync import apply_bulk, fingerprint, plan_bulk

    with temporary_settings({PREFECT_HOME: str(tmp_path / "prefect-home")}):
        plan = plan_bulk(seeded_database, settings)
        assert unchanged_since_last_sync(plan) is None  # no record yet
        result = apply_bulk(plan)
        write_sync_record(SyncRecord(fingerprint(plan), dict(result.deployment_ids)))

        assert unchanged_since_last_sync(plan_bulk(seeded_database, settings)) == result.deployment_ids

        with seeded_database.unit_of_work() as session:
            session.scalars(select(Measure).where(Measure.code == "XH-05-2")).one().cadence = "每周五下午3点"
            session.commit()
        changed = plan_bulk(seeded_database, settings)
        assert fingerprint(changed) != fingerprint(plan)
        assert unchanged_since_last_sync(changed) is None

        run(_delete_measure("XH-07-1"))
        assert unchanged_since_last_sync(plan) is None  # the same plan, but the server lost one

        forget_sync_record()
        assert unchanged_since_last_sync(plan) is None


async def _delete_measure(name: str) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await client.delete_deployment((await _held())[name].id)
