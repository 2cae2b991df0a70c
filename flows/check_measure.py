"""``check_measure``: one measure, looked at as of its scheduled time (see ``tasks.schedule.check``).

1. derive its state and record a ``StatusEvent`` when it changed (with this flow run's id);
2. when it changed, emit ``zhenggai.measure.<state>`` (the measure as resource, round and owner as related
   resources) and publish a markdown artifact summarising the measure;
3. hand the run over to notification (``flows.notify.hand_over``): its tasks, in this flow run, plan and
   deliver the measure's reminders, chasing and missing-report messages with their own exactly-once keys
   (not a subflow: a flow run of its own was a fifth to a third of the Prefect server's work for a check,
   docs/benchmarks.md; ``flows.notify.notify_measure`` is the same hand-over as a flow of its own).

A second run for the same scheduled time records nothing new. A stale run (scheduled on an earlier day,
after an outage) judges as of now and hands over nothing; neither does a manual check. A run whose ledger
does not hold the measure (or that finds no ledger: a worker without ZHENGGAI_DATABASE_URL/DATA_DIR) fails
with ``MeasureNotInLedger`` and makes no ledger, so the failed-run alert and the Prefect UI show it.
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task

from flows.notify import hand_over
from flows.retries import retry_transient
from models.db import existing_database, get_database, ledger_location
from models.errors import MeasureNotInLedger, UnknownMeasure
from models.settings import Settings, get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.schedule.check import MeasureCheck, event_payload, measure_markdown, observe_measure


@task(name="observe-measure", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_transient)
def observe(measure: str, scheduled_at: datetime, trigger: str, flow_run_id: str | None) -> MeasureCheck:
    """Judge the measure as of its scheduled time and record its state when it changed."""
    settings = get_settings()
    # Never get_database here: on a worker without the ledger's settings it would create (and migrate) an
    # empty ledger in the run's temporary directory and judge nothing there, silently.
    database = existing_database(settings)
    if database is None:
        raise not_in_ledger(measure, settings, "there is no ledger")
    try:
        with database.unit_of_work() as session:
            check = observe_measure(
                session,
                measure,
                scheduled_at=scheduled_at,
                clock=ledger_clock(database, settings),
                trigger=trigger,
                flow_run_id=flow_run_id,
            )
            session.commit()
    except UnknownMeasure:
        raise not_in_ledger(measure, settings, "the ledger does not hold it") from None
    return check


def not_in_ledger(measure: str, settings: Settings, why: str) -> MeasureNotInLedger:
    """The run's failure as the office reads it: which database it opened, and which settings decide it."""
    where = ledger_location(settings)
    if settings.ledger_implicit:
        chosen = (
            "neither ZHENGGAI_DATABASE_URL nor ZHENGGAI_DATA_DIR is set in this run's environment, so it "
            f"looked for the nearest .zhenggai/ above its working directory ({Path.cwd()})"
        )
    else:
        chosen = "ZHENGGAI_DATABASE_URL (else ZHENGGAI_DATA_DIR) in this run's environment names it"
    return MeasureNotInLedger(
        f"no measure '{measure}' to check: {why} at {where}; {chosen}. Give the workers the same "
        "ZHENGGAI_DATABASE_URL or ZHENGGAI_DATA_DIR as the CLI and the API (a measure removed from the "
        "plan loses its deployment at the next `zhenggai sync`)"
    )


@task(name="emit-measure-event")
def emit_measure_event(check: MeasureCheck) -> str | None:
    """Emit ``zhenggai.measure.<state>`` with the measure, its round and owner as resources."""
    from prefect.events import emit_event

    event = emit_event(**event_payload(check))
    return str(event.id) if event else None


@task(name="publish-measure-artifact")
def publish_measure_artifact(check: MeasureCheck) -> str:
    """Publish the measure's Markdown summary as its artifact."""
    from prefect.artifacts import create_markdown_artifact

    artifact_id = create_markdown_artifact(
        markdown=measure_markdown(check, ledger_clock(get_database(get_settings()), get_settings())),
        key=f"measure-{check.code.lower()}",
        description=f"{check.code}: {check.state.value}",
    )
    return str(artifact_id)


def _run_facts() -> tuple[datetime, str | None]:
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    run_id = flow_run.id
    # a stdlib datetime (the runtime gives a pendulum one when the run is scheduled)
    moment = datetime.fromisoformat(
        scheduled.isoformat() if hasattr(scheduled, "isoformat") else str(scheduled)
    )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, str(run_id) if run_id else None


@flow(name="check_measure", log_prints=False)
def check_measure(measure: str, trigger: str = "manual") -> dict[str, Any]:
    """Check one rectification measure as of its scheduled time."""
    from prefect import get_run_logger

    # Each due check is a process of its own, and what its imports built lives until it exits: frozen, the
    # collector no longer walks it on every full collection and at exit (about 0.3 CPU-seconds a check).
    gc.freeze()
    logger = get_run_logger()
    scheduled_at, flow_run_id = _run_facts()
    check = observe(measure, scheduled_at, trigger, flow_run_id)
    logger.info(
        "%s: %s (%s)%s",
        check.code,
        check.state.value,
        check.measure.light.value,
        ", state recorded" if check.changed else "",
    )
    if check.changed:
        emit_measure_event(check)
        publish_measure_artifact(check)
    if not check.stale and check.trigger != "manual":
        handed = hand_over(check.code, check.scheduled_at)
        logger.info(
            "%s: handed over to notification (%s trigger, calls for %s): %s",
            check.code,
            check.trigger,
            ", ".join(check.due) or "nothing",
            handed,
        )
    else:
        logger.info(
            "%s: nothing handed over (%s)", check.code, "stale run" if check.stale else "manual check"
        )
    return check.summary()
