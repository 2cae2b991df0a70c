"""``generate_notice``: the progress notice of a round, written as files and published as an artifact.

Runs on demand (the ``generate-notice`` deployment, a round code as parameter) and monthly for the
rounds whose notice options say ``monthly: true`` (one schedule each, 09:00 on the 1st, local time).
Every file written is recorded as a new ``GeneratedNotice`` version and named after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.retries import retry_transient
from models.db import get_database
from models.notice import NoticeDocument, check_missing
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock
from tasks.notice.files import (
    NoticeDirectory,
    NoticeOutput,
    artifact_key,
    notice_artifact_markdown,
    record_notice_outputs,
)
from tasks.notice.load import load_notice_document
from tasks.notice.render import NoticeFormat, render_notice

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEPLOYMENT_NAME = "generate-notice"
ENTRYPOINT = "flows.notice.generate_notice"
MONTHLY_CRON = "0 9 1 * *"


@task(
    name="load-notice-document",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_transient,
)
def load_notice_task(round_code: str, as_of: date) -> NoticeDocument:
    """Read the round's notice as of the date from the ledger."""
    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        return load_notice_document(
            session, round_code, ledger_clock(get_database(settings), settings).on(as_of)
        )


@task(name="check-notice-complete", cache_policy=NO_CACHE)
def check_complete_task(document: NoticeDocument) -> None:
    """Raise ``MissingReports`` when a measure has no report as of the date (strict runs)."""
    check_missing(document)


@task(name="render-notice", cache_policy=NO_CACHE)
def render_notice_task(document: NoticeDocument, fmt: NoticeFormat) -> str | bytes:
    """Render the notice in one format (nothing is written); a PDF's fonts go to the run's log."""
    content = render_notice(document, fmt)
    if fmt == "pdf" and isinstance(content, bytes):
        from prefect import get_run_logger

        from tasks.notice.pdf import describe_pdf_fonts

        get_run_logger().info(describe_pdf_fonts(content, get_settings().fonts_dir))
    return content


# Retried for transient database failures only (a dropped connection, SQLite busy past its
# timeout): version races cannot happen, record_notice_outputs serialises them per round. A retry is
# safe: a failed attempt recorded nothing, and the files it wrote carry versions that the retry (or
# the next generation) takes again and overwrites.
@task(name="write-and-record-notice", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def write_and_record_task(
    document: NoticeDocument,
    rendered: list[tuple[NoticeFormat, str | bytes]],
    directory: str | None,
    requested_by: str,
) -> list[NoticeOutput]:
    """Write every rendered format under a versioned name and record each version, in one transaction."""
    settings = get_settings()
    target = NoticeDirectory(Path(directory) if directory else settings.notices_dir)
    with get_database(settings).unit_of_work() as session:
        outputs = record_notice_outputs(
            session,
            document,
            [(fmt, target, content) for fmt, content in rendered],
            requested_by=requested_by,
        )
        session.commit()
    return outputs


@task(name="publish-notice-artifact", cache_policy=NO_CACHE)
def publish_notice_artifact(document: NoticeDocument, outputs: list[NoticeOutput]) -> str:
    """Publish the generation (files, missing reports, the notice) as the round's Markdown artifact."""
    from prefect.artifacts import create_markdown_artifact

    artifact_id = create_markdown_artifact(
        markdown=notice_artifact_markdown(document, outputs),
        key=artifact_key(document.round_code),
        description=f"{document.round_code} 整改进展情况的通报 as of {document.as_of.isoformat()}",
    )
    return str(artifact_id)


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
    day = as_of or ledger_clock(get_database(get_settings()), get_settings()).today
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
