"""``generate_notice``: the progress notice of a round, written as files and published as an artifact.

Runs on demand (the ``generate-notice`` deployment, a round code as parameter) and monthly for the
rounds whose notice options say ``monthly: true`` (one schedule each, 09:00 on the 1st, local time).
Every file written is recorded as a new ``GeneratedNotice`` version and named after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from prefect import flow

from models.settings import get_settings
from tasks.notice.files import NoticeFormat, today_in
from tasks.notice_tasks import (
    check_complete_task,
    load_notice_task,
    publish_notice_artifact,
    render_notice_task,
    write_and_record_task,
)

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEPLOYMENT_NAME = "generate-notice"
ENTRYPOINT = "flows.notice.generate_notice"
MONTHLY_CRON = "0 9 1 * *"


@flow(name="generate_notice", log_prints=False)
def generate_notice(
    round_code: str,
    as_of: date | None = None,
    formats: list[NoticeFormat] | None = None,
    requested_by: str = "prefect",
    strict: bool = False,
    directory: str | None = None,
) -> list[dict[str, Any]]:
    """Write the round's notice as of a date (default today) in each format (default md and docx).

    Every format is rendered before any file is written, so a failing format leaves nothing behind.
    """
    day = as_of or today_in(get_settings().timezone)
    document = load_notice_task(round_code, day)
    if strict:
        check_complete_task(document)
    rendered = [(fmt, render_notice_task(document, fmt)) for fmt in formats or ["md", "docx"]]
    outputs = write_and_record_task(document, rendered, directory, requested_by)
    publish_notice_artifact(document, outputs)
    return [
        {
            "format": o.format,
            "path": str(o.path),
            "version": o.version,
            "sha256": o.sha256,
            "missing": len(o.missing),
        }
        for o in outputs
    ]


def notice_deployment(timezone: str, monthly_rounds: Sequence[str] = ()) -> RunnerDeployment:
    """The ``generate-notice`` deployment: on demand, plus a monthly schedule per round asked for."""
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    schedules = [
        Cron(
            MONTHLY_CRON,
            timezone=timezone,
            slug=f"notice-monthly-{code}",
            parameters={"round_code": code, "requested_by": "monthly schedule"},
        )
        for code in monthly_rounds
    ]
    deployment = generate_notice.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=schedules,
        tags=["zhenggai-housekeeping", "notice"],
        description="整改进展情况的通报: run with a round code; monthly for rounds with notice.monthly",
    )
    assert isinstance(deployment, RunnerDeployment)
    deployment.entrypoint = ENTRYPOINT  # a module path: works wherever zhenggai is installed
    return deployment
