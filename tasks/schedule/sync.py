"""Ledger → Prefect deployments: the wanted deployments (``tasks.schedule.deployments``) reconciled in bulk.

The bulk path (``reconcile``) reads every managed deployment once, compares what the server holds with what
the ledger wants (read back, never trusting what was sent), and writes only the differences, with a few
concurrent requests on one async client and the parameter schema computed once by the caller. A sync
with no ledger change makes no API write. What the server holds is compared from the API's JSON
(``HeldDeployment``): Prefect's response models parse every RRULE set again on the way in, seconds of CPU
for a city's 2,100 deployments on each sync and each ``serve`` start. The naive one-by-one ``to_deployment(...).apply()`` path it is
measured against lives in ``bench/baselines.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tasks.schedule.deployments import (
    CLOSED_TAG,
    ENTRYPOINT,
    FLOW_NAME,
    MANAGED_TAG,
    WantedDeployment,
    WantedSchedule,
)

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.responses import DeploymentResponse

PAGE = 200


@dataclass
class SyncResult:
    """What a sync did; ``writes`` counts every API call that changed something."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Open measures whose deployment someone paused by hand (the Prefect UI): left paused, reported.
    held_paused: list[str] = field(default_factory=list)
    # Measures whose dates cannot be computed (no calendar data, ``ZHENGGAI_CALENDAR_FALLBACK=error``):
    # code → why; their deployments are left as the server holds them.
    skipped: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    writes: int = 0
    # What the failed-run alert needed (deployment created, automation created or replaced); empty: nothing.
    alert: list[str] = field(default_factory=list)
    # Every managed deployment the server holds after the sync, name → id (``serve`` hands them to its
    # runner without reading them all again).
    deployment_ids: dict[str, UUID] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.paused)} paused, {len(self.removed)} removed"
        )

    def warnings(self) -> list[str]:
        """What the operator should know: deployments paused by hand, measures skipped."""
        lines = [
            f"{name}: paused by hand in Prefect while the measure is open; left paused "
            "(resume it in the Prefect UI, or close the measure)"
            for name in self.held_paused
        ]
        lines += [
            f"{name}: skipped, its dates cannot be computed: {why}" for name, why in self.skipped.items()
        ]
        return lines


@dataclass(frozen=True)
class HeldSchedule:
    """One schedule of a held deployment: its slug and id."""

    slug: str | None
    id: UUID


@dataclass(frozen=True)
class HeldDeployment:
    """A managed deployment as the server holds it: the fields sync compares, from the API's JSON."""

    id: UUID
    name: str
    description: str
    tags: tuple[str, ...]
    parameters: dict[str, Any]
    schedule_keys: tuple[tuple[Any, ...], ...]  # as ``WantedSchedule.key`` gives them, sorted
    schedules: tuple[HeldSchedule, ...]  # each schedule's slug and id (to delete those no longer wanted)
    entrypoint: str | None
    path: str | None
    pull_steps: Any
    work_pool_name: str | None
    parameter_openapi_schema: dict[str, Any]
    paused: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldDeployment:
        return cls(
            id=UUID(str(data["id"])),
            name=data["name"],
            description=data.get("description") or "",
            tags=tuple(sorted(data.get("tags") or [])),
            parameters=dict(data.get("parameters") or {}),
            schedule_keys=tuple(sorted(_json_schedule_key(s) for s in data.get("schedules") or [])),
            schedules=tuple(
                HeldSchedule(slug=s.get("slug"), id=UUID(str(s["id"]))) for s in data.get("schedules") or []
            ),
            entrypoint=data.get("entrypoint"),
            path=data.get("path"),
            pull_steps=data.get("pull_steps"),
            work_pool_name=data.get("work_pool_name") or None,
            parameter_openapi_schema=dict(data.get("parameter_openapi_schema") or {}),
            paused=bool(data.get("paused")),
        )


def _json_schedule_key(schedule: dict[str, Any]) -> tuple[Any, ...]:
    """``_schedule_key`` of a schedule in the API's JSON (the same tuple for the same schedule)."""
    inner = schedule.get("schedule") or {}
    if "cron" in inner:
        kind, value = "cron", inner["cron"]
    elif "rrule" in inner:
        kind, value = "rrule", inner["rrule"]
    else:
        kind, value = "other", str(sorted(inner.items()))
    params = tuple(sorted((schedule.get("parameters") or {}).items()))
    return (schedule.get("slug"), kind, value, inner.get("timezone"), bool(schedule.get("active")), params)


def _schedule_key(schedule: Any) -> tuple[Any, ...]:
    inner = schedule.schedule
    if hasattr(inner, "cron"):
        kind, value = "cron", inner.cron
    elif hasattr(inner, "rrule"):
        kind, value = "rrule", inner.rrule
    else:
        kind, value = type(inner).__name__, str(inner)
    params = tuple(sorted((schedule.parameters or {}).items()))
    return (schedule.slug, kind, value, inner.timezone, bool(schedule.active), params)


def differences(
    held: HeldDeployment,
    want: WantedDeployment,
    *,
    schema: dict[str, Any],
    work_pool: str | None,
    leave_pool: bool = False,
) -> list[str]:
    """What differs between the server's deployment and the wanted one (field names; empty: in sync).

    The work pool: a deployment is moved into ``work_pool`` when one is given; without one it stays in
    the pool it is in, unless ``leave_pool`` (told to move it out, to be run by ``zhenggai serve``).
    Paused: the ledger decides, but a deployment paused by hand (not by sync: no ``CLOSED_TAG``) for an
    open measure is not resumed (see ``paused_by_hand``).
    """
    diff = []
    if held.description != want.description:
        diff.append("description")
    if list(held.tags) != list(want.tags):
        diff.append("tags")
    if held.parameters != want.parameters:
        diff.append("parameters")
    if list(held.schedule_keys) != sorted(s.key() for s in want.schedules):
        diff.append("schedules")
    if held.entrypoint != ENTRYPOINT or held.path or held.pull_steps:
        # Registered by an older release or from another checkout: repoint it to the flow's module path.
        diff.append("entrypoint")
    if held.work_pool_name != work_pool and (work_pool is not None or leave_pool):
        diff.append("work_pool")
    if held.parameter_openapi_schema != schema:
        diff.append("parameter_schema")
    if held.paused != want.paused and not paused_by_hand(held, want):
        diff.append("paused")
    return diff


def unwanted_schedules(held: Sequence[Any], wanted: Iterable[WantedSchedule]) -> list[Any]:
    """The server's schedules whose slug the ledger no longer wants. An update names schedules by slug, and
    the server updates and creates those but keeps the others (a measure that became 长期坚持 would keep its
    ``deadline`` reminders): sync deletes these after the update."""
    slugs = {w.slug for w in wanted}
    return [s for s in held if s.slug not in slugs]


async def write_update(
    client: PrefectClient,
    current: HeldDeployment,
    change: DeploymentUpdate,
    schedules: Sequence[WantedSchedule] | None,
) -> None:
    """Write ``change``; when it names the ``schedules``, delete those the ledger no longer wants."""
    await client.update_deployment(current.id, change)
    for stale in unwanted_schedules(current.schedules, schedules) if schedules is not None else ():
        await client.delete_deployment_schedule(current.id, stale.id)


def paused_by_hand(held: HeldDeployment, want: WantedDeployment) -> bool:
    """The server holds the deployment paused, the measure is open, and sync did not pause it (销号 adds
    ``CLOSED_TAG`` when it pauses): someone paused it by hand; sync reports it instead of resuming it."""
    return held.paused and not want.paused and CLOSED_TAG not in held.tags


@lru_cache(maxsize=4096)
def prefect_schedule(schedule: WantedSchedule) -> Any:
    """The client schedule object of a wanted schedule (validated once per distinct schedule).

    Prefect re-parses a whole RRULE set when the object is built; a city's 2,100 measures share a few
    dozen schedules, and the objects are only serialised, never changed, so one serves them all.
    """
    from prefect.client.schemas.schedules import CronSchedule, RRuleSchedule

    if schedule.kind == "cron":
        return CronSchedule(cron=schedule.value, timezone=schedule.timezone)
    return RRuleSchedule(rrule=schedule.value, timezone=schedule.timezone)


def update_for(
    want: WantedDeployment, diff: list[str], *, parameter_schema: dict[str, Any], work_pool: str | None
) -> DeploymentUpdate:
    """The update that writes the ``diff`` fields of ``want`` (and nothing else: name, the fields that
    agree and, unless ``paused`` differs, the paused state stay as the server holds them)."""
    from prefect.client.schemas.actions import DeploymentScheduleUpdate, DeploymentUpdate

    fields: dict[str, Callable[[], dict[str, Any]]] = {
        "description": lambda: {"description": want.description},
        "tags": lambda: {"tags": list(want.tags)},
        "parameters": lambda: {"parameters": want.parameters},
        "schedules": lambda: {
            "schedules": [
                DeploymentScheduleUpdate(
                    schedule=prefect_schedule(s), active=True, parameters=s.parameters, slug=s.slug
                )
                for s in want.schedules
            ]
        },
        # The module path works wherever zhenggai is installed: no working directory, no pull steps.
        "entrypoint": lambda: {"entrypoint": ENTRYPOINT, "path": None, "pull_steps": None},
        "work_pool": lambda: {"work_pool_name": work_pool},
        "parameter_schema": lambda: {
            "parameter_openapi_schema": parameter_schema,
            "enforce_parameter_schema": True,
        },
        "paused": lambda: {"paused": want.paused},
    }
    change: dict[str, Any] = {}
    for name in diff:
        change.update(fields[name]())
    return DeploymentUpdate(**change)


async def read_managed(client: PrefectClient, *, round_code: str | None = None) -> list[DeploymentResponse]:
    """Every deployment sync manages (flow ``check_measure``, tag ``zhenggai``), page by page, as Prefect's
    response models (every field; ``read_held`` is the cheaper read sync itself uses)."""
    from prefect.client.schemas.responses import DeploymentResponse

    return [
        DeploymentResponse.model_validate(data)
        for data in await _read_managed_json(client, round_code=round_code)
    ]


async def read_held(client: PrefectClient, *, round_code: str | None = None) -> list[HeldDeployment]:
    """Every deployment sync manages, with the fields it compares, without Prefect's response models."""
    return [
        HeldDeployment.from_json(data) for data in await _read_managed_json(client, round_code=round_code)
    ]


async def holds_exactly(
    client: PrefectClient, ids: Collection[UUID], *, round_code: str | None = None
) -> bool:
    """Whether the managed deployments on the server are exactly ``ids``: two counts, nothing read (a
    server reset, a deployment deleted or created since, and the counts differ)."""
    from prefect.client.schemas.filters import DeploymentFilterId

    flows, deployments = _managed_filters(round_code)
    counts = []
    for extra in ({}, {"id": DeploymentFilterId(any_=list(ids)).model_dump(mode="json")}):
        body = {"flows": flows, "deployments": {**deployments, **extra}}
        response = await client.request("POST", "/deployments/count", json=body)
        response.raise_for_status()
        counts.append(int(response.json()))
    return counts == [len(ids), len(ids)]


def _managed_filters(round_code: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The flow and deployment filters (as JSON) of the deployments sync manages."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterTags,
        FlowFilter,
        FlowFilterName,
    )

    tags = [MANAGED_TAG] + ([f"round:{round_code}"] if round_code else [])
    flows = FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])).model_dump(mode="json")
    return flows, DeploymentFilter(tags=DeploymentFilterTags(all_=tags)).model_dump(mode="json")


async def _read_managed_json(client: PrefectClient, *, round_code: str | None) -> list[dict[str, Any]]:
    """The managed deployments (flow ``check_measure``, tag ``zhenggai``) as the API's JSON, page by page:
    the body ``PrefectClient.read_deployments`` sends."""
    flows, deployments = _managed_filters(round_code)
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = {"flows": flows, "deployments": deployments, "limit": PAGE, "offset": offset, "sort": None}
        response = await client.request("POST", "/deployments/filter", json=body)
        response.raise_for_status()
        page = response.json()
        found.extend(page)
        if len(page) < PAGE:
            return found
        offset += PAGE


async def align_housekeeping(
    client: PrefectClient, wanted: dict[tuple[str, str], tuple[WantedSchedule, ...]]
) -> list[str]:
    """Bring the housekeeping deployments that exist (``prefect deploy`` made them from ``prefect.yaml``
    with plain cron) to their working-day schedules, all of them (the sweep's digest hour too); returns the
    names updated. No parameters are set on the schedule: the flows take none from it."""
    from prefect.client.schemas.actions import DeploymentScheduleUpdate, DeploymentUpdate
    from prefect.exceptions import ObjectNotFound

    updated = []
    for (flow_name, name), wants in wanted.items():
        try:
            held = await client.read_deployment_by_name(f"{flow_name}/{name}")
        except ObjectNotFound:
            continue
        keys = sorted((w.slug, w.kind, w.value, w.timezone, True, ()) for w in wants)
        if sorted(_schedule_key(s) for s in held.schedules) == keys:
            continue
        schedules = [
            DeploymentScheduleUpdate(schedule=prefect_schedule(w), active=True, slug=w.slug) for w in wants
        ]
        await client.update_deployment(held.id, DeploymentUpdate(schedules=schedules))
        for stale in unwanted_schedules(held.schedules, wants):
            await client.delete_deployment_schedule(held.id, stale.id)
        updated.append(name)
    return updated


async def ensure_pool_limit(client: PrefectClient, pool: str, limit: int | None) -> bool:
    """Give the work pool ``limit`` as its concurrency limit (flow runs at once on the worker path, as
    ``Runner(limit=…)`` on ``serve``'s); returns whether it changed. A pool not created yet is left alone."""
    from prefect.client.schemas.actions import WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    try:
        held = await client.read_work_pool(pool)
    except ObjectNotFound:
        return False
    wanted = limit or None
    if held.concurrency_limit == wanted:
        return False
    await client.update_work_pool(pool, WorkPoolUpdate(concurrency_limit=wanted))
    return True


async def _flow_id(client: PrefectClient, result: SyncResult) -> Any:
    """The ``check_measure`` flow's id, the flow created when the server has none."""
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        return (await client.read_flow_by_name(FLOW_NAME)).id
    except (ObjectNotFound, PrefectHTTPStatusError) as error:
        if isinstance(error, PrefectHTTPStatusError) and error.response.status_code != 404:
            raise
        result.writes += 1
        return await client.create_flow_from_name(FLOW_NAME)


async def reconcile(
    client: PrefectClient,
    wanted: Iterable[WantedDeployment],
    *,
    parameter_schema: dict[str, Any],
    work_pool: str | None = None,
    leave_pool: bool = False,
    round_code: str | None = None,
    concurrency: int = 4,
    skipped: dict[str, str] | None = None,
) -> SyncResult:
    """Make the server's measure deployments match ``wanted``; write only what differs.

    ``work_pool``: where new deployments go and existing ones are moved to; None keeps each in the pool
    it is in (``leave_pool`` moves them out). ``round_code`` limits removal to that round's deployments;
    ``skipped`` measures (dates not computable) are neither updated nor removed. Four requests at a time: more did not
    help on two cores (see docs/deploying.md).
    """
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    result = SyncResult(skipped=dict(skipped or {}))
    wanted_list = list(wanted)
    held = {d.name: d for d in await read_held(client, round_code=round_code)}
    flow_id = None
    if any(w.name not in held for w in wanted_list):
        flow_id = await _flow_id(client, result)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def create(want: WantedDeployment) -> None:
        assert flow_id is not None
        async with gate:
            result.deployment_ids[want.name] = await client.create_deployment(
                flow_id=flow_id,
                name=want.name,
                description=want.description,
                tags=list(want.tags),
                parameters=want.parameters,
                schedules=[
                    DeploymentScheduleCreate(
                        schedule=prefect_schedule(s), active=True, parameters=s.parameters, slug=s.slug
                    )
                    for s in want.schedules
                ],
                paused=want.paused,
                entrypoint=ENTRYPOINT,
                parameter_openapi_schema=parameter_schema,
                enforce_parameter_schema=True,
                work_pool_name=work_pool,
            )
        result.writes += 1
        result.created.append(want.name)

    async def update(current: HeldDeployment, want: WantedDeployment, diff: list[str]) -> None:
        change = update_for(want, diff, parameter_schema=parameter_schema, work_pool=work_pool)
        async with gate:
            await write_update(client, current, change, want.schedules if "schedules" in diff else None)
        result.writes += 1
        if "paused" in diff and want.paused and set(diff) <= {"paused", "tags"}:
            result.paused.append(want.name)
        else:
            result.updated.append(want.name)

    async def remove(current: HeldDeployment) -> None:
        async with gate:
            await client.delete_deployment(current.id)
        result.writes += 1
        result.removed.append(current.name)

    jobs = []
    names = set(result.skipped)
    for want in wanted_list:
        names.add(want.name)
        current = held.get(want.name)
        if current is None:
            jobs.append(create(want))
            continue
        result.deployment_ids[want.name] = current.id
        if paused_by_hand(current, want):
            result.held_paused.append(want.name)
        diff = differences(current, want, schema=parameter_schema, work_pool=work_pool, leave_pool=leave_pool)
        if diff:
            jobs.append(update(current, want, diff))
        else:
            result.unchanged += 1
    jobs.extend(remove(current) for name, current in held.items() if name not in names)
    # skipped measures keep their deployments, which serve still runs
    result.deployment_ids.update((name, held[name].id) for name in result.skipped if name in held)
    await asyncio.gather(*jobs)
    for names_list in (result.created, result.updated, result.paused, result.removed, result.held_paused):
        names_list.sort()
    return result
