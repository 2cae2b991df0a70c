"""Submitting a report with its evidence: record it, commit, publish the files, announce it.

The API, ``zhenggai report add`` and the Prefect UI input flow all submit through ``submit_report``,
which records through ``tasks.reports.record.record_report`` (the one validation path). The event
``zhenggai.report.submitted`` is best-effort: it is sent only when a Prefect API is configured
(``PREFECT_API_URL``), through Prefect's background events worker, so an unreachable server never
fails or slows a submission; the durable record is the report and its ``StatusEvent``.
"""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from models.db import Database
from models.settings import get_settings
from tasks.ledger.history import lock_measure
from tasks.reports.evidence import StagedEvidence
from tasks.reports.record import ReportInput, record_report, report_summary

logger = logging.getLogger("zhenggai.intake")

EVENT_SUBMITTED = "zhenggai.report.submitted"


def submit_report(
    database: Database,
    data: ReportInput,
    *,
    actor: str,
    now: datetime,
    today: date,
    staged: StagedEvidence | None = None,
    emit: bool = True,
) -> dict[str, Any]:
    """Record ``data`` (with the staged files) in one transaction, then publish files and emit the event.

    A refused report raises the domain error and discards the staged files. Two submissions that
    race on a unique row (the same new evidence file, the same idempotency key) are retried once,
    so the loser either records after the winner or is refused as a duplicate.
    """
    if staged is not None and staged.files:
        data = ReportInput.model_validate({**data.model_dump(), "evidence": staged.refs()})
    summary: dict[str, Any] | None = None
    try:
        for attempt in range(2):
            try:
                with database.unit_of_work() as session:
                    # Reports on one measure queue here, so each sees the status and idempotency
                    # keys the previous one committed.
                    lock_measure(session, data.measure)
                    report = record_report(session, data, actor=actor, now=now, today=today)
                    session.commit()
                    session.refresh(report)  # answer with what was stored (timestamps in UTC)
                    summary = report_summary(report)
                    summary["measure_status"] = report.measure.status.value
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


def prefect_api_configured() -> bool:
    """Whether a Prefect API URL is set; without one, ``emit_event`` would start a local server.

    Inside a flow run Prefect is loaded already and its settings answer (profile included); elsewhere
    the environment does, so that a CLI command does not import Prefect (3 s) only to learn there is none.
    """
    if "prefect" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    return bool(get_settings().prefect_api_url)


def emit_report_submitted(summary: dict[str, Any], *, actor: str) -> bool:
    """Announce an accepted report to Prefect (automations can react); never raises.

    Returns whether the event was handed to Prefect's events worker.
    """
    try:
        if not prefect_api_configured():
            logger.debug(
                "no Prefect API configured: %s for report #%s not sent", EVENT_SUBMITTED, summary["id"]
            )
            return False
        from prefect.events import emit_event

        related = [
            {
                "prefect.resource.id": f"zhenggai.measure.{summary['measure']}",
                "prefect.resource.role": "measure",
                "prefect.resource.name": summary["measure"],
            }
        ]
        if summary.get("unit"):
            related.append(
                {
                    "prefect.resource.id": f"zhenggai.unit.{summary['unit']}",
                    "prefect.resource.role": "unit",
                    "prefect.resource.name": summary["unit"],
                }
            )
        event = emit_event(
            EVENT_SUBMITTED,
            resource={
                "prefect.resource.id": f"zhenggai.report.{summary['id']}",
                "prefect.resource.name": f"{summary['measure']} report #{summary['id']}",
            },
            related=related,
            payload={
                "report_id": summary["id"],
                "measure": summary["measure"],
                "unit": summary.get("unit"),
                "claimed_status": summary["claimed_status"],
                "measure_status": summary.get("measure_status"),
                "period_start": summary.get("period_start"),
                "period_end": summary.get("period_end"),
                "evidence": len(summary.get("evidence", [])),
                "source": summary.get("source"),
                "actor": actor,
            },
        )
        return event is not None
    except Exception:
        logger.warning("could not emit %s for report #%s", EVENT_SUBMITTED, summary.get("id"), exc_info=True)
        return False
