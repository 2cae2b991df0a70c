"""``report load`` writes a file's reports set-based (``record_reports_bulk``): the ledger it leaves is the
one the one-by-one path (``record_report`` per entry) leaves, and every refused entry is listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import Database
from models.errors import InvalidPlan
from models.tables import Measure, Report, ReportMetric, StatusEvent, Unit
from tasks.ledger.plan_load import load_plan_file
from tasks.reports import record
from tasks.reports.record import load_reports_file
from tests.conftest import EXAMPLE_DIR
from tests.support.work import committed, settings_clock


def _members_file(tmp_path: Path) -> Path:
    """The seed's reports, then the four street offices on XH-05-1 (the measure is done only when the
    fourth claims done), a figure, a correction of wording and an entry given twice."""
    data = yaml.safe_load((EXAMPLE_DIR / "reports.yaml").read_text(encoding="utf-8"))
    extra: list[dict[str, Any]] = []
    for n, (unit, status) in enumerate(
        [
            ("jiedao-1", "done"),
            ("jiedao-2", "done"),
            ("jiedao-3", "done"),
            ("jiedao-4", "in_progress"),
            ("jiedao-2", "in_progress"),
            ("jiedao-4", "done"),
            ("jiedao-2", "done"),
        ]
    ):
        extra.append(
            {
                "measure": "XH-05-1",
                "unit": unit,
                "submitted_at": f"2023-12-15T1{n}:00:00+08:00",
                "status": status,
                "text": f"{unit}第{n + 1}次进展",
                "metrics": [{"name": "巡查", "value": n + 1, "unit": "次"}],
            }
        )
    extra.append(dict(extra[0]))  # the same entry twice: recorded once
    extra.append({"measure": "XH-01-2", "submitted_at": "2023-12-15T18:00:00+08:00", "text": "  再次进展  "})
    data["reports"] += extra
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _ledger(session: Session) -> dict[str, Any]:
    """What a reports load writes, without ids and recorded times (report ids in reasons masked)."""
    units = {u.id: u.code for u in session.scalars(select(Unit))}
    measures = {m.id: m.code for m in session.scalars(select(Measure))}
    reports = session.scalars(select(Report).order_by(Report.id)).all()
    keys = {r.id: r.idempotency_key for r in reports}
    return {
        "reports": [
            (
                measures[r.measure_id],
                units.get(r.unit_id) if r.unit_id else None,
                r.period_start,
                r.period_end,
                r.submitted_at,
                r.author,
                r.text,
                r.claimed_status,
                r.supersedes_id,
                r.idempotency_key,
                r.source,
            )
            for r in reports
        ],
        "metrics": [
            (keys[m.report_id], m.position, m.name, m.value, m.unit)
            for m in session.scalars(select(ReportMetric).order_by(ReportMetric.id))
        ],
        "events": [
            (
                measures.get(e.measure_id) if e.measure_id else None,
                e.round_id,
                e.actor,
                e.kind,
                e.from_value,
                e.to_value,
                re.sub(r"#\d+", "#N", e.reason),
                e.flow_run_id,
                e.dedupe_key,
            )
            for e in session.scalars(select(StatusEvent).order_by(StatusEvent.id))
        ],
        "statuses": sorted((m.code, m.status) for m in session.scalars(select(Measure))),
    }


def _load(database: Database, path: Path) -> dict[str, Any]:
    """Load the file in a transaction, read back the ledger, roll back."""
    with database.unit_of_work() as session:
        loaded = load_reports_file(session, path, settings_clock())
        ledger = _ledger(session)
        session.rollback()
    ledger["loaded"] = (loaded.recorded, loaded.already_recorded)
    return ledger


def test_the_bulk_path_leaves_the_ledger_the_one_by_one_path_leaves(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    path = _members_file(tmp_path)

    bulk = _load(database, path)
    monkeypatch.setattr(record, "record_reports_bulk", record.record_file_reports)
    one_by_one = _load(database, path)

    assert bulk == one_by_one
    assert bulk["loaded"] == (28 + 8, 1)
    assert ("XH-05-1", "done") in [(c, s.value) for c, s in bulk["statuses"]]


def test_a_second_load_records_nothing_again(database: Database, tmp_path: Path) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    path = _members_file(tmp_path)
    first = committed(database, load_reports_file, path, settings_clock())

    again = committed(database, load_reports_file, path, settings_clock())

    assert (first.recorded, again.recorded, again.already_recorded) == (36, 0, 37)


def test_every_refused_entry_is_listed_and_nothing_is_written(
    database: Database, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    data = yaml.safe_load((EXAMPLE_DIR / "reports.yaml").read_text(encoding="utf-8"))
    data["reports"][3]["measure"] = "XH-99-9"
    data["reports"][7]["unit"] = "nobody"
    data["reports"][11]["period"] = "2023-12-20..2023-12-01"
    data["reports"][15]["text"] = "   "
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(InvalidPlan) as refused, database.unit_of_work() as session:
        load_reports_file(session, path, settings_clock())
    result = cli("report", "load", path)

    message = str(refused.value)
    for needle in ("XH-99-9", "nobody", "2023-12-20", "text"):
        assert needle in message
    assert len(refused.value.issues) == 4
    assert result.exit_code == 1 and "nothing was written" in result.output
    with database.unit_of_work() as session:
        assert session.scalars(select(Report)).all() == []


def test_a_refused_entry_given_twice_is_refused_twice_as_one_by_one(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    data = yaml.safe_load((EXAMPLE_DIR / "reports.yaml").read_text(encoding="utf-8"))
    data["reports"][2]["unit"] = "nobody"
    data["reports"].append(dict(data["reports"][2]))
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def refused() -> list[str]:
        with pytest.raises(InvalidPlan) as error, database.unit_of_work() as session:
            load_reports_file(session, path, settings_clock())
        return [str(issue) for issue in error.value.issues]

    bulk = refused()
    monkeypatch.setattr(record, "record_reports_bulk", record.record_file_reports)

    assert bulk == refused() and len(bulk) == 2
