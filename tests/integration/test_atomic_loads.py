"""Bulk loads are all or nothing: a refused entry or a SIGKILL in the middle leaves the ledger unchanged.

On SQLite the driver used to commit every savepoint of ``record_file_reports`` (``begin_nested()`` with no
outer BEGIN), so a refused file or a killed load kept the reports before the failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from models.db import Database
from models.settings import Settings
from models.tables import Report, StatusEvent
from tasks.ledger.plan_load import load_plan_file
from tests.conftest import EXAMPLE_DIR, ROOT, SEED_ROUND
from tests.support.work import committed, settings_clock


def _reports(count: int, *, bad_at: int | None = None) -> dict[str, Any]:
    """``count`` reports on the seed's measures, one a minute; the one at ``bad_at`` names no measure."""
    start = datetime.fromisoformat("2023-11-01T09:00:00+08:00")
    measures = [f"XH-0{p}-1" for p in range(1, 10)]
    reports = [
        {
            "measure": "XH-99-9" if n == bad_at else measures[n % len(measures)],
            "submitted_at": (start + timedelta(minutes=n)).isoformat(),
            "text": f"第{n + 1}次进展",
        }
        for n in range(count)
    ]
    return {"round": SEED_ROUND, "reports": reports}


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _count(database: Database, table: Any) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_reports_file_with_one_bad_entry_writes_nothing(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    events = _count(database, StatusEvent)
    path = _write(tmp_path / "reports.yaml", _reports(30, bad_at=29))

    result = cli("report", "load", path)

    assert result.exit_code == 1
    assert "XH-99-9" in result.output and "nothing was written" in result.output
    assert _count(database, Report) == 0
    assert _count(database, StatusEvent) == events


def test_a_good_file_after_a_refused_one_is_recorded_whole(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    cli("report", "load", _write(tmp_path / "bad.yaml", _reports(10, bad_at=5)))

    result = cli("report", "load", _write(tmp_path / "good.yaml", _reports(10)))

    assert result.exit_code == 0, result.output
    assert "10 recorded, 0 already recorded" in result.output
    assert _count(database, Report) == 10


def test_a_report_load_killed_midway_leaves_no_report(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    events = _count(database, StatusEvent)
    path = _write(tmp_path / "large.yaml", _reports(2000))
    env = {
        **os.environ,
        "ZHENGGAI_DATABASE_URL": settings.resolved_database_url,
        "ZHENGGAI_DATA_DIR": str(settings.data_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_load", "report", "load", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            words = line.split()
            # 300 reports (or more, written set-based) flushed into the load's transaction
            if words[:1] == ["recorded"] and int(words[1]) >= 300:
                break
        else:
            raise AssertionError(f"the load ended before 300 reports (exit {process.wait()})")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        if process.stdout is not None:
            process.stdout.close()

    assert process.returncode == -signal.SIGKILL
    assert _count(database, Report) == 0
    assert _count(database, StatusEvent) == events
