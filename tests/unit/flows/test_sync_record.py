"""``serve``'s record of its last complete sync against its local server, and the plan's fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from flows.local_server import (
    SYNC_RECORD,
    SyncRecord,
    forget_sync_record,
    read_sync_record,
    write_sync_record,
)
from flows.sync import BulkSync, fingerprint
from tasks.schedule.deployments import WantedDeployment, WantedSchedule


@pytest.fixture
def prefect_home(tmp_path: Path) -> Iterator[Path]:
    from prefect.settings import PREFECT_HOME, temporary_settings

    with temporary_settings({PREFECT_HOME: str(tmp_path)}):
        yield tmp_path


def plan(*, cadence: str = "DTSTART:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO") -> BulkSync:
    wanted = WantedDeployment(
        name="CITY-001-1",
        round_code="city",
        description="一、测试",
        tags=("round:city", "zhenggai"),
        schedules=(WantedSchedule(slug="cadence", kind="rrule", value=cadence, timezone="Asia/Shanghai"),),
        paused=False,
    )
    return BulkSync(
        wanted=[wanted],
        skipped={},
        housekeeping={},
        work_pool=None,
        leave_pool=False,
        round_code=None,
        concurrency=2,
    )


def test_the_record_is_kept_in_prefect_home_and_read_back(prefect_home: Path) -> None:
    assert read_sync_record() is None  # a new PREFECT_HOME: a full sync
    record = SyncRecord("abc", {"CITY-001-1": uuid4()})

    write_sync_record(record)

    assert (prefect_home / SYNC_RECORD).exists()
    assert read_sync_record() == record
    forget_sync_record()
    assert read_sync_record() is None


def test_an_unreadable_record_means_a_full_sync(prefect_home: Path) -> None:
    (prefect_home / SYNC_RECORD).write_text('{"fingerprint": "abc", "deployments": {"X": "not-a-uuid"}}')
    assert read_sync_record() is None
    (prefect_home / SYNC_RECORD).write_text("{")
    assert read_sync_record() is None


def test_the_fingerprint_follows_what_the_server_should_hold() -> None:
    assert fingerprint(plan()) == fingerprint(plan())
    assert fingerprint(plan()) != fingerprint(
        plan(cadence="DTSTART:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=FR")
    )
    moved = plan()
    assert fingerprint(moved) != fingerprint(BulkSync(**{**moved.__dict__, "work_pool": "zhenggai"}))
