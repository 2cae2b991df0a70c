"""The recorded versions of a round's notice (``GeneratedNotice`` rows, publications among them) and their
files, read back for the desk: the list, one file's bytes (only while they still hold the recorded
SHA-256) and a version's text for comparing two versions."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import NoticeFileGone, UnknownNoticeVersion, UnknownRound
from models.tables import GeneratedNotice, NoticePublication, Round
from models.text import ID_MAX

# The order a version's files are listed in, and the formats its text is read from, best first.
FORMAT_ORDER = ("docx", "pdf", "md", "html", "txt")
TEXT_FORMATS = ("txt", "md", "docx")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class VersionFile:
    """A format of a version: where it was written (None: to stdout) and its recorded SHA-256."""

    format: str
    path: str | None
    sha256: str


@dataclass(frozen=True)
class NoticeVersion:
    """One generation of the round's notice in every format it produced; ``number`` once published."""

    version: int
    as_of: date
    created_at: datetime
    requested_by: str
    missing: int
    files: tuple[VersionFile, ...]
    number: str | None = None

    @property
    def downloadable(self) -> tuple[VersionFile, ...]:
        return tuple(f for f in self.files if f.path is not None)


def _round_id(session: Session, round_code: str) -> int:
    found = session.scalar(select(Round.id).where(Round.code == round_code))
    if found is None:
        raise UnknownRound(f"no round '{round_code}'")
    return found


def list_versions(session: Session, round_code: str) -> list[NoticeVersion]:
    """The round's notice versions, newest first, each with its formats and its number once published."""
    round_id = _round_id(session, round_code)
    rows = session.scalars(
        select(GeneratedNotice).where(GeneratedNotice.round_id == round_id).order_by(GeneratedNotice.id)
    ).all()
    published = {
        str(item.get("path")): publication.number
        for publication in session.scalars(
            select(NoticePublication).where(NoticePublication.round_id == round_id)
        )
        for item in publication.files
    }
    by_version: dict[int, list[GeneratedNotice]] = {}
    for row in rows:
        by_version.setdefault(row.version, []).append(row)
    versions = []
    for number, group in by_version.items():
        first = group[0]
        files = sorted(
            (VersionFile(r.format, r.path, r.sha256) for r in group),
            key=lambda f: FORMAT_ORDER.index(f.format) if f.format in FORMAT_ORDER else len(FORMAT_ORDER),
        )
        versions.append(
            NoticeVersion(
                version=number,
                as_of=first.as_of,
                created_at=first.created_at,
                requested_by=first.requested_by,
                missing=first.missing_reports,
                files=tuple(files),
                number=next((published[r.path] for r in group if r.path in published), None),
            )
        )
    return sorted(versions, key=lambda v: v.version, reverse=True)


def _version_row(session: Session, round_code: str, version: int, fmt: str) -> GeneratedNotice:
    if not 1 <= version <= ID_MAX:
        raise UnknownNoticeVersion(f"round {round_code} has no notice version {version}")
    found = session.scalar(
        select(GeneratedNotice).where(
            GeneratedNotice.round_id == _round_id(session, round_code),
            GeneratedNotice.version == version,
            GeneratedNotice.format == fmt,
        )
    )
    if found is None:
        raise UnknownNoticeVersion(f"round {round_code} has no notice version {version} in {fmt}")
    return found


def version_file(session: Session, round_code: str, version: int, fmt: str) -> bytes:
    """The bytes of a version's file, while the file still holds what was recorded (a file written to a
    path of the user's choosing holds only the latest version written there)."""
    row = _version_row(session, round_code, version, fmt)
    if row.path is None:
        raise NoticeFileGone(f"version {version} ({fmt}) was written to the terminal, not to a file")
    path = Path(row.path)
    try:
        data = path.read_bytes()
    except OSError:
        raise NoticeFileGone(f"the file of version {version} ({fmt}) is missing: {path.name}") from None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise NoticeFileGone(f"{path.name} no longer holds version {version}: a later version overwrote it")
    return data


def version_text(session: Session, round_code: str, version: int) -> str:
    """A version's text, one paragraph a line: from its txt file, else its Markdown, else its DOCX."""
    if not 1 <= version <= ID_MAX:
        raise UnknownNoticeVersion(f"round {round_code} has no notice version {version}")
    formats = {
        r.format
        for r in session.scalars(
            select(GeneratedNotice).where(
                GeneratedNotice.round_id == _round_id(session, round_code), GeneratedNotice.version == version
            )
        )
    }
    if not formats:
        raise UnknownNoticeVersion(f"round {round_code} has no notice version {version}")
    readable = [fmt for fmt in TEXT_FORMATS if fmt in formats]
    if not readable:
        raise UnknownNoticeVersion(
            f"version {version} has no text to compare (only {', '.join(sorted(formats))})"
        )
    problem: NoticeFileGone | None = None
    for fmt in readable:
        try:
            data = version_file(session, round_code, version, fmt)
        except NoticeFileGone as error:
            problem = problem or error
            continue
        return _docx_text(data) if fmt == "docx" else data.decode("utf-8")
    assert problem is not None
    raise problem


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs if p.text.strip())
