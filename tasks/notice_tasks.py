"""Prefect tasks of the generate_notice flow: each wraps one plain step of ``tasks.notice``.

Kept apart from ``tasks.notice`` so that the CLI can generate a notice without importing Prefect.
Tests call the plain functions, or these through ``.fn()``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.db import get_database
from models.notice import NoticeDocument
from models.settings import get_settings
from tasks.notice import (
    NoticeDirectory,
    NoticeFormat,
    NoticeOutput,
    artifact_key,
    check_missing,
    load_notice_document,
    notice_artifact_markdown,
    record_notice_outputs,
    render_notice,
)


@task(name="load-notice-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load_notice_task(round_code: str, as_of: date) -> NoticeDocument:
    """Read the round's notice as of the date from the ledger."""
    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        return load_notice_document(session, round_code, as_of, timezone=settings.timezone)


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

        from tasks.notice_pdf import describe_pdf_fonts

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
