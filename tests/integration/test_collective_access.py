"""Access to a collective's measure through the API: a member's token sees and reports its own share;
the collective's own token reads every share and reports for none unless the plan says so."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.db import Database
from models.enums import TokenRole, UnitKind
from models.settings import Settings
from models.tables import Report
from tasks.reports.tokens import issue_token
from tests.factories import make_measure, make_unit
from tests.integration.test_api import NOW, client_for

MEASURE = "MJ-1"


def _ledger(database: Database, *, reports_for_members: bool = False) -> dict[str, dict[str, str]]:
    """各街道办事处 (two members) leads MJ-1; a token for each member, the collective and the coordinator."""
    headers = {}
    with database.unit_of_work() as session:
        jiedao = make_unit(
            session,
            "jiedao",
            name="各街道办事处",
            kind=UnitKind.COLLECTIVE,
            reports_for_members=reports_for_members,
        )
        for code, name in (("street-1", "示例街道一"), ("street-2", "示例街道二")):
            make_unit(session, code, name=name, kind=UnitKind.STREET_OFFICE, parent=jiedao)
        make_unit(session, "office", name="局办公室")
        make_measure(session, code=MEASURE, lead_unit=jiedao, deadline=date(2030, 6, 28))
        for name, role, unit in [
            ("street-1", TokenRole.UNIT, "street-1"),
            ("street-2", TokenRole.UNIT, "street-2"),
            ("jiedao", TokenRole.UNIT, "jiedao"),
            ("office", TokenRole.UNIT, "office"),
            ("coordinator", TokenRole.COORDINATOR, None),
        ]:
            secret = issue_token(session, role=role, unit_code=unit, label=name, now=NOW).secret
            headers[name] = {"Authorization": f"Bearer {secret}"}
        session.commit()
    return headers


def _post(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    data = {"measure": MEASURE, "text": "已完成门前三包督导。", "claimed_status": "done", **fields}
    return client.post("/api/reports", data=data, headers=headers)


def _reports(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get(f"/api/measures/{MEASURE}/reports", headers=headers)
    assert response.status_code == 200, response.text
    return [report["unit"] for report in response.json()]


def test_a_members_token_reports_and_sees_its_own_share_only(database: Database, settings: Settings) -> None:
    tokens = _ledger(database)
    client = client_for(settings)

    assert _post(client, tokens["street-1"]).status_code == 201
    refused = _post(client, tokens["street-1"], unit="street-2")

    assert refused.status_code == 403 and "street-1" in refused.text
    assert _reports(client, tokens["street-1"]) == ["street-1"]
    assert _reports(client, tokens["street-2"]) == []  # another member's report stays its own
    assert client.get(f"/api/measures/{MEASURE}/reports", headers=tokens["office"]).status_code == 403
    mine = client.get("/api/units/street-1/measures", headers=tokens["street-1"]).json()
    assert [(m["code"], m["role"], m["status"], m["members"]) for m in mine] == [
        (MEASURE, "lead", "done", [])
    ]
    theirs = client.get("/api/units/street-2/measures", headers=tokens["street-2"]).json()
    assert [(m["code"], m["status"], m["light"]) for m in theirs] == [(MEASURE, "planned", "green")]
    assert client.get("/api/units/street-2/measures", headers=tokens["street-1"]).status_code == 403


def test_the_collectives_token_reads_every_share_and_reports_for_none(
    database: Database, settings: Settings
) -> None:
    tokens = _ledger(database)
    client = client_for(settings)
    assert _post(client, tokens["street-1"]).status_code == 201

    refused = _post(client, tokens["jiedao"])
    named = _post(client, tokens["jiedao"], unit="street-2")

    assert refused.status_code == 403 and "reports for none" in refused.text
    assert named.status_code == 403
    assert _reports(client, tokens["jiedao"]) == ["street-1"]
    (measure,) = client.get("/api/units/jiedao/measures", headers=tokens["jiedao"]).json()
    assert measure["status"] == "in_progress"  # one of two members is done
    assert [(m["unit"], m["status"]) for m in measure["members"]] == [
        ("street-1", "done"),
        ("street-2", "planned"),
    ]
    assert measure["progress"] == ["街道办事处 1/2 已完成（未完成：示例街道二）"]
    with database.unit_of_work() as session:
        assert session.scalar(select(Report.id).where(Report.unit_id.is_(None))) is None


def test_a_collective_the_plan_lets_report_for_members_names_one(
    database: Database, settings: Settings
) -> None:
    tokens = _ledger(database, reports_for_members=True)
    client = client_for(settings)

    unnamed = _post(client, tokens["jiedao"])
    for_member = _post(client, tokens["jiedao"], unit="street-2")
    outsider = _post(client, tokens["jiedao"], unit="office")

    assert unnamed.status_code == 403 and "street-1, street-2" in unnamed.text
    assert for_member.status_code == 201, for_member.text
    assert outsider.status_code == 403
    assert _reports(client, tokens["street-2"]) == ["street-2"]
    assert _reports(client, tokens["street-1"]) == []


def test_a_members_view_carries_its_latest_report_text(database: Database, settings: Settings) -> None:
    """A member sees the text of its own latest standing report (a correction replaces what it corrects);
    the collective sees each member's; a member that has not reported has none."""
    tokens = _ledger(database)
    client = client_for(settings)
    first = _post(client, tokens["street-1"], text="已排查沿街商户120户。", claimed_status="in_progress")
    assert first.status_code == 201
    corrected = _post(
        client,
        tokens["street-1"],
        text="已排查沿街商户126户。",
        claimed_status="in_progress",
        supersedes=first.json()["id"],
    )
    assert corrected.status_code == 201, corrected.text

    (mine,) = client.get("/api/units/street-1/measures", headers=tokens["street-1"]).json()
    assert mine["last_report"]["text"] == "已排查沿街商户126户。"
    (theirs,) = client.get("/api/units/street-2/measures", headers=tokens["street-2"]).json()
    assert theirs["last_report"] is None
    (measure,) = client.get("/api/units/jiedao/measures", headers=tokens["jiedao"]).json()
    assert [(m["unit"], m["last_report_text"]) for m in measure["members"]] == [
        ("street-1", "已排查沿街商户126户。"),
        ("street-2", None),
    ]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["MemberShareOut"]
    assert schema["properties"]["last_report_text"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
