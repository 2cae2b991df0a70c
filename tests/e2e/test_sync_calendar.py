"""An arrangement imported from the State Council's notice reaches Prefect: the next sync re-registers the
working-day schedules with its holidays (EXDATE) and 调休 working days (RDATE), the horizon extended to the
end of the imported year; the server (asked to schedule a window) makes no run on an official holiday and
one on each 调休 working day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.settings import Settings
from tasks.calendar.ledger import ledger_clock
from tests.e2e.test_calendar_cli import NOTICE_2027
from tests.e2e.test_sync import _scheduled_runs, held, run

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

# Registered as on 30 November 2026: chinesecalendar 1.11.0 ends with 2026.
NOW = datetime(2026, 11, 30, 1, tzinfo=UTC)
HOLIDAYS_2027 = [date(2027, 1, 1)] + [date(2027, 2, 5) + timedelta(days=n) for n in range(9)]
MAKEUP_2027 = [date(2027, 1, 31), date(2027, 2, 20)]


def _runs(code: str, start: date, end: date) -> list[date]:
    runs = run(_scheduled_runs(held()[code].id, start, end))
    assert {r.time() for r in runs} <= {time(9, 0)}
    return [r.date() for r in runs]


@pytest.mark.usefixtures("clean_server")
def test_an_imported_notice_changes_the_registered_schedules(
    seeded_database: Database, settings: Settings, cli: Any, tmp_path: Path
) -> None:
    from flows.sync import sync_bulk

    sync_bulk(seeded_database, settings, clock=ledger_clock(seeded_database, settings, NOW))
    daily = "XH-05-7"  # 每个工作日 09:00
    before = _runs(daily, date(2027, 1, 1), date(2027, 2, 28))
    # provisional, before the notice: the holidays fixed by law (元旦, 春节 from 除夕), no 调休 day
    assert (
        date(2027, 1, 1) not in before and date(2027, 2, 5) not in before and date(2027, 2, 8) not in before
    )
    assert date(2027, 2, 11) in before  # 初六: off by the notice's 调休 only
    assert not set(MAKEUP_2027) & set(before)

    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    imported = cli("calendar", "import", notice)
    assert imported.exit_code == 0, imported.output
    assert "zhenggai sync" in imported.output

    result = sync_bulk(seeded_database, settings, clock=ledger_clock(seeded_database, settings, NOW))
    assert daily in result.updated and "XH-04-1" in result.updated  # 每月第一个工作日 09:00
    (schedule,) = held()[daily].schedules
    assert "20270101T090000" in schedule.schedule.rrule.split("EXDATE:")[1]
    assert "20270220T090000" in schedule.schedule.rrule.split("RDATE:")[1].split("\n")[0]

    # the harness runs no scheduler: the runs already made stay; ask for a fresh window of runs
    run(_clear_runs(held()[daily].id))
    after = _runs(daily, date(2027, 1, 1), date(2027, 2, 28))
    assert not set(HOLIDAYS_2027) & set(after)
    assert set(MAKEUP_2027) <= set(after)
    assert len(after) == len(set(after))
    # every working day of the window, as the imported calendar says, and nothing else
    calendar = ledger_clock(seeded_database, settings, NOW).calendar
    expected = [
        date(2027, 1, 1) + timedelta(days=n)
        for n in range(59)
        if calendar.is_workday(date(2027, 1, 1) + timedelta(days=n))
    ]
    assert after == expected
    first_of_month = _runs("XH-04-1", date(2027, 1, 1), date(2027, 3, 31))
    assert first_of_month == [date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)]
    # a sync with nothing new writes nothing
    again = sync_bulk(seeded_database, settings, clock=ledger_clock(seeded_database, settings, NOW))
    assert again.summary() == "0 created, 0 updated, 0 paused, 0 removed"


async def _clear_runs(deployment_id: Any) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        while runs := await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])), limit=200
        ):
            for flow_run in runs:
                await client.delete_flow_run(flow_run.id)


@pytest.mark.usefixtures("clean_server")
def test_one_measure_whose_dates_cannot_be_computed_never_stops_the_sync_of_the_others(
    seeded_database: Database, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from models.tables import Measure

    monkeypatch.setenv("ZHENGGAI_CALENDAR_FALLBACK", "error")
    with seeded_database.unit_of_work() as session:
        session.scalars(select(Measure).where(Measure.code == "XH-03-3")).one().deadline = date(2028, 3, 1)
        session.commit()
    result = cli("sync")
    assert result.exit_code == 0, result.output
    assert "27 created" in result.output
    assert "XH-03-3: skipped, its dates cannot be computed" in result.output
    assert "2028" in result.output
    assert "XH-03-3" not in held() and len(held()) == 27


def _calendar_events() -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter

    with get_client(sync_client=True) as client:
        found = client.read_events(
            filter=EventFilter(event=EventNameFilter(name=["zhenggai.calendar.missing"])), limit=50
        )
        return list(found.events)


def test_the_housekeeping_raises_an_event_when_next_year_is_missing(seeded_database: Database) -> None:
    from flows.sync import warn_missing_calendar
    from tests.e2e.test_api_prefect import wait_for

    assert warn_missing_calendar(now=datetime(2026, 10, 20, 1, tzinfo=UTC)) is None
    outcome = warn_missing_calendar(now=datetime(2026, 11, 2, 1, tzinfo=UTC))
    assert outcome == {"year": 2027, "week": "2026-W45", "messages_recorded": 2}
    events = wait_for(_calendar_events)
    assert events[0].resource.id == "zhenggai.calendar.2027"
    assert events[0].payload["command"] == "zhenggai calendar import 2027.txt"
