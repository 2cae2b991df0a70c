"""Submitting a progress report: the one recipe the API, ``zhenggai report add`` and the UI input flow share.

Record it (``tasks.reports.record.record_report``, the one validation path) in a unit of work queued
behind any other change to the measure, commit, publish the staged evidence files, announce it to Prefect.
Plain Python (no Prefect import): the CLI and the API call it directly.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.clock import Clock
    from models.db import Database
    from tasks.reports.evidence import StagedEvidence
    from tasks.reports.record import ReportInput

logger = logging.getLogger("zhenggai.intake")


def submit_report(
    database: Database,
    data: ReportInput,
    *,
    actor: str,
    clock: Clock,
    staged: StagedEvidence | None = None,
    emit: bool = True,
) -> dict[str, Any]:
    """Record ``data`` (with the staged files) as of the clock's now in one transaction, then publish the
    files and emit ``zhenggai.report.submitted``; answer with what was stored.

    A refused report raises the domain error and discards the staged files. Two submissions that
    race on a unique row (the same new evidence file, the same idempotency key) are retried once,
    so the loser either records after the winner or is refused as a duplicate.
    """
    from sqlalchemy.exc import IntegrityError

    from tasks.ledger.history import lock_measure
    from tasks.reports.intake import emit_report_submitted, submission_summary, with_evidence
    from tasks.reports.record import record_report

    data = with_evidence(data, staged)
    summary: dict[str, Any] | None = None
    try:
        for attempt in range(2):
            try:
                with database.unit_of_work() as session:
                    # Reports on one measure queue here, so each sees the status and idempotency
                    # keys the previous one committed.
                    lock_measure(session, data.measure)
                    report = record_report(session, data, actor=actor, clock=clock)
                    session.commit()
                    session.refresh(report)  # answer with what was stored (timestamps in UTC)
                    summary = submission_summary(report)
                break
            except IntegrityError:
                if attempt:
                    raise
                logger.info("report on %s raced another submission; retrying once", data.measure)
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    assert summary is not None
    if staged is not None:
        staged.publish()
    if emit:
        emit_report_submitted(summary, actor=actor)
    return summary
