"""The coordinators' and leaders' desk in-process: sign-in by role link, the overview and its filters, the
review desk (销号, 退回, reopen, 延期 decisions) through the CLI's rules, the ranking and messages pages, and
every write refused for a leader; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.enums import DeliveryStatus, MeasureStatus
from models.settings import Settings
from models.tables import Delivery, ExtensionRequest, Measure, StatusEvent
from tests.support.desk import DeskLedger, add_failed_delivery, build_desk_ledger
from tests.support.portal import link_path, portal_settings


@pytest.fixture
def desk(settings: Settings, database: Database) -> Iterator[tuple[TestClient, DeskLedger, Database]]:
    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config)
    with TestClient(create_app(config)) as client:
        yield client, ledger, database


def sign_in(client: TestClient, ledger: DeskLedger, who: str) -> str:
    answer = client.get(link_path(ledger.links[who]), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk"
    page = client.get("/desk/review")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    return found.group(1) if found else csrf_from_logout(client)


def csrf_from_logout(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/logout").text)
    assert found is not None
    return found.group(1)


def status_of(database: Database, code: str) -> MeasureStatus:
    with database.unit_of_work() as session:
        return session.scalar(select(Measure.status).where(Measure.code == code))  # type: ignore[return-value]


def events_of(database: Database, code: str) -> list[tuple[str, str, str]]:
    with database.unit_of_work() as session:
        rows = session.execute(
            select(StatusEvent.kind, StatusEvent.actor, StatusEvent.reason)
            .join(Measure)
            .where(Measure.code == code)
            .order_by(StatusEvent.id)
        )
        return [(str(k), a, r) for k, a, r in rows]


def test_the_cli_prints_a_desk_link_for_a_coordinator(
    cli: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "https://zg.example")
    result = cli("token", "issue", "--role", "coordinator", "--link")
    assert result.exit_code == 0, result.output
    assert re.search(r"https://zg\.example/signin/\d+\.\d+\.[\w-]+\?next=/desk", result.stdout)


def test_a_role_link_lands_on_the_desk_and_a_unit_is_kept_out(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    assert client.get("/", follow_redirects=False).headers["location"] == "/desk"
    unit_client = TestClient(client.app)
    unit_client.get(link_path(ledger.portal.links["unit"]))
    assert unit_client.get("/desk", follow_redirects=False).headers["location"] == "/"
    assert unit_client.get("/desk/review", follow_redirects=False).status_code == 303
    anonymous = TestClient(client.app)
    assert anonymous.get("/desk", follow_redirects=False).headers["location"] == "/signin"


def test_the_overview_counts_as_the_notice_and_links_each_number(desk: Any) -> None:
    from datetime import UTC, datetime

    from models.enums import EventKind

    client, ledger, database = desk
    with database.unit_of_work() as session:
        overdue = session.scalar(select(Measure).where(Measure.code == ledger.portal.overdue))
        for level in ("blue", "yellow"):
            session.add(
                StatusEvent(
                    measure=overdue,
                    at=datetime.now(UTC),
                    actor="sweep",
                    kind=EventKind.ESCALATION,
                    to_value=level,
                )
            )
        session.commit()
    sign_in(client, ledger, "leader")
    page = client.get("/desk").text
    # JA-1 in progress, JA-2 overdue, JA-3 closed, JB-1, JB-2 (ongoing), JA-4 and JA-5 done: 7 measures.
    assert re.search(r'id="count-measures"[^>]*><span class="n">7</span>', page)
    assert re.search(r'id="count-done"[^>]*><span class="n">3</span>', page)
    assert re.search(r'id="count-closed"[^>]*><span class="n">1</span>', page)
    assert re.search(r'id="count-overdue"[^>]*><span class="n">1</span>', page)
    assert re.search(r'id="count-in_progress"[^>]*><span class="n">3</span>', page)
    assert re.search(r'id="count-due_today"[^>]*><span class="n">0</span>', page) and "今日到期0项" in page
    assert '<span class="n" id="rate">42.9%</span>' in page  # 3 of 7, as the notice rounds it
    assert 'href="/desk/r/portal-round?state=overdue#measures"' in page
    assert "红" in page and "lamp light-red" in page
    assert page.count('<svg class="chart"') == 2 and "<title>各单位红黄绿灯</title>" in page
    assert 'src="http' not in page and 'href="http' not in page  # nothing from another host
    overdue = client.get("/desk/r/portal-round", params={"state": "overdue"}).text
    assert re.findall(r'data-code="([^"]+)"', overdue) == [ledger.portal.overdue]
    unit_b = client.get("/desk/r/portal-round", params={"unit": ledger.portal.other}).text
    assert sorted(re.findall(r'data-code="([^"]+)"', unit_b)) == ["JB-1", "JB-2"]
    red = client.get("/desk/r/portal-round", params={"light": "red"}).text
    assert ledger.portal.overdue in re.findall(r'data-code="([^"]+)"', red)
    by_leader = client.get("/desk/r/portal-round", params={"leader": "leader-li"}).text
    assert sorted(re.findall(r'data-code="([^"]+)"', by_leader)) == [
        ledger.portal.due_soon,
        ledger.portal.overdue,
    ]
    assert '<option value="leader-li" selected>分管副局长</option>' in by_leader
    found = client.get("/desk/r/portal-round", params={"q": "门前三包"}).text
    assert re.findall(r'data-code="([^"]+)"', found) == [ledger.claimed]
    assert client.get("/desk/r/no-such-round").status_code == 404
    assert re.search(r'id="unit-jiedao-a".*?<td>黄色督办</td>', page, re.S)
    assert "督办</td>" not in page.split('id="unit-jiedao-b"')[1].split("</tr>")[0]


def test_a_coordinator_accepts_returns_reopens_and_decides_an_extension(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, ledger, database = desk
    # No Prefect API here, whatever an earlier test of the session configured (the sync against the harness
    # is tests/e2e/test_api_prefect.py's).
    monkeypatch.setattr("tasks.reports.intake.prefect_api_configured", lambda: False)
    csrf = sign_in(client, ledger, "coordinator")
    review = client.get("/desk/review").text
    assert ledger.photo_sha in review and f"/desk/files/{ledger.photo_sha}" in review
    assert client.get(f"/desk/files/{ledger.photo_sha}").content[:2] == b"\xff\xd8"

    answer = client.post(
        f"/desk/measures/{ledger.claimed}/accept", data={"csrf": csrf, "note": "现场核查，台账齐全"}
    )
    assert answer.status_code == 200 and "已销号" in answer.text
    assert "deployment not synced" in answer.text  # no Prefect configured: said, and the review stands
    assert status_of(database, ledger.claimed) == MeasureStatus.CLOSED
    history = events_of(database, ledger.claimed)
    assert any(k == "review" and a.startswith("desk ") and r == "现场核查，台账齐全" for k, a, r in history)

    client.post(f"/desk/measures/{ledger.weak}/return", data={"csrf": csrf, "reason": "缺少现场照片"})
    assert status_of(database, ledger.weak) == MeasureStatus.IN_PROGRESS
    assert any(a.startswith("desk ") and r == "缺少现场照片" for _k, a, r in events_of(database, ledger.weak))

    empty = client.post(f"/desk/measures/{ledger.claimed}/reopen", data={"csrf": csrf, "reason": " "})
    assert empty.status_code == 422 and status_of(database, ledger.claimed) == MeasureStatus.CLOSED
    client.post(f"/desk/measures/{ledger.claimed}/reopen", data={"csrf": csrf, "reason": "复查发现问题反弹"})
    assert status_of(database, ledger.claimed) == MeasureStatus.IN_PROGRESS
    twice = client.post(f"/desk/measures/{ledger.weak}/accept", data={"csrf": csrf, "note": "再次"})
    assert twice.status_code == 422  # in progress now: the CLI's rule refuses 销号

    refused = client.post(f"/desk/extensions/{ledger.extension_id}/refuse", data={"csrf": csrf, "note": ""})
    assert refused.status_code == 422
    client.post(f"/desk/extensions/{ledger.extension_id}/approve", data={"csrf": csrf, "note": "同意"})
    with database.unit_of_work() as session:
        extension = session.get(ExtensionRequest, ledger.extension_id)
        assert extension is not None and extension.status == "approved"
        assert extension.original_deadline is not None and extension.original_deadline < ledger.requested
        measure = session.scalar(select(Measure).where(Measure.code == ledger.extension_measure))
        assert measure is not None and measure.deadline == ledger.requested
        assert extension.decided_by.startswith("desk ")


def test_every_form_needs_the_csrf_token_and_no_get_changes_anything(desk: Any) -> None:
    client, ledger, database = desk
    sign_in(client, ledger, "coordinator")
    answer = client.post(f"/desk/measures/{ledger.claimed}/accept", data={"note": "x"})
    assert answer.status_code == 403
    assert client.get(f"/desk/measures/{ledger.claimed}/accept").status_code in (404, 405)
    forged = client.post(f"/desk/extensions/{ledger.extension_id}/approve", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert status_of(database, ledger.claimed) == MeasureStatus.DONE


def test_a_leader_reads_everything_and_every_write_is_refused(desk: Any) -> None:
    client, ledger, database = desk
    csrf = sign_in(client, ledger, "leader")
    # The header names the role as it is: a leader reads everything and signs off the notice.
    assert '<span class="who">领导（查阅、签发通报）</span>' in client.get("/desk").text
    for path in (
        "/desk",
        "/desk/review",
        "/desk/ranking",
        "/desk/messages",
        f"/desk/files/{ledger.photo_sha}",
    ):
        assert client.get(path).status_code == 200, path
    review = client.get("/desk/review").text
    assert "领导账号" in review and 'action="/desk/measures/' not in review and "/approve" not in review
    for path, data in [
        (f"/desk/measures/{ledger.claimed}/accept", {"note": "领导销号"}),
        (f"/desk/measures/{ledger.weak}/return", {"reason": "领导退回"}),
        (f"/desk/measures/{ledger.portal.closed}/reopen", {"reason": "领导重开"}),
        (f"/desk/extensions/{ledger.extension_id}/approve", {"note": ""}),
        (f"/desk/extensions/{ledger.extension_id}/refuse", {"note": "不同意"}),
    ]:
        answer = client.post(path, data={"csrf": csrf, **data})
        assert answer.status_code == 403 and "只能查看" in answer.text, path
    api = client.post(
        f"/api/measures/{ledger.claimed}/accept",
        json={"note": "领导销号"},
        headers={"Authorization": f"Bearer {ledger.portal.tokens['leader']}"},
    )
    assert api.status_code == 403
    assert status_of(database, ledger.claimed) == MeasureStatus.DONE
    assert status_of(database, ledger.portal.closed) == MeasureStatus.CLOSED
    with database.unit_of_work() as session:
        extension = session.get(ExtensionRequest, ledger.extension_id)
        assert extension is not None and extension.status == "pending"


def test_the_messages_page_masks_recipients_and_links_and_resends_a_failure(desk: Any) -> None:
    client, ledger, database = desk

    add_failed_delivery(database, "desk-test|1")
    csrf = sign_in(client, ledger, "leader")
    page = client.get("/desk/messages").text
    assert 'id="trouble"' in page and "发送失败" in page and "connection refused" in page
    assert "SECRETSIGNATURE" not in page and "/signin/7.1999999999.***" in page
    assert "z***@example.gov.cn" in page and "/resend" not in page
    with database.unit_of_work() as session:
        delivery_id = session.scalar(select(Delivery.id).where(Delivery.key == "desk-test|1"))
    refused = client.post(f"/desk/messages/{delivery_id}/resend", data={"csrf": csrf})
    assert refused.status_code == 403

    coordinator = TestClient(client.app)
    csrf = sign_in(coordinator, ledger, "coordinator")
    assert f'action="/desk/messages/{delivery_id}/resend"' in coordinator.get("/desk/messages").text
    answer = coordinator.post(f"/desk/messages/{delivery_id}/resend", data={"csrf": csrf})
    assert answer.status_code == 200 and "已重新排入发送队列" in answer.text
    with database.unit_of_work() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.PENDING
        assert delivery.error.startswith("resent after: ")
    again = coordinator.post(f"/desk/messages/{delivery_id}/resend", data={"csrf": csrf})
    assert again.status_code == 422


def test_the_messages_page_shows_a_message_waiting_for_its_endpoints_rate_limit(desk: Any) -> None:
    client, ledger, database = desk
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        session.add(
            Delivery(
                key="desk-test|queued",
                kind="overdue",
                recipient_masked="dingtalk://…/…",
                channel="dingtalk",
                title="逾期提醒",
                body="",
                status=DeliveryStatus.QUEUED,
                error="",
                due_at=now + timedelta(seconds=40),
                created_at=now,
            )
        )
        session.commit()
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk/messages").text
    assert "排队（频率限制）" in page and "逾期提醒" in page


def test_the_ranking_page_answers_without_a_formula_or_with_a_bad_period(desk: Any) -> None:
    client, ledger, _db = desk
    sign_in(client, ledger, "coordinator")
    assert client.get("/desk/ranking").status_code == 200
    bad = client.get("/desk/ranking", params={"period": "not-a-period"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_the_today_panel_links_newly_overdue_measures_and_the_days_escalations(desk: Any) -> None:
    import io
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from models.enums import EventKind
    from models.workdays import add_workdays

    client, ledger, database = desk
    config: Settings = client.app.state.settings
    clock = config.clock()
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=1)
    with database.unit_of_work() as session:
        slipped = session.scalar(select(Measure).where(Measure.code == ledger.extension_measure))
        overdue = session.scalar(select(Measure).where(Measure.code == ledger.portal.overdue))
        assert slipped is not None and overdue is not None
        slipped.deadline = add_workdays(clock.calendar, clock.today, -1)  # overdue since today
        for measure, level, at in [(overdue, "red", clock.now), (slipped, "blue", yesterday)]:
            session.add(
                StatusEvent(measure=measure, at=at, actor="sweep", kind=EventKind.ESCALATION, to_value=level)
            )
        session.commit()
    sign_in(client, ledger, "leader")
    page = client.get("/desk").text
    today = page.split('id="today"')[1].split("</p>")[0]
    assert 'href="/desk/r/portal-round?state=newly_overdue#measures">新增逾期1项</a>' in today
    assert "逾期共" in today and re.search(r">2项</a>", today)  # JA-2 and JA-1: one of them newly
    assert 'href="/desk/r/portal-round?state=escalated_today#measures">今日督办1项</a>' in today
    assert 'id="escalations"' not in page  # the list of steps comes with its filter
    newly = client.get("/desk/r/portal-round", params={"state": "newly_overdue"}).text
    assert re.findall(r'data-code="([^"]+)"', newly) == [ledger.extension_measure]
    assert '<option value="newly_overdue" selected>新增逾期</option>' in newly
    escalated = client.get("/desk/r/portal-round", params={"state": "escalated_today"}).text
    assert re.findall(r'data-code="([^"]+)"', escalated) == [ledger.portal.overdue]
    steps = re.findall(
        r'<tr data-escalation="([^"]+)"><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>',
        escalated,
    )
    assert steps == [(ledger.portal.overdue, "红色督办", "新华路街道办事处")]
    answer = client.get("/desk/r/portal-round/overview.xlsx", params={"state": "escalated_today"})
    workbook = load_workbook(io.BytesIO(answer.content))
    assert workbook.sheetnames == ["总览", "各单位", "措施清单", "今日督办"]
    counts = {row[0]: row[1] for row in workbook["总览"].iter_rows(min_row=2, values_only=True)}
    assert counts["新增逾期"] == 1 and counts["今日督办"] == 1 and counts["逾期"] == 2
    rows = list(workbook["今日督办"].iter_rows(min_row=2, values_only=True))
    assert [row[:4] for row in rows] == [(ledger.portal.overdue, rows[0][1], "红色督办", "新华路街道办事处")]
    nothing = client.get("/desk/r/portal-round/overview.xlsx", params={"state": "newly_overdue"})
    codes = [
        row[0]
        for row in load_workbook(io.BytesIO(nothing.content))["措施清单"].iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert codes == [ledger.extension_measure]


def test_the_overview_exports_to_excel_with_its_filters(desk: Any) -> None:
    import io

    from openpyxl import load_workbook

    client, ledger, _db = desk
    sign_in(client, ledger, "leader")
    page = client.get("/desk/r/portal-round", params={"state": "overdue"}).text
    assert 'href="/desk/r/portal-round/overview.xlsx?state=overdue"' in page
    answer = client.get("/desk/r/portal-round/overview.xlsx", params={"state": "overdue"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    workbook = load_workbook(io.BytesIO(answer.content))
    assert workbook.sheetnames == ["总览", "各单位", "措施清单"]
    counts = {row[0]: row[1] for row in workbook["总览"].iter_rows(min_row=2, values_only=True)}
    assert counts["整改措施"] == 7 and counts["完成率（%）"] == 42.9
    codes = [row[0] for row in workbook["措施清单"].iter_rows(min_row=2, values_only=True)]
    assert codes == [ledger.portal.overdue]
    assert client.get("/desk/overview.xlsx").status_code == 200


def test_a_unit_sees_its_own_score_and_the_desk_the_ranking(desk: Any) -> None:
    client, ledger, _db = desk
    unit = TestClient(client.app)
    unit.get(link_path(ledger.portal.links["unit"]))
    assert 'href="/score"' in unit.get("/").text
    page = unit.get("/score")
    assert page.status_code == 200 and "本单位考核得分" in page.text
    assert "总分" in page.text and "扣分" in page.text and ledger.portal.overdue in page.text
    assert "格式" in unit.get("/score", params={"period": "bad"}).text
    sign_in(client, ledger, "coordinator")
    ranking = client.get("/desk/ranking").text
    assert 'class="grid ranking"' in ranking and "新华路街道办事处" in ranking


def test_with_several_rounds_the_desk_opens_the_first_and_links_the_others(desk: Any) -> None:
    from tests.factories import make_round

    client, ledger, database = desk
    with database.unit_of_work() as session:
        make_round(session, code="zz-later-round")
        session.commit()
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk").text
    assert "整改总览 · portal-round" in page and 'href="/desk/r/zz-later-round"' in page
    forged = client.get("/desk/review", params={"done": "accept", "sync": "请拨打电话 123"}).text
    assert "请拨打电话" not in forged
