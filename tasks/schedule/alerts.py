"""The failed-run alert on the Prefect server: a deployment of the telling flow and the automation that
runs it when a run tagged ``zhenggai`` fails or crashes. Made idempotently by every sync (what exists and
matches is left alone; an automation that differs is replaced)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

FAILED_EVENTS = ("prefect.flow-run.Crashed", "prefect.flow-run.Failed")


@dataclass(frozen=True)
class AlertSpec:
    """What the alert is made of: the flow and deployment it runs, the automation's name and the tag it
    watches."""

    flow_name: str
    deployment_name: str
    entrypoint: str
    automation_name: str
    tag: str
    description: str


async def ensure_alert_deployment(
    client: PrefectClient, spec: AlertSpec, *, schema: dict[str, Any], work_pool: str | None
) -> tuple[Any, str]:
    """The telling flow's deployment (created when missing, moved into ``work_pool`` when one is given);
    its id and what was done ('' for nothing)."""
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.exceptions import ObjectNotFound

    try:
        held = await client.read_deployment_by_name(f"{spec.flow_name}/{spec.deployment_name}")
    except ObjectNotFound:
        held = None
    if held is not None:
        if work_pool is not None and held.work_pool_name != work_pool:
            await client.update_deployment(held.id, DeploymentUpdate(work_pool_name=work_pool))
            return held.id, "moved into the work pool"
        return held.id, ""
    flow_id = await client.create_flow_from_name(spec.flow_name)
    deployment_id = await client.create_deployment(
        flow_id=flow_id,
        name=spec.deployment_name,
        description=spec.description,
        tags=["zhenggai-housekeeping"],
        entrypoint=spec.entrypoint,
        parameter_openapi_schema=schema,
        enforce_parameter_schema=True,
        work_pool_name=work_pool,
    )
    return deployment_id, "deployment created"


def automation_for(spec: AlertSpec, deployment_id: Any) -> Any:
    """The automation: a failed or crashed run of a deployment tagged ``spec.tag`` runs the deployment
    with the run's resource id (``prefect.flow-run.<id>``)."""
    from datetime import timedelta

    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    trigger = EventTrigger(
        expect=set(FAILED_EVENTS),
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{spec.tag}"},
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )
    action = RunDeployment(
        source="selected",
        deployment_id=deployment_id,
        parameters={"flow_run_id": "{{ event.resource.id }}"},
    )
    fingerprint = _fingerprint(trigger, action)
    return AutomationCore(
        name=spec.automation_name,
        description=f"{spec.description} [spec {fingerprint}]",
        enabled=True,
        trigger=trigger,
        actions=[action],
    )


def _fingerprint(*parts: Any) -> str:
    dumped = [part.model_dump(mode="json", exclude={"id"}) for part in parts]
    return hashlib.sha256(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()[:12]


async def ensure_alert(
    client: PrefectClient, spec: AlertSpec, *, schema: dict[str, Any], work_pool: str | None
) -> list[str]:
    """Make the server hold the alert's deployment and automation; returns what was done (empty: nothing)."""
    deployment_id, done = await ensure_alert_deployment(client, spec, schema=schema, work_pool=work_pool)
    changes = [done] if done else []
    wanted = automation_for(spec, deployment_id)
    held = await client.read_automations_by_name(spec.automation_name)
    if len(held) == 1 and held[0].description == wanted.description and held[0].enabled:
        return changes
    for automation in held:
        await client.delete_automation(automation.id)
    await client.create_automation(wanted)
    changes.append("automation replaced" if held else "automation created")
    return changes
