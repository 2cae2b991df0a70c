"""``check_measure``: one measure, looked at as of its scheduled time (see ``tasks.schedule.check``).

1. derive its state and record a ``StatusEvent`` when it changed (with this flow run's id);
2. when it changed, emit ``zhenggai.measure.<state>`` (the measure as resource, round and owner as related
   resources) and publish a markdown artifact summarising the measure;
3. hand the notices the run calls for to the notification tasks (``notification_hand_over``).

A second run for the same scheduled time records nothing new. A stale run (scheduled on an earlier day,
after an outage) judges as of now and hands over no reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prefect import flow, task

from models.db import get_database
from models.settings import get_settings
from tasks.schedule.check import (
    MeasureCheck,
    event_payload,
    measure_markdown,
    observe_measure,
    record_planned_reminders,
)


@task(name="observe-measure", retries=2, retry_delay_seconds=2)
def observe(measure: str, scheduled_at: datetime, trigger: str, flow_run_id: str | None) -> MeasureCheck:
    """Judge the measure as of its scheduled time and record its state when it changed."""
    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        return observe_measure(
            session,
            measure,
            scheduled_at=scheduled_at,
            now=datetime.now(UTC),
            calendar=settings.working_calendar(),
            timezone=settings.timezone,
            due_soon_workdays=settings.due_soon_workdays,
            trigger=trigger,
            flow_run_id=flow_run_id,
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
        markdown=measure_markdown(check, get_settings().timezone),
        key=f"measure-{check.code.lower()}",
        description=f"{check.code}: {check.state.value}",
    )
    return str(artifact_id)


@task(name="record-planned-reminders")
def record_planned(check: MeasureCheck) -> list[str]:
    """Record the reminders the run calls for as status events."""
    with get_database(get_settings()).unit_of_work() as session:
        return record_planned_reminders(session, check, now=datetime.now(UTC))


def notification_hand_over() -> Callable[[MeasureCheck], Any]:
    """The one call point where reminders and escalations leave this flow.

    The notification flows (issue 4) plug in with ``flows.notify.notify_measure(measure_code,
    scheduled_time)``, a subflow that plans, records and delivers the measure's messages with their
    own exactly-once keys. It is called for scheduled runs (trigger ``cadence`` or ``deadline``) that
    are not stale; manual checks and stale backlog runs hand nothing over. Without that module the flow
    records what it would send (``StatusEvent`` kind ``reminder planned``, see ``tasks.schedule.check``).
    """
    import importlib
    import importlib.util

    notify = None
    if importlib.util.find_spec("flows.notify") is not None:
        notify = getattr(importlib.import_module("flows.notify"), "notify_measure", None)
    if notify is None:
        return record_planned

    def hand_over(check: MeasureCheck) -> Any:
        if check.stale or check.trigger == "manual":
            return None
        return notify(measure_code=check.code, scheduled_time=check.scheduled_at)

    return hand_over


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
    scheduled_at, flow_run_id = _run_facts()
    check = observe(measure, scheduled_at, trigger, flow_run_id)
    if check.changed:
        emit_measure_event(check)
        publish_measure_artifact(check)
    notification_hand_over()(check)
    return check.summary()
