"""督办单 kept as files like the notice's versions (real SQLite and PostgreSQL): the DOCX of each sheet written
under the data directory and recorded with format, SHA-256 and path when the step is recorded; a rerun
writes nothing; the PDF beside it where LibreOffice is installed."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from flows.notify import store_duban_files
from models.clock import Clock
from models.db import Database
from models.settings import Settings
from models.tables import DubanSheetFile
from tasks.notice.pdf import soffice_path
from tasks.notify.planner import plan_messages
from tests.integration.test_duban import CAL, POLICY, TIMEZONE, at, ledger
from tests.support.work import committed


@pytest.fixture
def no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.settings import get_settings

    monkeypatch.setenv("ZHENGGAI_DUBAN_PDF", "false")
    get_settings.cache_clear()


def _files(database: Database) -> list[tuple[int, str, str, str, int]]:
    with database.unit_of_work() as session:
        rows = session.scalars(
            select(DubanSheetFile).order_by(DubanSheetFile.sheet_id, DubanSheetFile.format)
        )
        return [(r.sheet_id, r.format, r.sha256, r.path, r.size) for r in rows]


def test_each_sheet_is_stored_once_as_a_docx_version(
    database: Database, settings: Settings, no_pdf: None
) -> None:
    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
    assert store_duban_files.fn() == 1
    [(_sheet, fmt, sha256, path, size)] = _files(database)
    assert (fmt, path) == ("docx", "duban/2024/1.docx")
    content = (settings.data_dir / path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == sha256 and len(content) == size
    assert content[:2] == b"PK"  # a Word file
    # A rerun (the next sweep, a retry) finds it stored and writes nothing.
    (settings.data_dir / path).write_bytes(b"kept")
    assert store_duban_files.fn() == 0
    assert (settings.data_dir / path).read_bytes() == b"kept" and len(_files(database)) == 1
    # The next step's sheet is stored on its own, named by its serial.
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 10))), POLICY)
    assert store_duban_files.fn(measure_code="M-000") == 1
    assert [row[3] for row in _files(database)] == ["duban/2024/1.docx", "duban/2024/2.docx"]


@pytest.mark.sqlite_only
def test_a_sweep_stores_the_sheets_it_issues(
    database: Database, settings: Settings, no_pdf: None, prefect_harness: None
) -> None:
    from datetime import UTC, datetime

    from flows.notify import sweep

    ledger(database)
    result = sweep(as_of=at(date(2024, 1, 4)), wall_clock=datetime(2024, 1, 4, 3, tzinfo=UTC))
    assert result["planned"]["duban_files"] == 1
    assert [row[3] for row in _files(database)] == ["duban/2024/1.docx"]


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice is not installed")
@pytest.mark.sqlite_only
def test_the_pdf_is_stored_beside_the_docx_where_libreoffice_is_installed(
    database: Database, settings: Settings
) -> None:
    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
    assert store_duban_files.fn() == 2
    formats = {row[1]: row for row in _files(database)}
    assert sorted(formats) == ["docx", "pdf"]
    assert (settings.data_dir / formats["pdf"][3]).read_bytes()[:5] == b"%PDF-"


@pytest.mark.sqlite_only
def test_sheets_are_rendered_and_stored_a_group_at_a_time(
    database: Database, settings: Settings, no_pdf: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group's files are stored before the next group is rendered: a failure keeps what was stored."""
    import flows.notify
    import tasks.notice.duban_files

    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 10))), POLICY)
    render = tasks.notice.duban_files.render_sheet_files
    groups: list[int] = []

    def render_or_fail(lacking: list, **kwargs: object) -> dict:
        groups.append(len(lacking))
        if len(groups) == 2:
            raise RuntimeError("LibreOffice failed")
        return render(lacking, **kwargs)

    monkeypatch.setattr(flows.notify, "DUBAN_FILES_GROUP", 1)
    monkeypatch.setattr(tasks.notice.duban_files, "render_sheet_files", render_or_fail)
    with pytest.raises(RuntimeError):
        store_duban_files.fn()
    assert groups == [1, 1] and [row[3] for row in _files(database)] == ["duban/2024/1.docx"]
    monkeypatch.setattr(tasks.notice.duban_files, "render_sheet_files", render)
    assert store_duban_files.fn() == 1  # the next run stores what was left
    assert [row[3] for row in _files(database)] == ["duban/2024/1.docx", "duban/2024/2.docx"]


def test_the_units_message_signs_in_to_the_sheets_page_and_the_leaders_gives_its_address(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from models.settings import get_settings
    from models.tables import Delivery

    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "http://testserver")
    get_settings.cache_clear()
    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
    with database.unit_of_work() as session:
        bodies = {d.key: d.body for d in session.scalars(select(Delivery))}
    unit = bodies["M-000|overdue|liaison-000#0|2024-01-04"]
    link = re.search(r"督办单：督办〔2024〕1号（查看、签收和回复：(\S+)）", unit)
    assert link is not None and re.fullmatch(
        r"http://testserver/signin/\d+\.\d+\.\*\*\*\?next=/duban/2024-1", link.group(1)
    )
    leader = bodies["M-000|escalation|leader-li#0|2023-12-29/blue"]
    assert "督办单：督办〔2024〕1号（查看：http://testserver/duban/2024-1）\n" in leader
    assert "/signin/" not in leader  # the leader signs in as themself, never with the unit's link
