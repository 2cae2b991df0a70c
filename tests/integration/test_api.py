"""The report API against the real app (FastAPI TestClient) on SQLite and PostgreSQL: the role matrix.

Helpers here (``ApiLedger``, ``build_ledger``, ``client_for``, ``pdf_bytes``) are shared by the other
``test_api*`` / ``test_evidence*`` / ``test_review*`` modules.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.web.app import create_app
from models.db import Database
from models.enums import MeasureStatus, TokenRole
from models.settings import Settings
from tasks.reports.tokens import issue_token, revoke_token
from tests.factories import make_measure, make_unit

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)


def pdf_bytes(tag: str) -> bytes:
    """A small file that passes the PDF check, different for each tag."""
    return b"%PDF-1.4\n% " + tag.encode() + b"\n%%EOF\n"


@dataclass
class ApiLedger:
    """Two units with one measure each, and a token per role."""

    tokens: dict[str, str] = field(default_factory=dict)  # role name → secret
    own_unit: str = "unit-a"
    other_unit: str = "unit-b"
    own_measure: str = "MA-1"
    other_measure: str = "MB-1"
    shared_measure: str = "MC-1"  # led by unit-b, unit-a co-owns it
    other_text: str = "乙单位的秘密整改措施"

    def headers(self, role: str | None) -> dict[str, str]:
        if role is None or role == "none":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build_ledger(database: Database, *, status: MeasureStatus = MeasureStatus.PLANNED) -> ApiLedger:
    ledger = ApiLedger()
    with database.unit_of_work() as session:
        a = make_unit(session, ledger.own_unit)
        b = make_unit(session, ledger.other_unit)
        make_measure(session, code=ledger.own_measure, lead_unit=a, status=status, deadline=date(2030, 6, 28))
        make_measure(
            session,
            code=ledger.other_measure,
            lead_unit=b,
            status=status,
            text=ledger.other_text,
            deadline=date(2030, 6, 28),
        )
        make_measure(session, code=ledger.shared_measure, lead_unit=b, co_units=[a], deadline=None)
        for name, role, unit in [
            ("unit", TokenRole.UNIT, ledger.own_unit),
            ("unit_b", TokenRole.UNIT, ledger.other_unit),
            ("coordinator", TokenRole.COORDINATOR, None),
            ("leader", TokenRole.LEADER, None),
            ("revoked", TokenRole.UNIT, ledger.own_unit),
        ]:
            issued = issue_token(session, role=role, unit_code=unit, label=f"label-{name}", now=NOW)
            ledger.tokens[name] = issued.secret
            if name == "revoked":
                revoke_token(session, str(issued.token_id), now=NOW)
        session.commit()
    return ledger


@pytest.fixture
def ledger(database: Database) -> ApiLedger:
    return build_ledger(database)


def api_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test settings; deadlines lie years ahead, beyond the published calendar: assume Mon–Fri there."""
    return settings.model_copy(update={"calendar_fallback": "weekends", **overrides})


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings(settings))) as test_client:
        yield test_client


def client_for(settings: Settings, **overrides: Any) -> TestClient:
    return TestClient(create_app(api_settings(settings, **overrides)))


def post_report(
    client: TestClient,
    ledger: ApiLedger,
    role: str | None,
    measure: str,
    *,
    files: list[tuple[str, bytes]] | None = None,
    key: str | None = None,
    **fields: Any,
) -> Any:
    data: dict[str, Any] = {
        "measure": measure,
        "text": "已召开专题会议研究部署。",
        "period_end": "2024-01-05",
    }
    data.update(fields)
    headers = ledger.headers(role)
    if key is not None:
        headers["Idempotency-Key"] = key
    upload = [("evidence", (name, content, "application/octet-stream")) for name, content in files or []]
    return client.post("/api/reports", data=data, files=upload or None, headers=headers)


# -- the role matrix ---------------------------------------------------------------------------------

ROLES = ["unit", "coordinator", "leader", "none", "revoked"]
# endpoint → role → (own, other) expected status codes. "own" is unit-a's measure or unit.
MATRIX: dict[str, dict[str, tuple[int, int]]] = {
    "GET measures of unit": {
        "unit": (200, 403),
        "coordinator": (200, 200),
        "leader": (200, 200),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "GET reports of measure": {
        "unit": (200, 403),
        "coordinator": (200, 200),
        "leader": (200, 200),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "GET history of measure": {
        "unit": (200, 403),
        "coordinator": (200, 200),
        "leader": (200, 200),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "POST report": {
        "unit": (201, 403),
        "coordinator": (201, 201),
        "leader": (403, 403),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "POST accept": {
        "unit": (403, 403),
        "coordinator": (200, 200),
        "leader": (403, 403),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "POST return": {
        "unit": (403, 403),
        "coordinator": (200, 200),
        "leader": (403, 403),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "POST reopen": {
        "unit": (403, 403),
        "coordinator": (200, 200),
        "leader": (403, 403),
        "none": (401, 401),
        "revoked": (401, 401),
    },
    "GET evidence": {
        "unit": (200, 403),
        "coordinator": (200, 200),
        "leader": (200, 200),
        "none": (401, 401),
        "revoked": (401, 401),
    },
}
START_STATUS = {
    "POST accept": MeasureStatus.DONE,
    "POST return": MeasureStatus.DONE,
    "POST reopen": MeasureStatus.CLOSED,
}


def _call(
    client: TestClient, ledger: ApiLedger, endpoint: str, role: str, own: bool, hashes: dict[str, str]
) -> Any:
    measure = ledger.own_measure if own else ledger.other_measure
    unit = ledger.own_unit if own else ledger.other_unit
    headers = ledger.headers(role)
    if endpoint == "GET measures of unit":
        return client.get(f"/api/units/{unit}/measures", headers=headers)
    if endpoint == "GET reports of measure":
        return client.get(f"/api/measures/{measure}/reports", headers=headers)
    if endpoint == "GET history of measure":
        return client.get(f"/api/measures/{measure}/history", headers=headers)
    if endpoint == "POST report":
        return post_report(client, ledger, role, measure)
    if endpoint == "POST accept":
        return client.post(f"/api/measures/{measure}/accept", json={"note": "现场核查属实"}, headers=headers)
    if endpoint == "POST return":
        return client.post(f"/api/measures/{measure}/return", json={"reason": "缺少台账"}, headers=headers)
    if endpoint == "POST reopen":
        return client.post(f"/api/measures/{measure}/reopen", json={"reason": "问题反弹"}, headers=headers)
    if endpoint == "GET evidence":
        return client.get(f"/api/evidence/{hashes[measure]}", headers=headers)
    raise AssertionError(endpoint)


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_role_matrix(
    endpoint: str, settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = build_ledger(database, status=START_STATUS.get(endpoint, MeasureStatus.PLANNED))
    hashes: dict[str, str] = {}
    with TestClient(create_app(api_settings(settings))) as client:
        if endpoint == "GET evidence":
            for measure, role in ((ledger.own_measure, "unit"), (ledger.other_measure, "unit_b")):
                content = pdf_bytes(measure)
                response = post_report(client, ledger, role, measure, files=[("台账.pdf", content)])
                assert response.status_code == 201, response.text
                hashes[measure] = hashlib.sha256(content).hexdigest()
        caplog.set_level(logging.WARNING, logger="zhenggai.api")
        got: dict[str, tuple[int, int]] = {}
        # Refused roles first: a coordinator's review moves the measure, the others must not.
        for role in sorted(ROLES, key=lambda r: r == "coordinator"):
            codes = []
            for own in (True, False):
                response = _call(client, ledger, endpoint, role, own, hashes)
                codes.append(response.status_code)
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"detail"} and {"field", "message"} <= set(body["detail"])
                    assert ledger.other_text not in response.text
            got[role] = (codes[0], codes[1])
    assert got == MATRIX[endpoint]
    log = caplog.text
    for secret in ledger.tokens.values():
        assert secret not in log
    refused = [r for r in caplog.records if r.name == "zhenggai.api" and r.getMessage().startswith("refused")]
    expected_refusals = sum(code >= 400 for pair in MATRIX[endpoint].values() for code in pair)
    assert len(refused) == expected_refusals
    if any(code == 403 for code in MATRIX[endpoint]["unit"]):
        assert any("'label-unit'" in r.getMessage() and " 403 " in r.getMessage() for r in refused)
    assert any("no token" in r.getMessage() for r in refused)
    assert any("revoked token #5 'label-revoked'" in r.getMessage() for r in refused)


def test_a_co_unit_reads_and_reports_on_a_shared_measure(client: TestClient, ledger: ApiLedger) -> None:
    headers = ledger.headers("unit")
    rows = client.get(f"/api/units/{ledger.own_unit}/measures", headers=headers).json()
    assert {(r["code"], r["role"]) for r in rows} == {
        (ledger.own_measure, "lead"),
        (ledger.shared_measure, "co"),
    }
    response = post_report(client, ledger, "unit", ledger.shared_measure)
    assert response.status_code == 201, response.text
    assert response.json()["unit"] == ledger.own_unit  # the co-unit reports as itself, not as the lead
    assert client.get(f"/api/measures/{ledger.shared_measure}/reports", headers=headers).status_code == 200


def test_unit_measures_show_deadline_state_light_and_last_report(
    client: TestClient, ledger: ApiLedger
) -> None:
    post_report(client, ledger, "unit", ledger.own_measure, text="第一次报送", metrics=json.dumps([]))
    rows = client.get(f"/api/units/{ledger.own_unit}/measures", headers=ledger.headers("leader")).json()
    row = next(r for r in rows if r["code"] == ledger.own_measure)
    assert row["deadline"] == "2030-06-28"
    assert row["status"] == "in_progress"
    assert row["state"] == "on_track" and row["light"] == "green"
    assert row["last_report"]["text"] == "第一次报送"


def test_a_unit_token_cannot_speak_for_another_unit_or_backdate(
    client: TestClient, ledger: ApiLedger
) -> None:
    response = post_report(client, ledger, "unit", ledger.own_measure, unit=ledger.other_unit)
    assert response.status_code == 403 and response.json()["detail"]["field"] == "unit"
    response = post_report(
        client, ledger, "unit", ledger.own_measure, submitted_at="2024-01-01T10:00:00+08:00"
    )
    assert response.status_code == 403 and response.json()["detail"]["field"] == "submitted_at"


def test_unknown_things_are_404_for_readers_and_403_for_units(client: TestClient, ledger: ApiLedger) -> None:
    coordinator, unit = ledger.headers("coordinator"), ledger.headers("unit")
    assert client.get("/api/measures/NOPE/reports", headers=coordinator).status_code == 404
    assert client.get("/api/units/nobody/measures", headers=coordinator).status_code == 404
    assert client.get("/api/measures/NOPE/reports", headers=unit).status_code == 403
    assert client.get("/api/units/nobody/measures", headers=unit).status_code == 403
    assert client.get("/api/evidence/" + "0" * 64, headers=coordinator).status_code == 404
    assert client.get("/api/evidence/" + "0" * 64, headers=unit).status_code == 403
    assert client.get("/api/evidence/../../etc/passwd", headers=coordinator).status_code in (404, 422)


def test_me_health_and_openapi(client: TestClient, ledger: ApiLedger) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    me = client.get("/api/me", headers=ledger.headers("unit")).json()
    assert me["role"] == "unit" and me["unit"] == ledger.own_unit and me["label"] == "label-unit"
    schema = client.get("/api/openapi.json").json()
    assert {"/api/reports", "/api/units/{unit}/measures", "/api/measures/{code}/reports"} <= set(
        schema["paths"]
    )
    assert "bearer" in json.dumps(schema["components"]["securitySchemes"]).lower()
    assert client.get("/api/docs").status_code == 200


def test_a_malformed_authorization_header_is_401(client: TestClient, ledger: ApiLedger) -> None:
    for value in ["Bearer", "Basic dXNlcjpwYXNz", "Bearer zg_not-a-token", "Bearer " + "x" * 500]:
        response = client.get(f"/api/units/{ledger.own_unit}/measures", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.headers.get("www-authenticate") == "Bearer"


def test_the_app_mounts_beside_another_app(settings: Settings, database: Database, ledger: ApiLedger) -> None:
    from fastapi import FastAPI

    parent = FastAPI()

    @parent.get("/api/health")
    def parent_health() -> dict[str, str]:
        return {"status": "parent"}

    parent.mount("/zhenggai", create_app(api_settings(settings)))
    with TestClient(parent) as client:
        assert client.get("/api/health").json() == {"status": "parent"}
        assert client.get("/zhenggai/api/health").json() == {"status": "ok"}
        response = client.get(
            f"/zhenggai/api/units/{ledger.own_unit}/measures", headers=ledger.headers("unit")
        )
        assert response.status_code == 200
