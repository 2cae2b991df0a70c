"""The notice in the desk in-process: the preview as of a date with its 【待报送】 measures, the versions
with downloads and a comparison, and the editorial path (edit, hold, sign-off, publication) through the
CLI's rules, with a leader limited to the sign-off and a unit kept out; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.enums import DraftDecision, DraftStatus
from models.settings import Settings
from models.tables import GeneratedNotice, NoticeDecision, NoticeDraft, NoticeEdit, ReportHold
from tests.support.desk_notice import NEW_REPORT, NoticeDeskLedger, build_notice_desk_ledger, desk_session
from tests.support.portal import link_path, portal_settings


@pytest.fixture
def desk(settings: Settings, database: Database) -> Iterator[tuple[TestClient, NoticeDeskLedger, Database]]:
    config = portal_settings(settings)
    ledger = build_notice_desk_ledger(database, config)
    with TestClient(create_app(config)) as client:
        yield client, ledger, database


def _as(client: TestClient, ledger: NoticeDeskLedger, who: str) -> tuple[TestClient, str]:
    """A client of the same app signed in as ``who`` (coordinator, leader) and its CSRF token."""
    other = TestClient(client.app)
    return other, desk_session(other, link_path(ledger.desk.links[who]))


def _draft(database: Database, draft_id: int) -> NoticeDraft:
    with database.unit_of_work() as session:
        found = session.get(NoticeDraft, draft_id)
        assert found is not None
        session.expunge(found)
        return found


def test_the_preview_as_of_a_date_marks_the_measures_without_a_report(desk: Any) -> None:
    client, ledger, _db = desk
    coordinator, _csrf = _as(client, ledger, "coordinator")
    page = coordinator.get("/desk/notice")
    assert page.status_code == 200
    # JA-2, JA-3, JB-1 and JB-2 have no report; JA-1, JA-4 and JA-5 have one.
    assert sorted(re.findall(r'<li data-code="([^"]+)">', page.text)) == ["JA-2", "JA-3", "JB-1", "JB-2"]
    assert "4项措施截至" in page.text and "通报中标为【待报送】" in page.text
    frame = re.search(r'<iframe class="notice-frame" title="通报预览" src="([^"]+)"', page.text)
    assert frame is not None
    preview = coordinator.get(frame.group(1).replace("&amp;", "&"))
    assert preview.status_code == 200 and "关于巡察整改进展情况的通报" in preview.text
    assert "【待报送：新华路街道办事处】" in preview.text and NEW_REPORT in preview.text
    assert 'src="http' not in page.text + preview.text and 'href="http' not in page.text + preview.text

    earlier = coordinator.get("/desk/notice", params={"as_of": "2020-01-01"}).text
    assert len(re.findall(r'<li data-code="', earlier)) == 7  # before any report
    bad = coordinator.get("/desk/notice", params={"as_of": "去年"})
    assert bad.status_code == 422 and "2023-12-31 的格式" in bad.text
    unknown = coordinator.get("/desk/notice", params={"round": "nope"})
    assert unknown.status_code == 404 and "no round &#39;nope&#39;" in unknown.text


def test_versions_are_listed_downloaded_and_compared(desk: Any, settings: Settings) -> None:
    client, ledger, database = desk
    leader, _csrf = _as(client, ledger, "leader")  # reading is for leaders too
    first, second = ledger.versions
    page = leader.get("/desk/notice").text
    assert f'id="v{second}"' in page and f'id="v{first}"' in page
    docx = leader.get(f"/desk/notice/r/{ledger.round_code}/v{second}.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert (
        "wordprocessingml" in docx.headers["content-type"]
        and "attachment" in docx.headers["content-disposition"]
    )
    md = leader.get(f"/desk/notice/r/{ledger.round_code}/v{second}.md")
    assert md.status_code == 200 and NEW_REPORT in md.text
    assert leader.get(f"/desk/notice/r/{ledger.round_code}/v{second}.pdf").status_code == 404  # none recorded
    assert leader.get(f"/desk/notice/r/{ledger.round_code}/v99.docx").status_code == 404
    huge = 2**40  # past any id column: no version, no draft, never a database error
    assert leader.get(f"/desk/notice/r/{ledger.round_code}/v{huge}.docx").status_code == 404
    assert leader.get("/desk/notice/diff", params={"a": huge, "b": first}).status_code == 404
    assert leader.get(f"/desk/notice/drafts/{huge}").status_code == 404

    diff = leader.get("/desk/notice/diff", params={"round": ledger.round_code, "a": first, "b": second})
    assert diff.status_code == 200
    assert "<mark>" in diff.text and "取缔流动摊点23处" in diff.text
    assert re.search(r'<tr class="(changed|added)">', diff.text)
    same = leader.get("/desk/notice/diff", params={"round": ledger.round_code, "a": second, "b": second})
    assert 'id="no-change"' in same.text

    # A file overwritten since it was recorded is never served as that version.
    with database.unit_of_work() as session:
        path = session.scalar(
            select(GeneratedNotice.path).where(
                GeneratedNotice.version == first, GeneratedNotice.format == "md"
            )
        )
    assert path is not None
    Path(path).write_text("另一份通报", encoding="utf-8")
    gone = leader.get(f"/desk/notice/r/{ledger.round_code}/v{first}.md")
    assert gone.status_code == 410 and "覆盖" in gone.text


def test_a_coordinator_edits_a_leader_approves_and_the_coordinator_publishes(desk: Any) -> None:
    client, ledger, database = desk
    coordinator, c_csrf = _as(client, ledger, "coordinator")
    leader, l_csrf = _as(client, ledger, "leader")
    draft = ledger.draft_id
    page = coordinator.get(f"/desk/notice/drafts/{draft}").text
    assert 'id="p-problem-1-outcome"' in page and "【待报送】" in page
    assert f"进展 #{ledger.new_report_id}" in page  # the source report of the paragraph
    # The sign-off is the leaders': a coordinator's page offers no approve form, and its post is refused.
    assert f'action="/desk/notice/drafts/{draft}/approve"' not in page
    assert f'action="/desk/notice/drafts/{draft}/approve"' in leader.get(f"/desk/notice/drafts/{draft}").text
    own = coordinator.post(f"/desk/notice/drafts/{draft}/approve", data={"csrf": c_csrf, "note": "同意"})
    assert own.status_code == 403

    new_text = "一是开展占道经营专项整治，取缔流动摊点23处。二是清理背街小巷乱堆乱放。"
    edited = coordinator.post(
        f"/desk/notice/drafts/{draft}/edit",
        data={"csrf": c_csrf, "key": "problem-1-outcome", "text": new_text.replace("。二", "。\r\n二")},
        follow_redirects=False,
    )
    assert edited.status_code == 303 and edited.headers["location"].endswith("done=edit#p-problem-1-outcome")
    with database.unit_of_work() as session:
        edit = session.scalars(select(NoticeEdit)).one()
        assert (edit.key, edit.source, edit.after) == (
            "problem-1-outcome",
            "web",
            new_text.replace("。二", "。\n二"),
        )
        assert edit.actor.startswith("desk token #") and "coordinator联络员" in edit.actor

    # A leader may not edit, and an approval with 【待报送】 markers needs allow_missing.
    refused = leader.post(
        f"/desk/notice/drafts/{draft}/edit", data={"csrf": l_csrf, "key": "closing", "text": "x"}
    )
    assert refused.status_code == 403 and "领导账号" in refused.text
    missing = leader.post(f"/desk/notice/drafts/{draft}/approve", data={"csrf": l_csrf})
    assert missing.status_code == 409 and "允许带【待报送】签发" in missing.text
    assert _draft(database, draft).status == DraftStatus.DRAFTING
    approved = leader.post(
        f"/desk/notice/drafts/{draft}/approve",
        data={"csrf": l_csrf, "note": "同意", "allow_missing": "1"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    with database.unit_of_work() as session:
        decision = session.scalars(select(NoticeDecision)).one()
        assert (decision.decision, decision.source, decision.note) == (DraftDecision.APPROVE, "web", "同意")
        assert "leader账号" in decision.actor
    assert leader.post(f"/desk/notice/drafts/{draft}/publish", data={"csrf": l_csrf}).status_code == 403

    published = coordinator.post(
        f"/desk/notice/drafts/{draft}/publish",
        data={"csrf": c_csrf, "number": "", "formats": ["md", "docx"]},
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text
    page = coordinator.get(f"/desk/notice/drafts/{draft}").text
    assert "已发布：" in page and "号" in page
    link = re.search(r'href="(/desk/notice/r/portal-round/v\d+\.docx)"', page)
    assert link is not None
    word = coordinator.get(link.group(1))
    assert word.status_code == 200 and word.content[:2] == b"PK"
    assert _draft(database, draft).status == DraftStatus.PUBLISHED

    locked = coordinator.post(
        f"/desk/notice/drafts/{draft}/edit", data={"csrf": c_csrf, "key": "closing", "text": "欢迎监督。"}
    )
    assert locked.status_code == 409 and "已发布，不能再修改" in locked.text
    with database.unit_of_work() as session:
        assert len(session.scalars(select(NoticeEdit)).all()) == 1


def test_a_return_needs_a_note_and_a_report_is_held_back_with_a_reason(desk: Any) -> None:
    client, ledger, database = desk
    coordinator, c_csrf = _as(client, ledger, "coordinator")
    leader, l_csrf = _as(client, ledger, "leader")
    draft = ledger.draft_id
    no_note = leader.post(f"/desk/notice/drafts/{draft}/return", data={"csrf": l_csrf, "note": " "})
    assert no_note.status_code == 422 and "退回须写明意见" in no_note.text
    returned = leader.post(
        f"/desk/notice/drafts/{draft}/return",
        data={"csrf": l_csrf, "note": "请补充数据"},
        follow_redirects=False,
    )
    assert returned.status_code == 303
    again = leader.post(f"/desk/notice/drafts/{draft}/approve", data={"csrf": l_csrf, "allow_missing": "1"})
    assert again.status_code == 409 and "已退回；修改后才能再次签发" in again.text
    assert leader.post(f"/desk/notice/drafts/{draft}/sign", data={"csrf": l_csrf}).status_code == 404
    csrfless = leader.post(f"/desk/notice/drafts/{draft}/approve", data={"allow_missing": "1"})
    assert csrfless.status_code == 403

    report = ledger.new_report_id
    no_reason = coordinator.post(f"/desk/notice/reports/{report}/hold", data={"csrf": c_csrf, "draft": draft})
    assert no_reason.status_code == 422 and "不予公开须写明理由" in no_reason.text
    unknown = coordinator.post(
        f"/desk/notice/reports/{2**40}/hold", data={"csrf": c_csrf, "draft": draft, "reason": "x"}
    )
    assert unknown.status_code == 422 and f"no report {2**40}" in unknown.text
    missing = leader.post(f"/desk/notice/drafts/{2**40}/approve", data={"csrf": l_csrf})
    assert missing.status_code == 404
    assert (
        leader.post(
            f"/desk/notice/reports/{report}/hold", data={"csrf": l_csrf, "draft": draft, "reason": "x"}
        ).status_code
        == 403
    )
    held = coordinator.post(
        f"/desk/notice/reports/{report}/hold",
        data={"csrf": c_csrf, "draft": draft, "reason": "涉及个人信息"},
        follow_redirects=False,
    )
    assert held.status_code == 303
    with database.unit_of_work() as session:
        hold = session.scalars(select(ReportHold)).one()
        assert (hold.report_id, hold.reason) == (report, "涉及个人信息")
    page = coordinator.get(f"/desk/notice/drafts/{draft}").text
    assert "不予公开：涉及个人信息" in page

    made = coordinator.post(
        "/desk/notice/drafts",
        data={"csrf": c_csrf, "round": ledger.round_code, "as_of": ""},
        follow_redirects=False,
    )
    assert made.status_code == 303
    newest = int(made.headers["location"].split("/drafts/")[1].split("?")[0])
    assert newest == draft + 1
    with database.unit_of_work() as session:
        # The new draft leaves the held report out: its measure is neither quoted nor 【待报送】.
        outcome = session.get(NoticeDraft, newest).paragraphs[2]  # type: ignore[union-attr]
        assert outcome.key == "problem-1-outcome" and NEW_REPORT not in outcome.text
        assert "JA-1" not in [source["measure"] for source in outcome.sources]


def test_a_unit_is_kept_out_of_the_notice_pages(desk: Any) -> None:
    client, ledger, database = desk
    unit = TestClient(client.app)
    unit.get(link_path(ledger.desk.portal.links["unit"]))
    for path in ("/desk/notice", f"/desk/notice/drafts/{ledger.draft_id}", "/desk/notice/diff?a=1&b=2"):
        answer = unit.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
    posted = unit.post(
        f"/desk/notice/drafts/{ledger.draft_id}/approve", data={"allow_missing": "1"}, follow_redirects=False
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/"
    assert _draft(database, ledger.draft_id).status == DraftStatus.DRAFTING
    anonymous = TestClient(client.app).get("/desk/notice", follow_redirects=False)
    assert anonymous.headers["location"] == "/signin"
