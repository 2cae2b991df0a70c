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
    NoticeFormat,
    NoticeOutput,
    artifact_key,
    check_missing,
    default_notice_path,
    load_notice_document,
    notice_artifact_markdown,
    record_generated_notice,
    render_notice,
    write_notice_file,
)


@task(name="load-notice-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load_notice_task(round_code: str, as_of: date) -> NoticeDocument:
    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        return load_notice_document(session, round_code, as_of, timezone=settings.timezone)


@task(name="check-notice-complete", cache_policy=NO_CACHE)
def check_complete_task(document: NoticeDocument) -> None:
    check_missing(document)


@task(name="render-notice", cache_policy=NO_CACHE)
def render_notice_task(document: NoticeDocument, fmt: NoticeFormat) -> str | bytes:
    return render_notice(document, fmt)


@task(name="write-notice-file", cache_policy=NO_CACHE)
def write_notice_task(
    content: str | bytes, round_code: str, as_of: date, fmt: str, directory: str | None
) -> tuple[Path, str]:
    base = Path(directory) if directory else get_settings().notices_dir
    path = default_notice_path(base, round_code, as_of, fmt)
    return path, write_notice_file(path, content)


@task(name="record-generated-notice", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def record_notice_task(
    document: NoticeDocument, fmt: str, path: Path, sha256: str, requested_by: str
) -> NoticeOutput:
    round_code, as_of = document.round_code, document.as_of
    missing = tuple(str(m) for m in document.missing)
    with get_database(get_settings()).unit_of_work() as session:
        record = record_generated_notice(
            session,
            round_code,
            as_of=as_of,
            fmt=fmt,
            sha256=sha256,
            path=path,
            requested_by=requested_by,
            missing_reports=len(missing),
        )
        version = record.version
        session.commit()
    return NoticeOutput(round_code, as_of, fmt, path, sha256, version, missing)


@task(name="publish-notice-artifact", cache_policy=NO_CACHE)
def publish_notice_artifact(document: NoticeDocument, outputs: list[NoticeOutput]) -> str:
    from prefect.artifacts import create_markdown_artifact

    artifact_id = create_markdown_artifact(
        markdown=notice_artifact_markdown(document, outputs),
        key=artifact_key(document.round_code),
        description=f"{document.round_code} 整改进展情况的通报 as of {document.as_of.isoformat()}",
    )
    return str(artifact_id)
