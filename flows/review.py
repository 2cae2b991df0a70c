"""After a review: keep the measure's ``check_measure`` deployment in step with its status.

Closing (销号) pauses the deployment and reopening resumes it, through the scheduling sync
(``flows.sync.sync_bulk``, limited to the measure's round). The review is already committed when
this runs: a sync that cannot reach Prefect is reported, never undoes or fails the review.
"""

from __future__ import annotations

import logging

from models.db import Database
from models.settings import Settings

logger = logging.getLogger("zhenggai.review")


def sync_after_review(database: Database, settings: Settings, measure_code: str) -> str:
    """Run the deployment sync for the measure's round; returns what happened, in one line."""
    from tasks.reports.intake import prefect_api_configured, prefect_api_problem
    from tasks.reports.review import measure_round_code

    if not prefect_api_configured():
        return "deployment not synced: no Prefect API configured; run zhenggai sync where one is"
    problem = prefect_api_problem()
    if problem is not None:
        return f"deployment not synced: {problem}; run zhenggai sync"
    try:
        from flows.sync import sync_bulk

        with database.unit_of_work() as session:
            round_code = measure_round_code(session, measure_code)
        # The installation's work pool (ZHENGGAI_WORK_POOL); unset, each deployment keeps its pool.
        result = sync_bulk(database, settings, round_code=round_code)
    except Exception as error:
        logger.debug("deployment sync after reviewing %s failed", measure_code, exc_info=True)
        return f"deployment not synced: {type(error).__name__}: {error}; run zhenggai sync"
    warnings = "".join(f"; {line}" for line in result.warnings())
    return f"deployments of round {round_code}: {result.summary()}{warnings}"
