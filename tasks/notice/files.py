"""Notice files and versions: write a rendered notice atomically and record it as the round's next version.

The steps of a generation are plain functions (the Prefect tasks in ``flows/notice.py`` wrap them):

- ``tasks.notice.load.load_notice_document`` reads the ledger and builds the ``NoticeDocument``;
- ``tasks.notice.render.render_notice`` returns ``str`` (txt, md, html) or ``bytes`` (docx, pdf);
- ``write_notice_file(path, content)`` writes atomically and returns the SHA-256;
- ``record_notice_outputs(session, document, rendered, ...)`` writes the rendered formats and appends
  one versioned ``GeneratedNotice`` each, in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.errors import UnknownRound
from models.notice import NoticeDocument
from models.tables import GeneratedNotice, Round


def content_bytes(content: str | bytes) -> bytes:
    """A rendered notice as the bytes written (text is UTF-8)."""
    return content.encode("utf-8") if isinstance(content, str) else content


def content_sha256(content: str | bytes) -> str:
    """The SHA-256 a version records for a rendered notice."""
    return hashlib.sha256(content_bytes(content)).hexdigest()


def write_notice_file(path: Path, content: str | bytes) -> str:
    """Write the notice atomically (temp file + rename); return its SHA-256."""
    data = content_bytes(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class NoticeOutput:
    """One generated notice: what was written where, its version and the reports it lacked."""

    round_code: str
    as_of: date
    format: str
    path: Path | None
    sha256: str
    version: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class NoticeDirectory:
    """A target meaning: write into this directory under the default name, which carries the version."""

    path: Path


# Where one rendering goes: an explicit file (a user's ``-o``: overwritten when asked for again), a
# directory (a new file per version, never overwriting a recorded one), or nowhere (stdout).
NoticeTarget = Path | NoticeDirectory | None


def default_notice_path(
    directory: Path, round_code: str, as_of: date, fmt: str, version: int | None = None
) -> Path:
    """``<dir>/<round>_<YYYY-MM-DD>_v<version>.<fmt>``.

    Without ``version`` the older unversioned name ``<round>_<YYYY-MM-DD>.<fmt>``, which a later
    generation overwrites: pass a ``NoticeDirectory`` target instead.
    """
    suffix = f"_v{version}" if version is not None else ""
    return directory / f"{round_code}_{as_of.isoformat()}{suffix}.{fmt}"


def record_notice_outputs(
    session: Session,
    document: NoticeDocument,
    rendered: Sequence[tuple[str, NoticeTarget, str | bytes]],
    *,
    requested_by: str,
) -> list[NoticeOutput]:
    """Write and record already rendered notices as the round's next ``GeneratedNotice`` version.

    Every format of one generation shares the version (``…_v3.md`` and ``…_v3.docx``).

    The versions are taken in this transaction, serialised per round: a no-op UPDATE of the round's
    row comes first, which takes the row lock on PostgreSQL (a second generation waits for this
    one to commit) and the database write lock on SQLite (whose SELECTs take none), so ``max + 1``
    cannot be read by two writers at once. The unique (round_id, version, format) constraint still guards.
    A ``NoticeDirectory`` target is written as ``default_notice_path(..., version)``, so no
    recorded file is ever overwritten; an explicit path is written as given. Files are written
    before the commit: if it fails, they hold versions never recorded, which the next generation
    takes again and overwrites. The caller commits.
    """
    round_code, as_of = document.round_code, document.as_of
    round_id = session.scalar(select(Round.id).where(Round.code == round_code))
    if round_id is None:
        raise UnknownRound(f"no round '{round_code}'")
    session.execute(
        update(Round)
        .where(Round.id == round_id)
        .values(updated_at=Round.updated_at)
        .execution_options(synchronize_session=False)
    )
    latest = session.scalar(
        select(func.max(GeneratedNotice.version)).where(GeneratedNotice.round_id == round_id)
    )
    missing = tuple(str(m) for m in document.missing)
    outputs = []
    version = (latest or 0) + 1  # one generation, one version, whatever the formats
    for fmt, target, content in rendered:
        path = (
            default_notice_path(target.path, round_code, as_of, fmt, version)
            if isinstance(target, NoticeDirectory)
            else target
        )
        sha256 = write_notice_file(path, content) if path is not None else content_sha256(content)
        session.add(
            GeneratedNotice(
                round_id=round_id,
                version=version,
                as_of=as_of,
                format=fmt,
                sha256=sha256,
                path=str(path) if path is not None else None,
                requested_by=requested_by,
                missing_reports=len(missing),
            )
        )
        outputs.append(NoticeOutput(round_code, as_of, fmt, path, sha256, version, missing))
    session.flush()
    return outputs


def artifact_key(round_code: str) -> str:
    """A Prefect artifact key for a round's notice: lowercase letters, digits and dashes only."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in round_code.lower()).strip("-")
    return f"notice-{slug or 'round'}"


def notice_artifact_markdown(document: NoticeDocument, outputs: Sequence[NoticeOutput]) -> str:
    """The Markdown artifact of a generation: what was written, what is missing, then the notice itself."""
    from tasks.notice.text import render_markdown

    lines = [f"**{document.round_code}** as of {document.as_of.isoformat()}", ""]
    for output in outputs:
        where = f"`{output.path}`" if output.path is not None else "(not written)"
        lines.append(f"- {output.format}: {where}, version {output.version}, sha256 `{output.sha256[:12]}`")
    if document.missing:
        lines += ["", f"**{len(document.missing)} measure(s) without a report** (marked 【待报送】):", ""]
        lines += [f"- {item}" for item in document.missing]
    lines += ["", "---", "", render_markdown(document)]
    return "\n".join(lines)
