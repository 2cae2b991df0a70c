"""Bad report submissions: a 4xx naming the field, nothing stored, no file left behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.db import Database
from models.settings import Settings
from models.tables import Report
from tasks.reports.evidence import stored_files
from tests.integration.test_api import build_ledger, client_for, pdf_bytes, post_report
from tests.support.dump import dump

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
GOOD = ("会议纪要.pdf", pdf_bytes("good"))

CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    # id, role, fields (files under "files"), status, field
    ("unknown measure", "coordinator", {"measure": "NOPE"}, 422, "measure"),
    ("unknown measure for a unit", "unit", {"measure": "NOPE"}, 403, "measure"),
    ("another unit's measure", "unit", {"measure": "MB-1"}, 403, "measure"),
    ("period in the future", "unit", {"period_end": "2999-01-01"}, 422, "period"),
    (
        "period ends before it starts",
        "unit",
        {"period_start": "2024-01-05", "period_end": "2024-01-01"},
        422,
        "period",
    ),
    ("not a date", "unit", {"period_end": "2024-13-45"}, 422, "period_end"),
    ("empty text", "unit", {"text": ""}, 422, "text"),
    ("blank text", "unit", {"text": "   \n "}, 422, "text"),
    ("empty text with a good file", "unit", {"text": "", "files": [GOOD]}, 422, "text"),
    (
        "metric not a number",
        "unit",
        {"metrics": json.dumps([{"name": "宣传信", "value": "四万", "unit": "份"}])},
        422,
        "metrics[0].value",
    ),
    (
        "metric NaN",
        "unit",
        {"metrics": json.dumps([{"name": "宣传信", "value": "NaN"}])},
        422,
        "metrics[0].value",
    ),
    (
        "metric boolean",
        "unit",
        {"metrics": json.dumps([{"name": "宣传信", "value": True}])},
        422,
        "metrics[0].value",
    ),
    (
        "metric too large",
        "unit",
        {"metrics": json.dumps([{"name": "x", "value": "1e30"}])},
        422,
        "metrics[0].value",
    ),
    (
        "metric without a name",
        "unit",
        {"metrics": json.dumps([{"name": " ", "value": 3}])},
        422,
        "metrics[0].name",
    ),
    (
        "second metric bad",
        "unit",
        {"metrics": json.dumps([{"name": "a", "value": 1}, {"name": "b", "value": "x"}])},
        422,
        "metrics[1].value",
    ),
    ("metrics not JSON", "unit", {"metrics": "宣传信=40000份"}, 422, "metrics"),
    ("metrics not a list", "unit", {"metrics": json.dumps({"name": "a", "value": 1})}, 422, "metrics"),
    ("claimed status unknown", "unit", {"claimed_status": "closed"}, 422, "claimed_status"),
    ("oversized file", "unit", {"files": [("大文件.pdf", pdf_bytes("x" * 5000))]}, 413, "evidence[0]"),
    (
        "oversized second file",
        "unit",
        {"files": [GOOD, ("大文件.pdf", pdf_bytes("x" * 5000))]},
        413,
        "evidence[1]",
    ),
    ("disallowed type", "unit", {"files": [("setup.exe", b"MZ\x90\x00")]}, 415, "evidence[0]"),
    (
        "name and bytes disagree",
        "unit",
        {"files": [("照片.png", pdf_bytes("not a png"))]},
        415,
        "evidence[0]",
    ),
    (
        "text file that is binary",
        "unit",
        {"files": [("说明.txt", b"\x00\x01\x02binary")]},
        415,
        "evidence[0]",
    ),
    ("no extension", "unit", {"files": [("README", b"plain words")]}, 415, "evidence[0]"),
    ("path-like name", "unit", {"files": [("../../x.pdf", pdf_bytes("p"))]}, 422, "evidence[0]"),
    ("nested path", "unit", {"files": [("a/b.pdf", pdf_bytes("p"))]}, 422, "evidence[0]"),
    ("windows path", "unit", {"files": [("..\\..\\x.pdf", pdf_bytes("p"))]}, 422, "evidence[0]"),
    ("hidden file", "unit", {"files": [(".htaccess.pdf", pdf_bytes("p"))]}, 422, "evidence[0]"),
    (
        "good file then path-like one",
        "unit",
        {"files": [GOOD, ("../x.pdf", pdf_bytes("p"))]},
        422,
        "evidence[1]",
    ),
    ("empty file", "unit", {"files": [("空.pdf", b"")]}, 422, "evidence[0]"),
    ("supersedes a report of nothing", "unit", {"supersedes": "999"}, 422, "supersedes"),
    ("unknown reporting unit", "coordinator", {"unit": "nobody"}, 422, "unit"),
    ("stranger as reporting unit", "coordinator", {"unit": "unit-b"}, 422, "unit"),
]


@pytest.mark.parametrize(
    ("role", "fields", "status", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    role: str, fields: dict[str, Any], status: int, field: str, settings: Settings, database: Database
) -> None:
    ledger = build_ledger(database)
    before = dump(database)
    fields = dict(fields)
    files = fields.pop("files", None)
    measure = fields.pop("measure", ledger.own_measure)
    with client_for(settings, evidence_max_bytes=4096) as client:
        response = post_report(client, ledger, role, measure, files=files, **fields)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    fields_named = [d["field"] for d in detail] if isinstance(detail, list) else [detail["field"]]
    assert field in fields_named, detail
    assert dump(database) == _without_token_use(before, dump(database))
    assert list(stored_files(settings.evidence_dir)) == []
    staging = settings.evidence_dir / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def _without_token_use(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The dump before, with the tokens as they are after (verifying a token stamps its last use)."""
    return {**before, "api_tokens": after["api_tokens"]}


def test_a_duplicate_submission_is_409_and_stored_once(settings: Settings, database: Database) -> None:
    ledger = build_ledger(database)
    with client_for(settings) as client:
        first = post_report(client, ledger, "unit", ledger.own_measure, key="weekly-2024-01", files=[GOOD])
        assert first.status_code == 201, first.text
        before = dump(database)
        again = post_report(client, ledger, "unit", ledger.own_measure, key="weekly-2024-01", files=[GOOD])
        assert again.status_code == 409
        assert again.json()["detail"]["field"] == "Idempotency-Key"
        assert again.json()["detail"]["report_id"] == first.json()["id"]
        assert dump(database) == _without_token_use(before, dump(database))
        # Keys are per unit: another unit's identical key is its own submission.
        other = post_report(client, ledger, "unit_b", ledger.other_measure, key="weekly-2024-01")
        assert other.status_code == 201
        blank = post_report(client, ledger, "unit", ledger.own_measure, key="  ")
        assert blank.status_code == 422 and blank.json()["detail"]["field"] == "Idempotency-Key"
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 2
    assert len(list(stored_files(settings.evidence_dir))) == 1


def test_a_request_larger_than_any_report_is_refused_before_reading(
    settings: Settings, database: Database
) -> None:
    ledger = build_ledger(database)
    with client_for(settings, evidence_max_bytes=1024) as client:
        big = pdf_bytes("y" * (1024 * 1024 + 30 * 1024))
        response = post_report(client, ledger, "unit", ledger.own_measure, files=[("big.pdf", big)])
    assert response.status_code == 413
    assert response.json()["detail"]["field"] == "evidence"


def test_an_accepted_report_keeps_its_files_by_hash(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    ledger = build_ledger(database)
    files = [GOOD, ("现场照片.png", PNG), ("说明.txt", "已整改完毕。".encode())]
    with client_for(settings) as client:
        response = post_report(
            client,
            ledger,
            "unit",
            ledger.own_measure,
            files=files,
            metrics=json.dumps(
                [
                    {"name": "宣传信发放", "value": 40000, "unit": "份"},
                    {"name": "投入", "value": "3.5", "unit": "万元"},
                ]
            ),
            claimed_status="done",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["measure_status"] == "done"
        assert [(m["name"], m["value"], m["unit"]) for m in body["metrics"]] == [
            ("宣传信发放", "40000", "份"),
            ("投入", "3.5", "万元"),
        ]
        assert [(e["filename"], e["sha256"]) for e in body["evidence"]] == [
            (name, hashlib.sha256(content).hexdigest()) for name, content in files
        ]
        for _name, content in files:
            got = client.get(
                f"/api/evidence/{hashlib.sha256(content).hexdigest()}", headers=ledger.headers("unit")
            )
            assert got.status_code == 200 and got.content == content
            assert "filename" in got.headers["content-disposition"]
        reports = client.get(
            f"/api/measures/{ledger.own_measure}/reports", headers=ledger.headers("leader")
        ).json()
        assert [e["content_type"] for e in reports[0]["evidence"]] == [
            "application/pdf",
            "image/png",
            "text/plain",
        ]
    assert sorted(p.name for p in stored_files(settings.evidence_dir)) == sorted(
        hashlib.sha256(c).hexdigest() for _, c in files
    )


def test_reading_a_file_missing_from_the_store_is_404(settings: Settings, database: Database) -> None:
    ledger = build_ledger(database)
    with client_for(settings) as client:
        response = post_report(client, ledger, "unit", ledger.own_measure, files=[GOOD])
        sha = response.json()["evidence"][0]["sha256"]
        for path in stored_files(settings.evidence_dir):
            path.chmod(0o644)
            path.unlink()
        got = client.get(f"/api/evidence/{sha}", headers=ledger.headers("coordinator"))
    assert got.status_code == 404 and "missing" in got.json()["detail"]["message"]
