"""``check_measure``: one state change, one event and one artifact for an overdue measure, and nothing
new the second time; the late-run policy of ``observe_measure`` and what a run calls for."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import EventKind
from models.errors import MeasureNotInLedger
from models.rules import MeasureState
from models.tables import Delivery, Measure, StatusEvent
from models.workdays import ChinaCalendar
from tasks.schedule.check import observe_measure
from tests.factories import make_measure, make_report

SHANGHAI = "Asia/Shanghai"
CHINA = ChinaCalendar()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(SHANGHAI))


def at(text: str) -> Clock:
    return Clock(CHINA, SHANGHAI, local(text))


def events_of(database: Database, code: str, kind: str) -> list[StatusEvent]:
    with database.unit_of_work() as session:
        found = list(
            session.scalars(
                select(StatusEvent)
                .join(Measure, StatusEvent.measure_id == Measure.id)
                .where(Measure.code == code, StatusEvent.kind == kind)
                .order_by(StatusEvent.id)
            )
        )
        session.expunge_all()  # keep the loaded values readable after the unit of work ends
        return found


async def _prefect_records(code: str, since: datetime) -> tuple[list[Any], list[Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        response = await client.request(
            "POST",
            "/events/filter",
            json={
                "filter": {
                    "occurred": {
                        "since": since.isoformat(),
                        "until": (since + timedelta(hours=1)).isoformat(),
                    },
                    "event": {"prefix": ["zhenggai.measure."]},
                    "resource": {"id": [f"zhenggai.measure.{code}"]},
                },
                "limit": 50,
            },
        )
        response.raise_for_status()
        events = response.json()["events"]
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"measure-{code.lower()}"]))
        )
    return events, [a for a in artifacts if a.created and a.created >= since]


def prefect_records(
    code: str, since: datetime, *, at_least: int = 1, wait: float = 30.0
) -> tuple[list[Any], list[Any]]:
    """Events are persisted by a server service in batches: wait for them to show."""
    deadline = time.monotonic() + wait
    while True:
        events, artifacts = asyncio.run(_prefect_records(code, since))
        if len(events) >= at_least or time.monotonic() > deadline:
            return events, artifacts
        time.sleep(0.25)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_an_overdue_measure_records_one_change_one_event_one_artifact(seeded_database: Database) -> None:
    from flows.check_measure import check_measure

    # a second of slack, no more: the other backend's run of this test emitted the same measure's event
    # at least the sleep below (3 s) before this one began, on the same session-wide harness
    since = datetime.now(UTC) - timedelta(seconds=1)
    first = check_measure(measure="XH-07-1")
    assert first["state"] == "overdue" and first["changed"] and first["light"] == "red"
    second = check_measure(measure="XH-07-1")
    assert second["state"] == "overdue" and not second["changed"]

    (change,) = events_of(seeded_database, "XH-07-1", EventKind.STATE)
    assert (change.from_value, change.to_value, change.actor) == (None, "overdue", "check_measure")
    assert change.flow_run_id and change.dedupe_key and change.dedupe_key.startswith("state|XH-07-1|")
    assert "逾期" in change.reason

    events, artifacts = prefect_records("XH-07-1", since)
    time.sleep(3)  # past the harness server's event flush interval (1 s): a second event would show by now
    events, artifacts = prefect_records("XH-07-1", since)
    assert [e["event"] for e in events] == ["zhenggai.measure.overdue"]
    related = {r["prefect.resource.role"]: r["prefect.resource.id"] for r in events[0]["related"]}
    assert related["round"] == "zhenggai.round.xinhua-2023-xc2"
    assert related["owner"].startswith("zhenggai.unit.")
    assert len(artifacts) == 1
    markdown = artifacts[0].data
    assert "XH-07-1" in markdown and "红灯" in markdown and "逾期" in markdown and "最新进展" in markdown
    assert "2023年12月31日" in markdown
    with seeded_database.unit_of_work() as work:  # a manual check hands nothing over: nobody is reminded
        told = work.scalars(select(Delivery.id).join(Measure).where(Measure.code == "XH-07-1")).all()
    assert told == []


def test_two_runs_for_one_scheduled_time_record_one_event(session: Any, database: Database) -> None:
    measure = make_measure(session, code="M-ONCE", deadline=date(2023, 11, 30), deadline_spec="2023-11-30")
    session.commit()
    scheduled = local("2023-12-04 09:00")
    for _ in range(2):
        with database.unit_of_work() as work:
            check = observe_measure(
                work,
                "M-ONCE",
                scheduled_at=scheduled,
                clock=Clock(CHINA, SHANGHAI, scheduled),
                trigger="deadline",
                flow_run_id="run-1",
            )
            work.commit()
    assert check.state == MeasureState.OVERDUE and check.measure.workdays_left == -2
    assert len(events_of(database, measure.code, EventKind.STATE)) == 1
    assert check.due == ("overdue",)


def test_state_changes_are_recorded_as_they_happen(session: Any, database: Database) -> None:
    make_measure(session, code="M-MOVE", deadline=date(2023, 12, 29), deadline_spec="2023-12-29")
    session.commit()
    seen = []
    for moment in (
        "2023-11-01 09:00",
        "2023-11-02 09:00",
        "2023-12-22 09:00",
        "2023-12-29 09:00",
        "2024-01-02 09:00",
    ):
        with database.unit_of_work() as work:
            check = observe_measure(
                work,
                "M-MOVE",
                scheduled_at=local(moment),
                clock=Clock(CHINA, SHANGHAI, local(moment)),
            )
            work.commit()
        seen.append((check.state.value, check.changed))
    assert seen == [
        ("on_track", True),
        ("on_track", False),
        ("due_soon", True),
        ("due_today", True),
        ("overdue", True),
    ]
    states = [e.to_value for e in events_of(database, "M-MOVE", EventKind.STATE)]
    assert states == ["on_track", "due_soon", "due_today", "overdue"]


def test_a_stale_run_judges_as_of_now_and_calls_for_no_reminders(session: Any, database: Database) -> None:
    make_measure(session, code="M-LATE", deadline=date(2023, 12, 29), deadline_spec="2023-12-29")
    session.commit()
    now = local("2024-01-03 10:00")
    with database.unit_of_work() as work:
        # scheduled for 2023-12-27 (due soon then), run a week late after an outage
        check = observe_measure(
            work,
            "M-LATE",
            scheduled_at=local("2023-12-27 09:00"),
            clock=Clock(CHINA, SHANGHAI, now),
            trigger="deadline",
        )
        assert check.stale and check.as_of == now and check.state == MeasureState.OVERDUE
        assert check.due == ()
    with database.unit_of_work() as work:
        # today's run, an hour late, is today's business: it reminds
        today = observe_measure(
            work,
            "M-LATE",
            scheduled_at=local("2024-01-03 09:00"),
            clock=Clock(CHINA, SHANGHAI, now),
            trigger="deadline",
        )
        assert not today.stale and today.due == ("overdue",)


def test_a_cadence_run_calls_for_the_missing_report(session: Any, database: Database) -> None:
    measure = make_measure(session, code="M-WEEK", deadline=None, cadence="每周一 09:00")
    make_report(session, measure, submitted_at=local("2023-10-25 10:00"))
    session.commit()
    with database.unit_of_work() as work:
        reported = observe_measure(
            work,
            "M-WEEK",
            scheduled_at=local("2023-10-30 09:00"),
            clock=Clock(CHINA, SHANGHAI, local("2023-10-30 09:00")),
            trigger="cadence",
        )
        assert reported.state == MeasureState.ON_TRACK and reported.due == ()
        silent = observe_measure(
            work,
            "M-WEEK",
            scheduled_at=local("2023-11-06 09:00"),
            clock=Clock(CHINA, SHANGHAI, local("2023-11-06 09:00")),
            trigger="cadence",
        )
        assert silent.state == MeasureState.MISSING_REPORT and silent.measure.report_missing
        assert silent.due == ("missing_report",) and silent.measure.light == "yellow"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_measure_check_from_the_cli(seeded_database: Database, cli: Any) -> None:
    result = cli("measure", "check", "XH-08-1")
    assert result.exit_code == 0, result.output
    assert "XH-08-1: overdue (red), state recorded" in result.output
    again = cli("measure", "check", "XH-08-1")
    assert "no change" in again.output


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_an_unknown_measure_or_an_unpublished_calendar_is_not_retried(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Business conditions fail the run at once: the task's retries are for transient failures."""
    import flows.check_measure as module
    from models.errors import CalendarNotPublished, UnknownMeasure

    calls: list[str] = []

    def failing(error: Exception) -> Any:
        def observe(*args: Any, **kwargs: Any) -> Any:
            calls.append(type(error).__name__)
            raise error

        return observe

    for error in (UnknownMeasure("no measure 'NOPE'"), CalendarNotPublished("2027 is not published")):
        calls.clear()
        monkeypatch.setattr(module, "observe_measure", failing(error))
        with pytest.raises(type(error)):
            module.check_measure(measure="NOPE")
        assert calls == [type(error).__name__]  # before: three attempts (retries=2)
    calls.clear()
    monkeypatch.setattr(module, "observe_measure", failing(OSError("connection reset")))
    monkeypatch.setattr(module.observe, "retry_delay_seconds", 0)
    with pytest.raises(OSError):
        module.check_measure(measure="NOPE")
    assert calls == ["OSError"] * 3


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_worker_run_with_no_ledger_in_its_environment_fails_saying_where_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process worker starts each run in a fresh temporary directory: without ZHENGGAI_DATABASE_URL or
    ZHENGGAI_DATA_DIR the run used to open (and make) an empty ledger there and judge nothing, silently."""
    from flows.check_measure import check_measure
    from models.db import forget_databases
    from models.settings import get_settings

    run_dir = (tmp_path / "worker-run").resolve()
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    monkeypatch.delenv("ZHENGGAI_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZHENGGAI_DATA_DIR", raising=False)
    get_settings.cache_clear()
    try:
        state = check_measure(measure="XH-07-1", trigger="deadline", return_state=True)
    finally:
        get_settings.cache_clear()
        forget_databases()

    assert state.is_failed()  # what the failed-run alert (flows/run_failed.py) tells the office
    with pytest.raises(MeasureNotInLedger) as raised:
        state.result()
    message = str(raised.value)
    assert f"there is no ledger at {run_dir / '.zhenggai' / 'zhenggai.db'}" in message
    assert "neither ZHENGGAI_DATABASE_URL nor ZHENGGAI_DATA_DIR is set" in message
    assert "MeasureNotInLedger" in (state.message or "")
    assert list(run_dir.iterdir()) == []  # no empty ledger left behind


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_for_a_measure_the_ledger_does_not_hold_fails_naming_the_database(
    seeded_database: Database,
) -> None:
    """A deployment lingering after its measure left the plan (until the next sync removes it)."""
    from flows.check_measure import check_measure
    from models.db import mask_database_url

    state = check_measure(measure="XH-99-9", trigger="cadence", return_state=True)

    assert state.is_failed()
    with pytest.raises(MeasureNotInLedger) as raised:
        state.result()
    message = str(raised.value)
    url = seeded_database.given_url
    shown = url.split("///", 1)[-1] if url.startswith("sqlite") else mask_database_url(url)
    assert f"no measure 'XH-99-9' to check: the ledger does not hold it at {shown}" in message
    assert "ZHENGGAI_DATABASE_URL (else ZHENGGAI_DATA_DIR) in this run's environment" in message


def test_a_check_imports_no_document_web_or_delivery_library() -> None:
    """Every due check is a process of its own (the 09:00 burst): its import carries only what it runs.

    Jinja2 (message templates), python-docx and LibreOffice's helpers (督办单), Apprise (delivery), the web
    app and the spreadsheet readers are imported where used, not by ``flows.check_measure``."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    heavy = ("jinja2", "docx", "apprise", "fastapi", "uvicorn", "openpyxl", "pandas", "alembic", "holidays")
    heavy += ("tasks.notice.pdf", "tasks.notice.docx", "flows.web", "flows.cli")
    code = f"import sys, flows.check_measure\nprint([m for m in {heavy!r} if m in sys.modules])\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
