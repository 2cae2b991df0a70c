"""Where a measure's deployment and its last flow run are in the Prefect UI (``PREFECT_UI_URL``).

Reads the Prefect API (the deployment by its name, its latest started run); changes nothing.
"""

from __future__ import annotations

from tasks.schedule.deployments import FLOW_NAME


def deployment_page(ui_url: str, code: str) -> str | None:
    """The UI page of the measure's ``check_measure`` deployment, or None when Prefect holds none."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"{FLOW_NAME}/{code}")
        except ObjectNotFound:
            return None
    return f"{ui_url.rstrip('/')}/deployments/deployment/{deployment.id}"


def last_run_page(ui_url: str, code: str) -> str | None:
    """The UI page of the deployment's latest started flow run, or None (no deployment, or no run yet)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[code])),
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )
    return f"{ui_url.rstrip('/')}/runs/flow-run/{runs[0].id}" if runs else None
