"""A failed or crashed run of a Zhenggai deployment, told to the coordinator's office.

``zhenggai sync`` makes sure the server holds (idempotently):

- the ``tell_run_failed/tell-run-failed`` deployment of this flow (in ``ZHENGGAI_WORK_POOL`` when set;
  ``serve`` serves it);
- the automation ``zhenggai: failed or crashed run``: on ``prefect.flow-run.Failed`` or
  ``prefect.flow-run.Crashed`` of a run tagged ``zhenggai`` (every measure deployment; tags are inherited
  by flow runs), it runs that deployment with the run's id.

The flow records one message per failed run in the delivery log (key: the run's id, so a repeated
trigger sends nothing twice) for every round's coordinator's office, and sends it (held in quiet
hours like every message: the sweep sends it then).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.notify import deliver_batch
from flows.retries import retry_transient
from models.db import existing_database, ledger_location
from models.errors import NoLedger
from models.notifications import Policy
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.notify.office import record_run_failed

FLOW_NAME = "tell_run_failed"
DEPLOYMENT_NAME = "tell-run-failed"
ENTRYPOINT = "flows.run_failed.tell_run_failed"
AUTOMATION_NAME = "zhenggai: failed or crashed run → coordinator's office"
WATCHED_TAG = "zhenggai"


def _run_id(value: str) -> str:
    """A flow run's id from an event's resource id (``prefect.flow-run.<id>``) or the id itself."""
    return value.removeprefix("prefect.flow-run.")


@task(name="describe-failed-run", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_transient)
def describe_failed_run(flow_run_id: str) -> dict[str, str]:
    """The failed run as the message names it: id, name, deployment, state and the UI link."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_UI_URL

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        deployment = client.read_deployment(run.deployment_id).name if run.deployment_id else ""
    ui = PREFECT_UI_URL.value()
    return {
        "id": str(run.id),
        "name": run.name,
        "deployment": deployment,
        "state": (run.state.name or "Failed") if run.state else "Failed",
        "url": f"{ui}/runs/flow-run/{run.id}" if ui else "",
    }


@task(
    name="record-run-failed",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_transient,
)
def record_failed_run(run: dict[str, str], now: datetime) -> list[int]:
    """Record the message about ``run`` for the coordinator's offices (once per run); the new ids."""
    settings = get_settings()
    # Not get_database: a worker without the ledger's settings would tell an empty ledger's nobody, silently.
    database = existing_database(settings)
    if database is None:
        raise NoLedger(
            f"no ledger at {ledger_location(settings)} to find the coordinator's office for run "
            f"{run['name']} in: set ZHENGGAI_DATABASE_URL or ZHENGGAI_DATA_DIR in this worker's environment"
        )
    clock = ledger_clock(database, settings, now)
    with database.unit_of_work() as session:
        result = record_run_failed(session, run, clock, Policy.from_settings(settings))
        session.commit()
    return list(result.new_ids)


@flow(name=FLOW_NAME, log_prints=False)
def tell_run_failed(flow_run_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Tell the coordinator's office that a Zhenggai run failed or crashed (one message per run)."""
    logger = get_run_logger()
    moment = now or datetime.now(UTC)
    run = describe_failed_run(_run_id(flow_run_id))
    ids = record_failed_run(run, moment)
    delivered = deliver_batch(ids, moment) if ids else {}
    logger.info(
        "run %s (%s) %s: %s message(s) recorded", run["name"], run["deployment"], run["state"], len(ids)
    )
    return {"run": run, "recorded": len(ids), "delivered": delivered}
