"""The seed's reports (examples/xinhua-2023/reports.yaml) submitted through the API read back unchanged."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import yaml

from models.db import Database
from models.enums import TokenRole
from models.settings import Settings
from tasks.ledger.plan_load import load_plan_file
from tasks.reports.record import load_reports_file
from tasks.reports.tokens import issue_token
from tests.conftest import EXAMPLE_DIR
from tests.integration.test_api import NOW, client_for
from tests.support.work import committed, settings_clock


def _seed_reports() -> list[dict[str, Any]]:
    return list(yaml.safe_load((EXAMPLE_DIR / "reports.yaml").read_text(encoding="utf-8"))["reports"])


def _as_sent(item: dict[str, Any]) -> dict[str, Any]:
    start, _, end = str(item["period"]).partition("..")
    data = {
        "measure": item["measure"],
        "text": item["text"],
        "claimed_status": item["status"],
        "author": item["author"],
        "submitted_at": item["submitted_at"].isoformat(),
        "period_start": start,
        "period_end": end,
        "metrics": json.dumps(item.get("metrics", []), ensure_ascii=False),
    }
    if item.get("unit"):
        data["unit"] = item["unit"]
    return data


def test_the_seed_reports_round_trip_through_the_api(settings: Settings, database: Database) -> None:
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    with database.unit_of_work() as session:
        secret = issue_token(session, role=TokenRole.COORDINATOR, label="督办室", now=NOW).secret
        session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    items = _seed_reports()
    assert len(items) == 28
    with client_for(settings) as client:
        ids = []
        for index, item in enumerate(items):
            response = client.post(
                "/api/reports", data=_as_sent(item), headers={**headers, "Idempotency-Key": f"seed-{index}"}
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        read: dict[str, list[dict[str, Any]]] = {}
        for code in {item["measure"] for item in items}:
            response = client.get(f"/api/measures/{code}/reports", headers=headers)
            assert response.status_code == 200
            read[code] = response.json()
    assert len(set(ids)) == 28
    for item in items:
        (got,) = [r for r in read[item["measure"]] if r["text"] == item["text"]]
        start, _, end = str(item["period"]).partition("..")
        assert got["text"] == item["text"]  # byte for byte, punctuation included
        assert got["author"] == item["author"]
        assert got["claimed_status"] == item["status"]
        assert datetime.fromisoformat(got["submitted_at"]) == item["submitted_at"]
        assert (got["period_start"], got["period_end"]) == (start, end)
        assert got["source"] == "api" and got["supersedes"] is None and got["superseded_by"] is None
        want_metrics = [(m["name"], Decimal(str(m["value"])), m["unit"]) for m in item.get("metrics", [])]
        assert [(m["name"], Decimal(m["value"]), m["unit"]) for m in got["metrics"]] == want_metrics
        if item.get("unit"):
            assert got["unit"] == item["unit"]


def test_api_and_file_import_store_the_same_reports(settings: Settings, database: Database) -> None:
    """What the API stores equals what `zhenggai report load` stores, field by field."""
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", settings_clock())
    committed(database, load_reports_file, EXAMPLE_DIR / "reports.yaml", settings_clock())
    with database.unit_of_work() as session:
        secret = issue_token(session, role=TokenRole.COORDINATOR, now=NOW).secret
        session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    fields = (
        "text",
        "author",
        "claimed_status",
        "submitted_at",
        "period_start",
        "period_end",
        "metrics",
        "unit",
    )
    with client_for(settings) as client:
        for item in _seed_reports():
            imported = client.get(f"/api/measures/{item['measure']}/reports", headers=headers).json()
            before = [r for r in imported if r["source"] == "import" and r["text"] == item["text"]]
            response = client.post("/api/reports", data=_as_sent(item), headers=headers)
            assert response.status_code == 201, response.text
            via_api = response.json()
            assert {f: via_api[f] for f in fields} == {f: before[0][f] for f in fields}
