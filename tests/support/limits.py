"""A ledger whose messages crowd a few endpoints, and delivery passes minute by minute on a clock the test
controls: what the loopback receiver got from each endpoint in each minute (rate limits, tests and docs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from models.db import Database
from models.rate_limits import SPACING
from tests.factories import make_contact, make_measure, make_problem, make_unit
from tests.support.loopback import JsonReceiver


def crowded_ledger(
    database: Database,
    receiver: JsonReceiver,
    endpoints: dict[str, tuple[int, int | None]],
    *,
    deadline: date = date(2023, 12, 29),
) -> None:
    """Per endpoint (a receiver path): a unit leading that many measures, its contact reaching the path
    with that rate limit (None: the scheme's default)."""
    with database.unit_of_work() as session:
        problem = make_problem(session)
        for path, (measures, limit) in endpoints.items():
            unit = make_unit(session, f"unit-{path}")
            make_contact(session, f"liaison-{path}", unit=unit, urls=[receiver.url(path)], rate_limit=limit)
            for n in range(measures):
                make_measure(session, problem, code=f"{path}-{n:03d}", lead_unit=unit, deadline=deadline)
        session.commit()


def minute_by_minute(
    receiver: JsonReceiver, deliver_at: Callable[[datetime], object], start: datetime, minutes: int
) -> list[Counter[str]]:
    """One delivery pass a minute (and the limiter's margin: ``SPACING``) from ``start``, on the test's
    clock: each pass's requests per path. Passes are at least a minute apart, so a pass's count is at
    least what any endpoint got in a minute."""
    counts = []
    for minute in range(minutes):
        before = len(receiver.requests)
        deliver_at(start + minute * SPACING)
        counts.append(receiver.paths(before))
    return counts
