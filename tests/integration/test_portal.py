"""The units' portal in-process: sign-in by link and token, sessions, 我的任务, the measure page, the report
form, 签收 and 延期申请, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from flows.web.app import create_app
from models.db import Database
from models.settings import Settings
from models.tables import Acknowledgement, ExtensionRequest, Measure, Report, SigningKey
from tasks.reports.evidence import MAX_FILES_PER_REPORT
from tasks.reports.signin import LINK, mask_links, sign, signing_key
from tasks.reports.tokens import revoke_token
from tests.support.portal import (
    SECRET_TEXT,
    PortalLedger,
    build_portal_ledger,
    link_path,
    photo_bytes,
    portal_settings,
)


@pytest.fixture
def portal(settings: Settings, database: Database) -> Iterator[tuple[TestClient, PortalLedger, Settings]]:
    config = portal_settings(settings)
    ledger = build_portal_ledger(database, config)
    with TestClient(create_app(config)) as client:
        yield client, ledger, config


def signed_in(client: TestClient, ledger: PortalLedger, who: str = "unit") -> TestClient:
    answer = client.get(link_path(ledger.links[who]), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def form_key_of(html: str) -> str:
    found = re.search(r'name="form_key" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def count(database: Database, table: Any) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_link_signs_in_with_a_strict_cookie_and_works_again(portal: Any) -> None:
    client, ledger, _config = portal
    answer = client.get(link_path(ledger.links["unit"]), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "zg_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the public URL is http
    home = client.get("/")
    assert home.status_code == 200 and "我的任务" in home.text and 'lang="zh-CN"' in home.text
    # A chat app's preview opened it first: it still works.
    fresh = TestClient(client.app)
    assert fresh.get(link_path(ledger.links["unit"]), follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_behind_an_https_public_url(settings: Settings, database: Database) -> None:
    config = portal_settings(settings, public_url="https://zhenggai.example.gov.cn")
    ledger = build_portal_ledger(database, config)
    assert ledger.links["unit"].startswith("https://zhenggai.example.gov.cn/signin/")
    with TestClient(create_app(config), base_url="https://testserver") as client:
        answer = client.get(link_path(ledger.links["unit"]), follow_redirects=False)
    assert "Secure" in answer.headers["set-cookie"]


def test_home_lists_only_the_units_own_measures_most_urgent_first(portal: Any) -> None:
    client, ledger, _ = signed_in(*portal[:2]), portal[1], portal[2]
    html = client.get("/").text
    codes = re.findall(r'href="/m/([^"]+)"', html)
    # The shared measure is 长期坚持: it owes the round's monthly report (its ongoing cadence), which comes
    # before a deadline that is merely near.
    assert codes == [ledger.overdue, ledger.shared, ledger.due_soon, ledger.closed]
    assert ledger.secret not in html and SECRET_TEXT not in html
    assert "配合" in html and "待签收" in html and "逾期" in html
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日（周[一二三四五六日]）", html)
    # Another unit's measure is not found, and says nothing about it.
    other = client.get(f"/m/{ledger.secret}")
    assert other.status_code == 404 and SECRET_TEXT not in other.text


def test_without_a_session_pages_redirect_and_the_api_wants_a_bearer(portal: Any) -> None:
    client, ledger, _ = portal
    assert client.get("/", follow_redirects=False).headers["location"] == "/signin"
    signed_in(client, ledger)
    assert client.get("/api/me").status_code == 401  # the session cookie is not an API credential
    me = client.get("/api/me", headers={"Authorization": f"Bearer {ledger.tokens['unit']}"})
    assert me.json()["unit"] == ledger.unit


def test_the_measure_page_shows_the_facts_and_the_form(portal: Any) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.due_soon}").text
    for expected in [
        "市容环境秩序管理不到位",
        "开展占道经营专项整治",
        "新华路街道办事处",
        "分管副局长",
        "还剩",
        "工作日",
        "每周一 09:00",
        "下次报送",
    ]:
        assert expected in html, expected
    assert 'enctype="multipart/form-data"' in html and 'type="file" multiple' in html
    assert html.index("<textarea") < html.index('name="metric_name"')
    assert ".heic" in html and ".ofd" in html and ".wps" in html
    overdue = client.get(f"/m/{ledger.overdue}").text
    assert "已逾期" in overdue and "工作日" in overdue


def post_report(client: TestClient, code: str, html: str, **fields: Any) -> Any:
    files = fields.pop("files", [("evidence", ("现场照片.jpg", photo_bytes(), "image/jpeg"))])
    data = {
        "text": "已完成占道经营整治，清理摊点12处",
        "claimed_status": "in_progress",
        "metric_name": ["清理摊点", "", ""],
        "metric_value": ["12", "", ""],
        "metric_unit": ["处", "", ""],
        "csrf": csrf_of(html),
        "form_key": form_key_of(html),
    }
    data.update(fields)
    return client.post(f"/m/{code}/report", data=data, files=files, follow_redirects=False)


def test_a_report_with_a_photo_is_recorded_once_and_shown_in_the_timeline(
    portal: Any, database: Database
) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.due_soon}").text
    first = post_report(client, ledger.due_soon, html)
    assert first.status_code == 303 and first.headers["location"].startswith(
        f"/m/{ledger.due_soon}?done=report"
    )
    again = post_report(client, ledger.due_soon, html)  # a double tap: the same form key
    assert again.status_code == 303
    assert count(database, Report) == 1
    page = client.get(first.headers["location"]).text
    assert "报告已提交" in page and "清理摊点12处" in page and "清理摊点 12处" in page
    image = re.search(r'<img src="(/files/[0-9a-f]{64})" alt="现场照片.jpg"', page)
    assert image is not None
    photo = client.get(image.group(1))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    # The other unit cannot fetch it.
    other = TestClient(client.app)
    signed_in(other, ledger, "other")
    assert other.get(image.group(1)).status_code == 404


def test_a_unit_corrects_its_own_report(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.due_soon}").text
    post_report(client, ledger.due_soon, html, files=[])
    with database.unit_of_work() as session:
        report_id = session.scalar(select(Report.id))
    page = client.get(f"/m/{ledger.due_soon}").text
    assert f"/m/{ledger.due_soon}/correct/{report_id}" in page
    form = client.get(f"/m/{ledger.due_soon}/correct/{report_id}").text
    assert (
        "更正第" in form and "已完成占道经营整治" in form and f'name="supersedes" value="{report_id}"' in form
    )
    answer = post_report(
        client, ledger.due_soon, form, text="更正：清理摊点15处", supersedes=str(report_id), files=[]
    )
    assert answer.status_code == 303
    with database.unit_of_work() as session:
        supersedes = list(session.scalars(select(Report.supersedes_id).order_by(Report.id)))
    assert supersedes == [None, report_id]
    page = client.get(f"/m/{ledger.due_soon}").text
    assert "已被第" in page and "更正：清理摊点15处" in page


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"text": "   "}, "text-error", "请填写进展情况"),
        ({"metric_value": ["很多", "", ""]}, "metrics-error", "须是数字"),
        (
            {"files": [("evidence", ("病毒.exe", b"MZ\x90\x00", "application/octet-stream"))]},
            "evidence-error",
            "类型不能上传",
        ),
        (
            {"files": [("evidence", ("照片.jpg", b"not a jpeg", "image/jpeg"))]},
            "evidence-error",
            "内容与扩展名不符",
        ),
        (
            {"files": [("evidence", ("大文件.pdf", b"%PDF-" + b"0" * 2048, "application/pdf"))]},
            "evidence-error",
            "超过",
        ),
    ],
)
def test_form_errors_are_shown_next_to_the_field_and_nothing_is_saved(
    settings: Settings, database: Database, fields: dict[str, Any], field_id: str, message: str
) -> None:
    config = portal_settings(settings, evidence_max_bytes=1024)
    ledger = build_portal_ledger(database, config)
    with TestClient(create_app(config)) as client:
        signed_in(client, ledger)
        html = client.get(f"/m/{ledger.due_soon}").text
        answer = post_report(client, ledger.due_soon, html, **fields)
    assert answer.status_code == 422
    error = re.search(rf'id="{field_id}">([^<]+)<', answer.text)
    assert error is not None and message in error.group(1)
    assert count(database, Report) == 0
    assert not list((config.evidence_dir).rglob("*")) or all(
        p.is_dir() for p in config.evidence_dir.rglob("*")
    )


def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(
    portal: Any, database: Database
) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.due_soon}").text
    assert post_report(client, ledger.due_soon, html, csrf="forged").status_code == 403
    cross = client.post(
        f"/m/{ledger.due_soon}/ack", data={"csrf": csrf_of(html)}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert count(database, Report) == 0 and count(database, Acknowledgement) == 0


def test_acknowledging_puts_the_measure_after_the_unsigned_ones(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.overdue}").text
    assert 'action="/m/JA-2/ack"' in html
    for _ in range(2):  # signing twice records once
        answer = client.post(f"/m/{ledger.overdue}/ack", data={"csrf": csrf_of(html)}, follow_redirects=False)
        assert answer.status_code == 303
    assert count(database, Acknowledgement) == 1
    page = client.get(f"/m/{ledger.overdue}?done=ack").text
    assert "已签收" in page and 'action="/m/JA-2/ack"' not in page
    codes = re.findall(r'href="/m/([^"]+)"', client.get("/").text)
    assert codes[:2] == [ledger.shared, ledger.due_soon] and codes[2] == ledger.overdue


def test_a_changed_assignment_is_signed_for_again(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.due_soon}").text
    client.post(f"/m/{ledger.due_soon}/ack", data={"csrf": csrf_of(html)})
    assert 'action="/m/JA-1/ack"' not in client.get(f"/m/{ledger.due_soon}").text
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == ledger.due_soon))
        measure.deadline = measure.deadline + timedelta(days=7)
        session.commit()
    assert 'action="/m/JA-1/ack"' in client.get(f"/m/{ledger.due_soon}").text


def test_an_extension_request_stays_pending_and_keeps_the_deadline(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    html = client.get(f"/m/{ledger.overdue}").text
    with database.unit_of_work() as session:
        original = session.scalar(select(Measure.deadline).where(Measure.code == ledger.overdue))
    assert original is not None
    later = original + timedelta(days=30)
    empty = client.post(
        f"/m/{ledger.overdue}/extension",
        data={"csrf": csrf_of(html), "requested": str(later), "reason": " ", "form_key": form_key_of(html)},
    )
    assert empty.status_code == 422 and "请填写延期理由" in empty.text
    earlier = client.post(
        f"/m/{ledger.overdue}/extension",
        data={
            "csrf": csrf_of(html),
            "requested": str(original),
            "reason": "雨季",
            "form_key": form_key_of(html),
        },
    )
    assert earlier.status_code == 422 and re.search(r'id="deadline-error">[^<]*须晚于', earlier.text)
    data = {
        "csrf": csrf_of(html),
        "requested": str(later),
        "reason": "雨季施工受阻",
        "form_key": form_key_of(html),
    }
    for _ in range(2):  # a double tap records one request
        assert (
            client.post(f"/m/{ledger.overdue}/extension", data=data, follow_redirects=False).status_code
            == 303
        )
    with database.unit_of_work() as session:
        requests = [
            (r.status, r.original_deadline, r.requested_deadline)
            for r in session.scalars(select(ExtensionRequest))
        ]
        deadline = session.scalar(select(Measure.deadline).where(Measure.code == ledger.overdue))
    assert requests == [("pending", original, later)] and deadline == original
    page = client.get(f"/m/{ledger.overdue}").text
    assert "等待牵头部门审批" in page and "延期申请（待审批）" in page


def test_no_get_changes_anything(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    for path in [
        "/",
        f"/m/{ledger.due_soon}",
        f"/m/{ledger.due_soon}/ack",
        f"/m/{ledger.due_soon}/report",
        "/logout",
    ]:
        client.get(path)
    assert count(database, Acknowledgement) == 0 and count(database, Report) == 0
    assert client.get("/").status_code == 200  # /logout by GET only asks


def test_logout_ends_the_session(portal: Any) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    page = client.get("/logout").text
    answer = client.post("/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert answer.status_code == 303 and "logout" in "/logout"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_pasted_token_signs_in_and_a_role_token_lands_on_the_desk(portal: Any) -> None:
    client, ledger, _ = portal
    form = client.get("/signin").text
    wrong = client.post("/signin", data={"csrf": csrf_of(form), "token": "zg_nonsense"})
    assert wrong.status_code == 401 and "令牌无效" in wrong.text
    desk = TestClient(client.app)
    desk_form = desk.get("/signin").text
    coordinator = desk.post(
        "/signin",
        data={"csrf": csrf_of(desk_form), "token": ledger.tokens["coordinator"]},
        follow_redirects=False,
    )
    assert coordinator.status_code == 303 and coordinator.headers["location"] == "/desk"
    assert desk.get("/", follow_redirects=False).headers["location"] == "/desk"
    answer = client.post(
        "/signin", data={"csrf": csrf_of(form), "token": ledger.tokens["unit"]}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "我的任务" in client.get("/").text
    assert client.post("/signin", data={"csrf": "forged", "token": ledger.tokens["unit"]}).status_code == 403


def test_a_revoked_token_ends_its_link_and_its_session(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    with database.unit_of_work() as session:
        revoke_token(session, str(ledger.token_ids["unit"]), now=datetime.now(UTC))
        session.commit()
    assert client.get("/", follow_redirects=False).status_code == 303
    answer = TestClient(client.app).get(link_path(ledger.links["unit"]), follow_redirects=False)
    assert answer.status_code == 401 and "已被收回" in answer.text


def test_an_expired_or_forged_link_is_refused_with_the_reason(portal: Any, database: Database) -> None:
    client, ledger, _ = portal
    with database.unit_of_work() as session:
        key = signing_key(session, now=datetime.now(UTC))
        session.commit()
    stale = sign(key, LINK, ledger.token_ids["unit"], datetime.now(UTC) - timedelta(minutes=1))
    answer = client.get(f"/signin/{stale}", follow_redirects=False)
    assert answer.status_code == 401 and "链接已过期" in answer.text
    forged = link_path(ledger.links["unit"])[:-3] + "abc"
    assert "链接无效" in client.get(forged, follow_redirects=False).text
    assert count(database, SigningKey) == 1


def test_a_session_ends_with_its_lifetime(settings: Settings, database: Database) -> None:
    config = portal_settings(settings, session_ttl=timedelta(seconds=1))
    ledger = build_portal_ledger(database, config)
    with TestClient(create_app(config)) as client:
        answer = client.get(link_path(ledger.links["unit"]), follow_redirects=False)
    assert "Max-Age=1" in answer.headers["set-cookie"]


def test_links_are_masked(portal: Any) -> None:
    _, ledger, _ = portal
    masked = mask_links(f"请登录：{ledger.links['unit']} 报送进展")
    assert masked.endswith(".*** 报送进展") and ledger.links["unit"] not in masked


def test_pages_and_api_docs_name_no_other_host(portal: Any) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    for path in ["/", f"/m/{ledger.due_soon}", "/signin", "/logout", "/api/docs"]:
        html = client.get(path).text
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs and all(not re.match(r"^(https?:)?//", ref) for ref in refs), (path, refs)
        if path != "/api/docs":
            assert 'name="viewport"' in html
    assert "POST /api/reports" in client.get("/api/docs").text
    assert client.get("/static/portal.css").status_code == 200


def test_a_post_larger_than_every_file_allowed_gets_a_chinese_page(portal: Any, database: Database) -> None:
    client, ledger, config = portal
    signed_in(client, ledger)
    too_big = str(config.evidence_max_bytes * 21 + 2 * 1024 * 1024)
    answer = client.post(f"/m/{ledger.due_soon}/report", content=b"x", headers={"Content-Length": too_big})
    assert answer.status_code == 413 and "上传的文件合计超过" in answer.text
    assert count(database, Report) == 0


def test_a_post_with_far_too_many_files_gets_the_form_back_naming_the_field(
    portal: Any, database: Database
) -> None:
    client, ledger, _ = portal
    signed_in(client, ledger)
    csrf = csrf_of(client.get(f"/m/{ledger.due_soon}").text)
    files = [
        ("evidence", (f"照片{n}.jpg", b"\xff\xd8\xff", "image/jpeg")) for n in range(MAX_FILES_PER_REPORT + 5)
    ]
    answer = client.post(f"/m/{ledger.due_soon}/report", data={"csrf": csrf, "text": "已整改"}, files=files)
    assert answer.status_code == 413 and f"一次最多上传{MAX_FILES_PER_REPORT}个文件" in answer.text
    assert 'name="text"' in answer.text  # the form again, not a bare error
    assert count(database, Report) == 0


def test_home_flags_escalation_and_a_returned_done_claim(portal: Any, database: Database) -> None:
    from models.enums import EventKind, MeasureStatus
    from models.tables import StatusEvent

    client, ledger, _ = portal
    signed_in(client, ledger)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        overdue = session.scalar(select(Measure).where(Measure.code == ledger.overdue))
        due_soon = session.scalar(select(Measure).where(Measure.code == ledger.due_soon))
        assert overdue is not None and due_soon is not None
        session.add(
            StatusEvent(measure=overdue, at=now, actor="sweep", kind=EventKind.ESCALATION, to_value="blue")
        )
        session.add(
            StatusEvent(measure=due_soon, at=now, actor="督办室", kind=EventKind.REVIEW, to_value="return")
        )
        due_soon.status = MeasureStatus.IN_PROGRESS
        session.commit()
    html = client.get("/").text
    overdue_item = html[html.index('href="/m/JA-2"') : html.index("</li>", html.index('href="/m/JA-2"'))]
    assert "督办" in overdue_item
    page = client.get(f"/m/{ledger.due_soon}").text
    assert "已退回" in page
