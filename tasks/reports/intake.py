"""Report intake: a submission with its evidence, what it answers, and its announcement to Prefect.

The API, ``zhenggai report add`` and the Prefect UI input flow all submit through
``flows.intake.submit_report`` (record with ``tasks.reports.record.record_report``, commit, publish the
files, announce). The event ``zhenggai.report.submitted`` is best-effort: it is sent only when a Prefect
API is configured (``PREFECT_API_URL``), through Prefect's background events worker, so an unreachable
server never fails or slows a submission; the durable record is the report and its ``StatusEvent``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from models.settings import get_settings
from models.tables import Report
from tasks.reports.evidence import StagedEvidence
from tasks.reports.record import ReportInput, report_summary

logger = logging.getLogger("zhenggai.intake")

EVENT_SUBMITTED = "zhenggai.report.submitted"


def with_evidence(data: ReportInput, staged: StagedEvidence | None) -> ReportInput:
    """``data`` with the staged evidence files attached (as ``EvidenceRef`` entries)."""
    if staged is None or not staged.files:
        return data
    return ReportInput.model_validate({**data.model_dump(), "evidence": staged.refs()})


def submission_summary(report: Report) -> dict[str, Any]:
    """What a submission answers: the stored report (``report_summary``) and the measure's status now."""
    summary = report_summary(report)
    summary["measure_status"] = report.measure.status.value
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


def configured_prefect_api_url() -> str | None:
    """The Prefect API URL this process talks to (the setting, or Prefect's own once it is loaded)."""
    if "prefect" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    return get_settings().prefect_api_url or None


_answered: dict[str, float] = {}  # URL → when its health check last answered (monotonic seconds)


def prefect_api_problem(timeout: float = 3.0) -> str | None:
    """One line naming the configured Prefect API when it does not answer its health check; None when it
    answers (checked at most every 30 s) or when none is configured (a local server is used then).

    One request, no retries: a command that needs Prefect says so at once instead of retrying for minutes.
    """
    import re
    import time

    url = configured_prefect_api_url()
    if not url:
        return None
    now = time.monotonic()
    if now - _answered.get(url, -1e9) < 30:
        return None
    import httpx

    shown = re.sub(r"://[^/@]*@", "://***@", url)
    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"the Prefect API at {shown} does not answer ({reason}): is it running? check PREFECT_API_URL"
    _answered[url] = now
    return None


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
        problem = prefect_api_problem()
        if problem is not None:
            logger.warning("%s for report #%s not sent: %s", EVENT_SUBMITTED, summary["id"], problem)
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
