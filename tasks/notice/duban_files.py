"""督办单 kept as files, like the notice's versions: each sheet's DOCX (and PDF where LibreOffice is installed)
written under the data directory and recorded with its format, SHA-256 and path relative to it (``DubanSheetFile``: ``duban/2024/1.docx``).

The steps are separate (rendering returns bytes, storing writes): ``sheets_lacking_files`` finds the sheets
whose files are not recorded yet, ``render_sheet_files`` renders their missing formats (the PDFs of several
sheets by one LibreOffice start), ``store_sheet_file`` writes and records one. A rerun finds every file
recorded and writes nothing; a run that died between writing and committing leaves a file that the next
run writes again and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from models.duban import SheetFacts
from models.tables import DubanSheet, DubanSheetFile
from tasks.ledger.duban import facts_of
from tasks.notice.files import write_notice_file

FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class LackingFiles:
    """A sheet and the formats of it not stored yet."""

    sheet_id: int
    facts: SheetFacts
    formats: tuple[str, ...]


def sheets_lacking_files(
    session: Session, formats: tuple[str, ...], *, measure_code: str | None = None
) -> list[LackingFiles]:
    """The sheets (one measure's with ``measure_code``) missing one of ``formats``, oldest first."""
    missing_one = or_(
        *(
            ~exists().where(DubanSheetFile.sheet_id == DubanSheet.id, DubanSheetFile.format == fmt)
            for fmt in formats
        )
    )
    query = select(DubanSheet).where(missing_one).order_by(DubanSheet.year, DubanSheet.serial)
    if measure_code is not None:
        query = query.where(DubanSheet.measure_code == measure_code)
    sheets = list(session.scalars(query))
    stored: dict[int, set[str]] = {}
    if sheets:
        for sheet_id, fmt in session.execute(
            select(DubanSheetFile.sheet_id, DubanSheetFile.format).where(
                DubanSheetFile.sheet_id.in_([sheet.id for sheet in sheets])
            )
        ):
            stored.setdefault(sheet_id, set()).add(fmt)
    return [
        LackingFiles(
            sheet.id, facts_of(sheet), tuple(f for f in formats if f not in stored.get(sheet.id, set()))
        )
        for sheet in sheets
    ]


def sheet_file_name(year: int, serial: int, fmt: str) -> str:
    """``duban/<year>/<serial>.<fmt>``: where a sheet's file lies in the data directory."""
    return f"duban/{year}/{serial}.{fmt}"


def render_sheet_files(
    lacking: list[LackingFiles], *, timezone: str, fonts_dir: Path | None
) -> dict[tuple[int, str], bytes]:
    """The missing formats of several sheets by (sheet id, format): every PDF among them converted by one
    LibreOffice start (``docx_to_pdfs``), not one start each."""
    from tasks.notice.duban_docx import render_duban_docx

    rendered: dict[tuple[int, str], bytes] = {}
    to_convert: dict[str, tuple[int, bytes]] = {}
    for sheet in lacking:
        docx = render_duban_docx(sheet.facts, timezone=timezone)
        if "docx" in sheet.formats:
            rendered[(sheet.sheet_id, "docx")] = docx
        if "pdf" in sheet.formats:
            to_convert[f"duban-sheet-{sheet.sheet_id}"] = (sheet.sheet_id, docx)
    if to_convert:
        from tasks.notice.pdf import docx_to_pdfs

        pdfs = docx_to_pdfs({name: docx for name, (_, docx) in to_convert.items()}, fonts_dir=fonts_dir)
        for name, (sheet_id, _) in to_convert.items():
            rendered[(sheet_id, "pdf")] = pdfs[name]
    return rendered


def store_sheet_file(session: Session, sheet_id: int, fmt: str, content: bytes, data_dir: Path) -> bool:
    """Write a rendered sheet and record it, unless that format is recorded already; the caller commits.

    The sheet's row is locked first (a no-op UPDATE: PostgreSQL's row lock, SQLite's write lock), so two
    runs storing the same sheet record it once: the second finds the first's row and writes nothing."""
    session.execute(
        update(DubanSheet)
        .where(DubanSheet.id == sheet_id)
        .values(serial=DubanSheet.serial)
        .execution_options(synchronize_session=False)
    )
    existing = session.scalar(
        select(DubanSheetFile.id).where(DubanSheetFile.sheet_id == sheet_id, DubanSheetFile.format == fmt)
    )
    if existing is not None:
        return False
    sheet = session.get(DubanSheet, sheet_id)
    assert sheet is not None
    name = sheet_file_name(sheet.year, sheet.serial, fmt)
    sha256 = write_notice_file(data_dir / name, content)
    session.add(DubanSheetFile(sheet_id=sheet_id, format=fmt, sha256=sha256, size=len(content), path=name))
    session.flush()
    return True


def sheet_files(session: Session, sheet_id: int) -> dict[str, DubanSheetFile]:
    """The stored files of a sheet, by format."""
    rows = session.scalars(select(DubanSheetFile).where(DubanSheetFile.sheet_id == sheet_id))
    return {row.format: row for row in rows}
