"""The desk's test ledger (tests/support/desk.py) with a notice history: two recorded versions of the
round's notice a report apart (Markdown, txt and DOCX in the notices directory) and a draft made after
the second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from models.db import Database
from models.settings import Settings
from tests.support.desk import DeskLedger, build_desk_ledger

NEW_REPORT = "已完成第一阶段占道经营整治，取缔流动摊点23处。"


@dataclass
class NoticeDeskLedger:
    """The desk's ledger and the notice's versions and draft."""

    desk: DeskLedger
    round_code: str = "portal-round"
    versions: tuple[int, int] = (0, 0)
    draft_id: int = 0
    new_report_id: int = 0


def build_notice_desk_ledger(
    database: Database, settings: Settings, today: date | None = None
) -> NoticeDeskLedger:
    from flows.cli.notice import generate_notices
    from flows.intake import submit_report
    from tasks.notice.drafts import create_draft
    from tasks.notice.files import NoticeDirectory
    from tasks.reports.record import ReportInput

    desk = build_desk_ledger(database, settings, today)
    ledger = NoticeDeskLedger(desk)
    clock = settings.clock()
    targets = [(fmt, NoticeDirectory(settings.notices_dir)) for fmt in ("txt", "md", "docx")]
    first = generate_notices(database, clock, ledger.round_code, targets, requested_by="test")  # type: ignore[arg-type]
    answer = submit_report(
        database,
        ReportInput(measure=desk.portal.due_soon, unit=desk.portal.unit, text=NEW_REPORT),
        actor="test",
        clock=clock,
        emit=False,
    )
    ledger.new_report_id = int(answer["id"])
    second = generate_notices(database, clock, ledger.round_code, targets, requested_by="test")  # type: ignore[arg-type]
    ledger.versions = (first[0][0].version, second[0][0].version)
    with database.unit_of_work() as session:
        ledger.draft_id = create_draft(session, ledger.round_code, clock, actor="test").id
        session.commit()
    return ledger


def role_link(database: Database, settings: Settings, role: str, label: str) -> str:
    """A sign-in link (its path) of a new coordinator or leader token on any ledger."""
    from datetime import UTC, datetime, timedelta

    from models.enums import TokenRole
    from tasks.reports.signin import sign_in_link
    from tasks.reports.tokens import issue_token
    from tests.support.portal import link_path

    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        issued = issue_token(
            session, role=TokenRole(role), label=label, now=now, expires_at=now + timedelta(days=1)
        )
        link = sign_in_link(session, settings, issued.token_id, now=now, path="/desk")
        session.commit()
    return link_path(link)


def desk_session(client: Any, link: str) -> str:
    """Sign the test client in through ``link``; the session's CSRF token (for form posts)."""
    import re

    answer = client.get(link, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk", answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/logout").text)
    assert found is not None
    return found.group(1)
