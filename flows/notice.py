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
from prefect.input import RunInput
from pydantic import Field

from flows.retries import retry_transient
from models.db import get_database
from models.enums import DraftDecision
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


# -- the editorial path: a draft that waits for the leader's sign-off --------------------------------

DRAFT_DEPLOYMENT_NAME = "draft-notice"
DRAFT_ENTRYPOINT = "flows.notice.draft_notice"


class NoticeSignOff(RunInput):
    """The leader's decision on the draft (审核签发): approve, or return it with a note."""

    decision: DraftDecision = Field(description="approve, or return (with a note saying what to change).")
    by: str = Field(description="The deciding leader's contact code (bureau-head).")
    note: str = Field("", description="A note kept with the decision (required to return).")
    allow_missing: bool = Field(
        False, description="Approve although paragraphs still carry 【待报送】 markers."
    )
    recorded: bool = Field(
        False, description="Set by the CLI and the desk: the decision is already in the ledger."
    )


def sign_off_key(draft_id: int) -> str:
    """The pause key of a draft's sign-off: lowercase letters, digits and dashes only."""
    return f"sign-off-draft-{draft_id}"


@task(name="make-notice-draft", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def make_draft_task(round_code: str, as_of: date, requested_by: str, flow_run_id: str) -> dict[str, Any]:
    """Make the round's draft for this run, or find the one it made before it was suspended."""
    from tasks.notice.drafts import create_draft, draft_for_run, missing_labels

    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        made = draft_for_run(session, flow_run_id)
        if made is None:
            made = create_draft(
                session,
                round_code,
                ledger_clock(get_database(settings), settings).on(as_of),
                actor=requested_by,
                flow_run_id=flow_run_id,
            )
            session.commit()
        return {"draft": made.id, "status": made.status.value, "missing": missing_labels(made)}


@task(name="record-sign-off", cache_policy=NO_CACHE)
def record_sign_off_task(draft_id: int, sign_off: NoticeSignOff) -> dict[str, Any]:
    """Record the decision entered in the Prefect UI; a decision the CLI or the desk recorded first stands."""
    # The form's ``by`` is checked as the CLI's ``--by`` (check_decider): an unknown contact is not recorded.
    from models.errors import DraftLocked, UnknownContact
    from tasks.notice.drafts import check_decider, decide, get_draft

    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        draft = get_draft(session, draft_id)
        outcome = "recorded by the CLI or the desk"
        if not sign_off.recorded:
            try:
                check_decider(session, draft, sign_off.by)
                decide(
                    session,
                    draft,
                    sign_off.decision,
                    actor=sign_off.by,
                    now=settings.clock().now,
                    note=sign_off.note,
                    allow_missing=sign_off.allow_missing,
                    source="prefect",
                )
                session.commit()
                outcome = "recorded"
            except (DraftLocked, UnknownContact) as error:
                # The draft keeps waiting for a decision: the CLI or the desk can still take it.
                outcome = f"not recorded: {error}"
        draft = get_draft(session, draft_id)
        return {
            "draft": draft_id,
            "status": draft.status.value,
            "decision": sign_off.decision.value,
            "outcome": outcome,
        }


@flow(name="draft_notice")
def draft_notice(round_code: str, as_of: date | None = None, requested_by: str = "prefect") -> dict[str, Any]:
    """Draft the round's notice and wait (suspended) for the leader's decision, for ZHENGGAI_APPROVAL_DAYS."""
    from prefect.context import FlowRunContext
    from prefect.flow_runs import suspend_flow_run

    settings = get_settings()
    context = FlowRunContext.get()
    run_id = str(context.flow_run.id) if context is not None and context.flow_run is not None else "local"
    day = as_of or settings.clock().today
    made = make_draft_task(round_code, day, requested_by, run_id)
    # Resumed, the run starts again here: the task finds its draft and the fired pause returns the input.
    sign_off = suspend_flow_run(
        wait_for_input=NoticeSignOff,
        timeout=int(settings.approval_days * 24 * 3600),
        key=sign_off_key(made["draft"]),
    )
    return record_sign_off_task(made["draft"], sign_off)


def resume_sign_off(flow_run_id: str, decision: DraftDecision, by: str, note: str) -> str | None:
    """Resume the draft_notice run waiting for this decision (recorded already); a message when it cannot."""
    from uuid import UUID

    from prefect.flow_runs import resume_flow_run

    payload = {"decision": decision.value, "by": by, "note": note, "recorded": True}
    try:
        resume_flow_run(UUID(flow_run_id), run_input=payload)
    except Exception as error:  # the run ended, timed out, or no Prefect API: the ledger has the decision
        return f"the draft_notice run {flow_run_id} was not resumed: {error}"
    return None


def draft_deployment() -> RunnerDeployment:
    """The ``draft-notice`` deployment (suspend needs one: the resumed run starts again from the top)."""
    from prefect.deployments.runner import RunnerDeployment

    deployment = draft_notice.to_deployment(
        name=DRAFT_DEPLOYMENT_NAME,
        tags=["zhenggai-housekeeping", "notice"],
        description="通报草稿: draft a round's notice and wait for the leader's sign-off (审核签发)",
    )
    assert isinstance(deployment, RunnerDeployment)
    deployment.entrypoint = DRAFT_ENTRYPOINT
    return deployment
