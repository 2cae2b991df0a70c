"""督办单 in the portal, in-process on SQLite and PostgreSQL: the measure's page lists its sheets, the unit reads
and downloads its own (another unit cannot), signs for it (签收) and replies (a written text through the
text rule, or a report that answers it), each kept with who and when; the desk lists them with the answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.settings import Settings
from models.tables import DubanResponse, Measure, Report, utcnow
from tasks.reports.signin import sign_in_link
from tests.factories import make_report
from tests.integration.test_portal import csrf_of, form_key_of
from tests.support.duban import issue_portal_sheets
from tests.support.portal import PortalLedger, build_portal_ledger, link_path, portal_settings


@pytest.fixture
def duban_portal(
    settings: Settings, database: Database
) -> Iterator[tuple[TestClient, PortalLedger, list[str]]]:
    config = portal_settings(settings)
    ledger = build_portal_ledger(database, config)
    refs = issue_portal_sheets(database, config, ledger.overdue)
    with TestClient(create_app(config)) as client:
        yield client, ledger, refs


def sign_in(client: TestClient, ledger: PortalLedger, who: str, next_path: str = "") -> Any:
    suffix = f"?next={next_path}" if next_path else ""
    return client.get(link_path(ledger.links[who]) + suffix, follow_redirects=False)


def responses(database: Database) -> list[tuple[str, str, int | None, str]]:
    with database.unit_of_work() as session:
        rows = session.scalars(select(DubanResponse).order_by(DubanResponse.id))
        return [(r.kind, r.text, r.report_id, r.actor) for r in rows]


def test_the_unit_reads_downloads_signs_and_replies(duban_portal: Any, database: Database) -> None:
    client, ledger, refs = duban_portal
    assert refs, "the overdue measure has reached 蓝色督办 at least"
    ref = refs[0]
    answer = sign_in(client, ledger, "unit", f"/duban/{ref}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/duban/{ref}"
    measure_page = client.get(f"/m/{ledger.overdue}")
    assert f'href="/duban/{ref}"' in measure_page.text and "待签收" in measure_page.text
    page = client.get(f"/duban/{ref}")
    assert page.status_code == 200 and "整改事项蓝色督办单" in page.text and "尚未签收" in page.text
    word = client.get(f"/duban/{ref}/docx")
    assert word.status_code == 200 and word.content[:2] == b"PK"
    assert "attachment" in word.headers["content-disposition"]
    assert client.get(f"/duban/{ref}/pdf").status_code == 404  # not stored here
    # 签收: a post with the session's CSRF token; twice records once.
    csrf = csrf_of(page.text)
    assert client.post(f"/duban/{ref}/ack", data={"csrf": "forged"}).status_code == 403
    for _ in range(2):
        done = client.post(f"/duban/{ref}/ack", data={"csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/duban/{ref}?done=ack"
    assert [r[0] for r in responses(database)] == ["ack"]
    # A reply with nothing in it is refused next to its field, and nothing is kept.
    page = client.get(f"/duban/{ref}")
    empty = client.post(f"/duban/{ref}/reply", data={"csrf": csrf, "text": "  ", "form_key": "k0"})
    assert empty.status_code == 422 and "请填写书面回复" in empty.text
    # A written reply: line breaks normalised, invisible characters dropped; a double tap keeps one.
    text = "已完成背街小巷清理\r\n下一步建立长效保洁机制\u200b"
    form = {"csrf": csrf, "text": text, "form_key": form_key_of(page.text)}
    for _ in range(2):
        done = client.post(f"/duban/{ref}/reply", data=form, follow_redirects=False)
        assert done.status_code == 303
    [(kind, kept, report, actor)] = responses(database)[1:]
    assert (kind, kept, report) == ("reply", "已完成背街小巷清理\n下一步建立长效保洁机制", None)
    assert actor.startswith("portal ") and "unit联络员" in actor  # who replied, with the time (below)
    page = client.get(f"/duban/{ref}")
    assert "已签收" in page.text and "下一步建立长效保洁机制" in page.text
    assert "已回复" in client.get(f"/m/{ledger.overdue}").text


def test_a_report_answers_a_sheet_and_a_report_elsewhere_does_not(
    duban_portal: Any, database: Database
) -> None:
    client, ledger, refs = duban_portal
    with database.unit_of_work() as session:
        measures = {m.code: m for m in session.scalars(select(Measure))}
        own = make_report(session, measures[ledger.overdue], text="清理完成，附照片").id
        other = make_report(session, measures[ledger.due_soon], text="另一项措施的报告").id
        session.commit()
    sign_in(client, ledger, "unit")
    page = client.get(f"/duban/{refs[0]}")
    assert f'<option value="{own}"' in page.text and f'value="{other}"' not in page.text
    csrf = csrf_of(page.text)
    refused = client.post(f"/duban/{refs[0]}/reply", data={"csrf": csrf, "report": str(other)})
    assert refused.status_code == 422 and "不是本单位对这项整改措施的报告" in refused.text
    assert (
        client.post(
            f"/duban/{refs[0]}/reply", data={"csrf": csrf, "report": str(own)}, follow_redirects=False
        ).status_code
        == 303
    )
    # A reply signs for the sheet too.
    assert [r[:3] for r in responses(database)] == [("ack", "", None), ("reply", "", own)]
    assert f"见第{own}号进展报告" in client.get(f"/duban/{refs[0]}").text
    with database.unit_of_work() as session:
        assert session.get(Report, own) is not None


def test_another_unit_cannot_read_download_or_sign(duban_portal: Any, database: Database) -> None:
    client, ledger, refs = duban_portal
    sign_in(client, ledger, "other")
    assert client.get(f"/duban/{refs[0]}").status_code == 404
    assert client.get(f"/duban/{refs[0]}/docx").status_code == 404
    assert client.get("/duban/2099-77").status_code == 404
    csrf = csrf_of(client.get("/logout").text)
    assert client.post(f"/duban/{refs[0]}/ack", data={"csrf": csrf}).status_code == 404
    assert (
        client.post(f"/duban/{refs[0]}/reply", data={"csrf": csrf, "text": "不是我们的"}).status_code == 404
    )
    assert responses(database) == []


def test_the_desk_lists_sheets_with_their_answers_and_reads_them(
    duban_portal: Any, database: Database, settings: Settings
) -> None:
    client, ledger, refs = duban_portal
    config = portal_settings(settings)
    sign_in(client, ledger, "unit")
    page = client.get(f"/duban/{refs[0]}")
    client.post(f"/duban/{refs[0]}/reply", data={"csrf": csrf_of(page.text), "text": "正在整改"})
    with database.unit_of_work() as session:
        link = sign_in_link(session, config, ledger.token_ids["coordinator"], now=utcnow(), path="/desk")
        session.commit()
    desk = TestClient(client.app)
    assert desk.get(link_path(link), follow_redirects=False).headers["location"] == "/desk"
    listing = desk.get("/desk/duban")
    assert listing.status_code == 200 and f'href="/duban/{refs[0]}"' in listing.text
    assert "正在整改" in listing.text and "unit联络员" in listing.text
    sheet = desk.get(f"/duban/{refs[0]}")
    assert sheet.status_code == 200 and "正在整改" in sheet.text and "提交回复" not in sheet.text
    assert desk.get(f"/duban/{refs[0]}/docx").status_code == 200
    # A coordinator reads; only the unit signs.
    assert (
        desk.post(
            f"/duban/{refs[0]}/ack", data={"csrf": csrf_of(desk.get("/logout").text)}, follow_redirects=False
        ).headers["location"]
        == "/desk"
    )
