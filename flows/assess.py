"""The ``assess_units`` flow: on the first working day of each week, close the previous week (and the
previous month once it has ended), publish the ranking, and tell the leaders and each unit.

The tasks it runs are defined here, each wrapping plain functions of ``tasks.assessment``. Closing is
idempotent (a closed period keeps its stored result) and every message has its key, so a repeated or
retried run records nothing twice; delivery goes through the outbox like every other message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.notify import deliver_due_messages
from flows.retries import retry_transient
from models.assessment import PeriodKind, last_closed, parse_period
from models.db import get_database
from models.notifications import Policy
from models.settings import get_settings
from tasks.calendar.ledger import ledger_clock


@task(
    name="assessment-rounds",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def rounds_to_assess(round_code: str | None = None) -> list[str]:
    """The codes of the rounds to assess: the one named, or every round of the ledger."""
    from sqlalchemy import select

    from models.tables import Round
    from tasks.assessment.gather import find_round

    with get_database(get_settings()).unit_of_work() as session:
        if round_code is not None:
            return [find_round(session, round_code).code]
        return list(session.scalars(select(Round.code).order_by(Round.code)))


@task(
    name="close-assessment-period",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def close_assessment_period(round_code: str, period: str, now: datetime) -> dict[str, Any]:
    """Store a period's result (nothing changes when it is stored already)."""
    from tasks.assessment.results import close_period

    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        result, created = close_period(
            session,
            round_code,
            parse_period(period),
            ledger_clock(get_database(settings), settings, now),
            actor="assess_units",
        )
        session.commit()
    assert result.stored is not None
    return {"period": period, "created": created, "revision": result.stored.revision}


@task(
    name="publish-ranking",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def publish_ranking(round_code: str, period: str, now: datetime) -> str:
    """Publish the stored ranking as a table artifact in Prefect; return the artifact's key."""
    from prefect.artifacts import create_table_artifact

    from models.assessment_notice import ranking_row
    from tasks.assessment.results import period_result
    from tasks.assessment.text import heading

    settings = get_settings()
    with get_database(settings).unit_of_work() as session:
        ranking = period_result(
            session, round_code, parse_period(period), ledger_clock(get_database(settings), settings, now)
        ).ranking
    headers = ("名次", "单位", "总分", "基础分", "加减分", "较上期", "考评事项", "榜单")
    key = f"assessment-{round_code}-{period}".lower().replace("_", "-").replace(".", "-")
    create_table_artifact(
        key=key,
        table=[dict(zip(headers, ranking_row(score), strict=True)) for score in ranking.ranked],
        description=f"考评排名 · {heading(ranking)}" + "".join(f"\n\n{note}" for note in ranking.notes),
    )
    return key


@task(
    name="record-assessment-messages",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
)
def record_period_messages(round_code: str, period: str, now: datetime) -> dict[str, Any]:
    """Record the ranking for the leaders and each unit's own score in the delivery log (once per key)."""
    from tasks.assessment.messages import record_assessment_messages
    from tasks.assessment.results import period_result

    settings = get_settings()
    clock = ledger_clock(get_database(settings), settings, now)
    with get_database(settings).unit_of_work() as session:
        ranking = period_result(session, round_code, parse_period(period), clock).ranking
        result = record_assessment_messages(session, ranking, clock, Policy.from_settings(settings))
        session.commit()
    return result.as_dict()


def periods_to_close(now: datetime) -> list[str]:
    """The week that ended before ``now``'s local day, and the month that ended before it."""
    today = ledger_clock(get_database(get_settings()), get_settings(), now).today
    return [last_closed(today, PeriodKind.WEEK).label, last_closed(today, PeriodKind.MONTH).label]


@flow(name="assess_units", log_prints=False)
def assess_units(as_of: datetime | None = None, round_code: str | None = None) -> dict[str, Any]:
    """Close last week's (and last month's) assessment, publish the ranking, tell leaders and units."""
    now = as_of or datetime.now(UTC)
    logger = get_run_logger()
    done: dict[str, Any] = {}
    for code in rounds_to_assess(round_code):
        for period in periods_to_close(now):
            closed = close_assessment_period(code, period, now)
            # Published once, by the run that stores it; messages are keyed, so recording again is harmless.
            artifact = publish_ranking(code, period, now) if closed["created"] else None
            messages = record_period_messages(code, period, now)
            done[f"{code} {period}"] = {**closed, "artifact": artifact, "messages": messages}
            logger.info("assess %s %s: %s", code, period, done[f"{code} {period}"])
    delivered = deliver_due_messages(now)
    return {"periods": done, "delivered": delivered}
