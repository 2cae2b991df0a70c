"""The desk's recurring checks and deadlines in-process: the list, the preview of the next runs, the diff
``plan load --dry-run`` shows, saving through the plan's rules (history, a later re-load keeps it, ``plan
export`` writes it), a measure added with the problem's next code, and a leader refused; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.settings import Settings
from models.tables import Measure
from tests.integration.test_desk import events_of, sign_in
from tests.support.desk import DeskLedger, build_desk_ledger
from tests.support.portal import portal_settings


@pytest.fixture
def desk(settings: Settings, database: Database) -> Iterator[tuple[TestClient, DeskLedger, Database]]:
    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config)
    with TestClient(create_app(config)) as client:
        yield client, ledger, database


def cadence_of(database: Database, code: str) -> str | None:
    with database.unit_of_work() as session:
        return session.scalar(select(Measure.cadence).where(Measure.code == code))


def fields(code: str = "JA-1", **values: str) -> dict[str, str]:
    """The form as the preview page posts it: measure ``code`` as the desk ledger has it, changed by
    ``values`` ("" adds a measure)."""
    form = {"code": code, "round": "portal-round", "lead_unit": "jiedao-a", "leader": "leader-li"}
    form |= {"deadline": "长期坚持", "cadence": "", "problem": "1", "marker": "", "text": ""}
    if code == "JA-1":  # due in four days, checked every Monday
        form |= {"deadline": str(portal_settings(Settings()).clock().today + timedelta(days=4))}
        form |= {"cadence": "每周一 09:00"}
    return form | values


def desk_edits(database: Database, code: str) -> list[str]:
    """The edits the desk recorded on a measure (its history's ``edit`` events by ``desk …``)."""
    return [r for kind, actor, r in events_of(database, code) if kind == "edit" and actor.startswith("desk ")]


def test_the_list_shows_cadence_deadline_owner_leader_and_reminders(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk/checks")
    assert page.status_code == 200
    row = re.search(r'<tr id="m-JA-1">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "每周一 09:00" in row.group(1) and "新华路街道办事处" in row.group(1)
    assert "分管副局长" in row.group(1) and "到期前5、3、1、0个工作日" in row.group(1)
    assert "/desk/checks/new?round=portal-round&amp;problem=1" in page.text
    assert "/deployment" not in page.text and "未设置 PREFECT_UI_URL" in page.text


def test_with_a_prefect_ui_each_measure_links_to_its_deployment_and_last_run(
    settings: Settings, database: Database
) -> None:
    config = portal_settings(settings, prefect_ui_url="http://127.0.0.1:4200")
    ledger = build_desk_ledger(database, config)
    with TestClient(create_app(config)) as client:
        sign_in(client, ledger, "coordinator")
        page = client.get("/desk/checks")
        assert 'href="/desk/checks/JA-1/deployment"' in page.text
        assert 'href="/desk/checks/JA-1/last-run"' in page.text


def test_the_preview_shows_ten_runs_and_a_wrong_phrase_as_a_field_message(desk: Any) -> None:
    client, ledger, database = desk
    sign_in(client, ledger, "coordinator")
    good = client.get("/desk/checks/JA-1", params=fields(cadence="每周二 10:00", preview="1"))
    assert good.status_code == 200
    assert good.text.count('<tr class="run') == 10
    assert 'action="/desk/checks/diff"' in good.text
    bad = client.get("/desk/checks/JA-1", params=fields(cadence="每周八 25点", preview="1"))
    assert bad.status_code == 422
    assert 'id="error-cadence"' in bad.text and "unknown cadence" in bad.text
    assert 'action="/desk/checks/diff"' not in bad.text
    deadline = client.get("/desk/checks/JA-1", params=fields(deadline="明年", preview="1"))
    assert deadline.status_code == 422 and 'id="error-deadline"' in deadline.text
    assert cadence_of(database, "JA-1") == "每周一 09:00"


def test_saving_shows_the_plan_diff_then_writes_through_the_plans_rules(
    desk: Any, cli: Any, tmp_path: Path
) -> None:
    client, ledger, database = desk
    csrf = sign_in(client, ledger, "coordinator")
    older = tmp_path / "older.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(older)).exit_code == 0

    diff = client.post("/desk/checks/diff", data={"csrf": csrf, **fields(cadence="每周二 10:00")})
    assert diff.status_code == 200
    assert "~ JA-1 频次: 每周一 09:00 → 每周二 10:00" in diff.text
    assert cadence_of(database, "JA-1") == "每周一 09:00"  # the diff writes nothing

    saved = client.post(
        "/desk/checks/save", data={"csrf": csrf, **fields(cadence="每周二 10:00")}, follow_redirects=False
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "已保存 JA-1" in page.text
    # What the re-sync did, said: here Prefect is not configured (an earlier test may have configured one).
    assert re.search(r'id="sync">(deployment not synced: |deployments of round portal-round: )', page.text)
    assert cadence_of(database, "JA-1") == "每周二 10:00"
    assert desk_edits(database, "JA-1") == ["频次：每周一 09:00 → 每周二 10:00"]

    current = tmp_path / "current.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(current)).exit_code == 0
    assert "cadence: 每周二 10:00" in current.read_text(encoding="utf-8")
    reload = cli("plan", "load", str(older), "--dry-run")
    assert reload.exit_code == 0, reload.output
    assert "JA-1 频次: 每周二 10:00 (plan: 每周一 09:00) kept: changed in the ledger on" in reload.output
    assert "by desk token #" in reload.output


def test_a_measure_added_to_a_problem_continues_its_numbering_and_stays_on_reload(
    desk: Any, cli: Any, tmp_path: Path
) -> None:
    client, ledger, database = desk
    csrf = sign_in(client, ledger, "coordinator")
    older = tmp_path / "older.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(older)).exit_code == 0
    form = fields("", text="每周召开市容管理周例会，通报整改进度", cadence="每周一 09:00", marker="六是")
    preview = client.get("/desk/checks/new", params={**form, "preview": "1"})
    assert preview.status_code == 200 and preview.text.count('<tr class="run') == 10

    diff = client.post("/desk/checks/diff", data={"csrf": csrf, **form})
    assert "+ JA-6 added" in diff.text
    new_code = re.search(r'name="new_code" value="([^"]*)"', diff.text)
    assert new_code is not None and new_code.group(1) == "JA-6"
    saved = client.post("/desk/checks/save", data={"csrf": csrf, "new_code": "JA-6", **form})
    assert saved.status_code == 200 and "已保存 JA-6" in saved.text
    assert cadence_of(database, "JA-6") == "每周一 09:00"
    assert desk_edits(database, "JA-6") == ["措施：督办台新增"]

    exported = tmp_path / "current.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(exported)).exit_code == 0
    assert "code: JA-6" in exported.read_text(encoding="utf-8")
    reload = cli("plan", "load", str(older))
    assert reload.exit_code == 0, reload.output
    assert "JA-6 (not in the plan) kept" in reload.output
    assert cadence_of(database, "JA-6") == "每周一 09:00"


def test_an_addition_shown_with_a_code_taken_since_is_shown_again(desk: Any) -> None:
    client, ledger, database = desk
    csrf = sign_in(client, ledger, "coordinator")
    form = fields("", text="新增措施", new_code="JA-5")
    stale = client.post("/desk/checks/save", data={"csrf": csrf, **form})
    assert stale.status_code == 422 and "JA-5 已被占用" in stale.text
    assert cadence_of(database, "JA-6") is None


def test_an_unknown_unit_is_a_field_message(desk: Any) -> None:
    client, ledger, _database = desk
    csrf = sign_in(client, ledger, "coordinator")
    answer = client.post("/desk/checks/diff", data={"csrf": csrf, **fields(lead_unit="nowhere")})
    assert answer.status_code == 422
    assert 'id="error-lead_unit"' in answer.text


def test_a_leader_sees_the_pages_without_forms_and_every_post_is_refused(desk: Any) -> None:
    client, ledger, database = desk
    csrf = sign_in(client, ledger, "leader")
    for path in ("/desk/checks", "/desk/checks/JA-1", "/desk/checks/new?problem=1"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<form" not in page.text.replace('<form method="post" action="/logout"', ""), path
    for path in ("/desk/checks/diff", "/desk/checks/save"):
        answer = client.post(path, data={"csrf": csrf, **fields(cadence="每天")})
        assert answer.status_code == 403, path
    assert cadence_of(database, "JA-1") == "每周一 09:00"


def test_every_post_needs_the_csrf_token(desk: Any) -> None:
    client, ledger, database = desk
    sign_in(client, ledger, "coordinator")
    forged = client.post("/desk/checks/save", data={"csrf": "forged", **fields(cadence="每天")})
    assert forged.status_code == 403
    assert cadence_of(database, "JA-1") == "每周一 09:00"


def test_a_measures_own_reminders_are_saved_exported_kept_and_scheduled(
    desk: Any, cli: Any, tmp_path: Path
) -> None:
    import yaml

    from models.deadlines import deadline_schedule
    from models.schedules import exceptions_start
    from tasks.calendar.ledger import ledger_clock
    from tasks.ledger.queries import live_measures
    from tasks.schedule.deployments import wanted_deployment

    client, ledger, database = desk
    csrf = sign_in(client, ledger, "coordinator")
    older = tmp_path / "older.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(older)).exit_code == 0
    bad = client.get("/desk/checks/JA-1", params=fields(reminders="三天前", preview="1"))
    assert bad.status_code == 422 and 'id="error-reminders"' in bad.text

    diff = client.post("/desk/checks/diff", data={"csrf": csrf, **fields(reminders="0、2")})
    assert "~ JA-1 催办提醒: — → 2、0" in diff.text
    client.post("/desk/checks/save", data={"csrf": csrf, **fields(reminders="0、2")})
    assert desk_edits(database, "JA-1") == ["催办提醒：— → 2、0"]
    assert "到期前2、0个工作日" in client.get("/desk/checks").text

    current = tmp_path / "current.yaml"
    assert cli("plan", "export", "--round", "portal-round", "-o", str(current)).exit_code == 0
    (exported,) = [
        m for p in yaml.safe_load(current.read_text(encoding="utf-8"))["problems"] for m in p["measures"]
        if m["code"] == "JA-1"
    ]  # fmt: skip
    assert exported["reminders"] == [2, 0]
    reload = cli("plan", "load", str(older))
    assert reload.exit_code == 0, reload.output
    assert "JA-1 催办提醒: 2、0 (plan: —) kept" in reload.output

    clock = ledger_clock(database, portal_settings(Settings()))
    with database.unit_of_work() as session:
        (measure,) = live_measures(session, measure_code="JA-1")
        assert measure.reminder_offsets == [2, 0] and measure.deadline is not None
        wanted = wanted_deployment(measure, clock, reminder_offsets=[5, 3, 1, 0], reminder_hour=time(9))
        expected = deadline_schedule(
            measure.deadline, [2, 0], time(9), clock.calendar, exceptions_from=exceptions_start(clock.today)
        )
    assert [s.value for s in wanted.schedules if s.slug == "deadline"] == [expected.value]
