"""督办单 on the portal's test ledger: the overdue measure's ladder planned now, its sheets issued and their
Word files stored, for the portal's tests, browser tests and screenshots."""

from __future__ import annotations

from dataclasses import dataclass

from models.db import Database
from models.notifications import Policy
from models.settings import Settings
from tasks.notice.duban_files import render_sheet_files, sheets_lacking_files, store_sheet_file
from tasks.notify.planner import plan_messages
from tasks.reports.duban import all_sheets
from tests.support.portal import PortalLedger, build_portal_ledger


def issue_portal_sheets(database: Database, settings: Settings, measure_code: str) -> list[str]:
    """Plan ``measure_code``'s messages at the settings' now (issuing its sheets) and store their DOCX;
    the sheets' references (``2026-1``), oldest first."""
    with database.unit_of_work() as session:
        plan_messages(session, settings.clock(), Policy.from_settings(settings), measure_code=measure_code)
        session.commit()
    with database.unit_of_work() as session:
        lacking = sheets_lacking_files(session, ("docx",), measure_code=measure_code)
    rendered = render_sheet_files(lacking, timezone=settings.timezone, fonts_dir=None)
    for (sheet_id, fmt), content in rendered.items():
        with database.unit_of_work() as session:
            store_sheet_file(session, sheet_id, fmt, content, settings.data_dir)
            session.commit()
    with database.unit_of_work() as session:
        return [s.ref for s in reversed(all_sheets(session)) if s.facts.measure_code == measure_code]


@dataclass
class DubanPortal:
    """The portal's test ledger with the overdue measure's 督办单 issued: what browser tests sign in with."""

    portal: PortalLedger
    refs: list[str]


def build_duban_portal(database: Database, settings: Settings) -> DubanPortal:
    """``build_portal_ledger`` and the overdue measure's sheets issued now, their Word files stored."""
    portal = build_portal_ledger(database, settings)
    return DubanPortal(portal, issue_portal_sheets(database, settings, portal.overdue))
