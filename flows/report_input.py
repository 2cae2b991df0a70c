"""``report_input``: a coordinator enters a unit's report in the Prefect UI.

The run pauses with ``wait_for_input`` a typed form (``UnitReportForm``); the UI shows it on the paused
run ("Resume" → form). The entry goes through ``flows.intake.submit_report`` (so ``record_report``):
the same validation, history and event as the API. A refused entry (empty text, a unit that does
not own the measure, a period that has not ended…) pauses the run again with the reason shown above
the form, up to ``attempts`` times; then the run fails with that reason.

Pause keys hold only lowercase letters, digits and dashes (``report-1``, ``report-2``…).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.context import FlowRunContext
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from flows.intake import submit_report
from models.db import get_database
from models.enums import ReportStatus
from models.errors import ZhenggaiError
from models.settings import get_settings
from models.text import AUTHOR_MAX, METRIC_NAME_MAX, METRIC_UNIT_MAX, REPORT_TEXT_MAX
from tasks.calendar.ledger import ledger_clock
from tasks.reports.record import MetricInput, ReportInput


class FormMetric(BaseModel):
    """A figure: name, a number (the form refuses anything else), unit of count."""

    name: str = Field(min_length=1, max_length=METRIC_NAME_MAX, description="What was counted: 宣传信发放.")
    value: Annotated[Decimal, WithJsonSchema({"type": "number", "title": "Value"})] = Field(
        description="A number: 40000, 3.5."
    )
    unit: str = Field("", max_length=METRIC_UNIT_MAX, description="份, 次, 处, 万元…")


class UnitReportForm(RunInput):
    """A unit's progress report for the run's measure and period (进展情况)."""

    text: str = Field(
        max_length=REPORT_TEXT_MAX, description="What was done in the period: the text the notice will quote."
    )
    claimed_status: ReportStatus = Field(
        ReportStatus.IN_PROGRESS, description="in_progress, or done (the measure then awaits 销号)."
    )
    unit: str | None = Field(None, description="Reporting unit's code (default: the measure's lead unit).")
    author: str = Field("", max_length=AUTHOR_MAX, description="Who writes the report.")
    metrics: list[FormMetric] = Field(
        default_factory=list, description="Figures: name, value (a number), unit (份, 次, 处, 万元…)."
    )


@task(name="submit-report", retries=0)
def submit_report_task(data: ReportInput, *, actor: str) -> dict[str, Any]:
    """Submit the entered report now (``flows.intake.submit_report``) on the configured database."""
    settings = get_settings()
    return submit_report(
        get_database(settings), data, actor=actor, clock=ledger_clock(get_database(settings), settings)
    )


def pause_key(attempt: int) -> str:
    """The pause key of an attempt: lowercase letters, digits and dashes only."""
    return f"report-{attempt}"


@flow(name="report_input")
def report_input(
    measure: str,
    period_start: date,
    period_end: date,
    timeout_seconds: int = 7 * 24 * 3600,
    poll_interval: int = 10,
    attempts: int = 3,
) -> dict[str, Any]:
    """Wait for a unit's report on ``measure`` for a period, entered in the Prefect UI, and record it."""
    logger = get_run_logger()
    context = FlowRunContext.get()
    run_id = str(context.flow_run.id) if context and context.flow_run else "local"
    description = f"**{measure}** 进展报送：{period_start.isoformat()} 至 {period_end.isoformat()}"
    error: Exception | None = None
    for attempt in range(1, max(1, attempts) + 1):
        shown = description if error is None else f"{description}\n\n上次提交未通过：{error}"
        try:
            form = pause_flow_run(
                wait_for_input=UnitReportForm.with_initial_data(description=shown),
                timeout=timeout_seconds,
                poll_interval=poll_interval,
                key=pause_key(attempt),
            )
            data = ReportInput(
                measure=measure,
                unit=form.unit or None,
                text=form.text,
                claimed_status=form.claimed_status,
                period_start=period_start,
                period_end=period_end,
                author=form.author,
                metrics=[MetricInput(name=m.name, value=m.value, unit=m.unit) for m in form.metrics],
                idempotency_key=f"ui:{run_id}",
                source="ui",
            )
            return submit_report_task(data, actor=f"prefect ui run {run_id}"[:100])
        except (ZhenggaiError, ValidationError) as refused:
            logger.warning("entry %s for %s refused: %s", attempt, measure, refused)
            error = refused
    assert error is not None
    raise error
