"""Report intake as Prefect tasks (kept apart so the CLI and the API never import Prefect for it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import task

from models.db import get_database
from tasks.reports.intake import submit_report
from tasks.reports.record import ReportInput


@task(name="submit-report", retries=0)
def submit_report_task(data: ReportInput, *, actor: str, now: datetime, today: date) -> dict[str, Any]:
    """``submit_report`` as a Prefect task (the UI input flow), on the configured database."""
    return submit_report(get_database(), data, actor=actor, now=now, today=today)
