"""Evidence files (台账), stored content-addressed under ``Settings.evidence_dir``.

Storing a report's files takes two steps so that a refused report leaves no file behind:

1. ``stage_evidence`` streams each upload into a temporary file under ``evidence_dir/.staging``
   (same file system), hashing and counting as it goes, and checks name, size and type. Anything
   wrong removes every staged file and raises ``InvalidReport`` naming the field.
2. After the database commit, ``StagedEvidence.publish()`` moves each file to
   ``evidence_dir/ab/cd/<sha256>`` with an atomic rename (a file already there has the same bytes,
   so the staged copy is dropped). Leaving the ``with`` block without publishing discards them.

A crash between the commit and the rename leaves a row without its file: ``verify_evidence``
finds it (and any file whose bytes no longer match), ``sweep_staging`` removes stale temporary files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import EvidenceTooLarge, EvidenceTypeRefused, InvalidReport
from models.tables import EvidenceFile

CHUNK = 1024 * 1024
MAX_FILES_PER_REPORT = 20
STAGING = ".staging"

# The type of a file is read from its name and then checked against its first bytes; what the
# client declares is not trusted.
EXTENSION_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".txt": "text/plain",
    ".csv": "text/csv",
    # Phone cameras (iPhone photos are HEIC), China's e-document format and WPS Office's own formats.
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".ofd": "application/ofd",
    ".wps": "application/wps-office.wps",
    ".et": "application/wps-office.et",
}
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/ofd": _ZIP,
    "application/wps-office.wps": _OLE,
    "application/wps-office.et": _OLE,
}
# HEIF files (HEIC photos) open with a box size, then ``ftyp`` and one of these brands.
HEIF_TYPES = {"image/heic", "image/heif"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
TEXT_TYPES = {"text/plain", "text/csv"}


@dataclass(frozen=True)
class Upload:
    """One file as received: the name the unit gave it and a readable binary stream."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class StagedFile:
    """A checked file waiting in the staging directory for its report's commit."""

    filename: str
    sha256: str
    size: int
    content_type: str
    temp_path: Path


@dataclass
class StagedEvidence:
    """The staged files of one report; publish after the commit, or leave the block to discard."""

    root: Path
    files: list[StagedFile] = field(default_factory=list)
    published: bool = False

    def refs(self) -> list[dict[str, object]]:
        """The files as ``EvidenceRef`` data for ``ReportInput.evidence``."""
        return [
            {"sha256": f.sha256, "filename": f.filename, "size": f.size, "content_type": f.content_type}
            for f in self.files
        ]

    def publish(self) -> list[Path]:
        """Move every staged file to its content address (call only after the commit)."""
        paths = []
        for staged in self.files:
            target = evidence_path(self.root, staged.sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                staged.temp_path.unlink(missing_ok=True)
            else:
                os.chmod(staged.temp_path, 0o444)
                os.replace(staged.temp_path, target)
            paths.append(target)
        self.published = True
        return paths

    def discard(self) -> None:
        """Remove every staged file that was not published."""
        for staged in self.files:
            staged.temp_path.unlink(missing_ok=True)

    def __enter__(self) -> StagedEvidence:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.published:
            self.discard()


def evidence_path(root: Path, sha256: str) -> Path:
    """Where the file with this hash lives: ``root/ab/cd/abcd…``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return root / sha256[:2] / sha256[2:4] / sha256


def check_filename(name: str, field_name: str = "evidence") -> str:
    """The name a unit gave a file, refused when it could be read as a path or is not printable."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise InvalidReport(field_name, "a file needs a name")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".") or ":" in name:
        raise InvalidReport(field_name, f"'{name}' looks like a path: give a plain file name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise InvalidReport(field_name, f"{name!r} holds control characters")
    if len(name.encode("utf-8")) > 255:
        raise InvalidReport(field_name, "a file name has at most 255 bytes")
    return name


def content_type_for(name: str, allowed: Iterable[str], field_name: str = "evidence") -> str:
    """The type implied by a file's extension, refused unless it is allowed."""
    allowed = set(allowed)
    content_type = EXTENSION_TYPES.get(Path(name).suffix.lower())
    if content_type is None or content_type not in allowed:
        extensions = sorted(ext for ext, t in EXTENSION_TYPES.items() if t in allowed)
        raise EvidenceTypeRefused(
            field_name, f"'{name}' is not an accepted type (accepted: {', '.join(extensions)})"
        )
    return content_type


def _check_signature(name: str, content_type: str, head: bytes, field_name: str) -> None:
    if content_type in TEXT_TYPES:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine; anything else is not text.
            if error.start < len(head) - 3:
                raise EvidenceTypeRefused(field_name, f"'{name}' is not UTF-8 text") from None
        if b"\x00" in head:
            raise EvidenceTypeRefused(field_name, f"'{name}' is not text (it holds NUL bytes)")
        return
    if content_type in HEIF_TYPES:
        if head[4:8] != b"ftyp" or head[8:12] not in HEIF_BRANDS:
            raise EvidenceTypeRefused(
                field_name, f"'{name}' does not hold what its name says ({content_type})"
            )
        return
    if not head.startswith(SIGNATURES[content_type]):
        raise EvidenceTypeRefused(field_name, f"'{name}' does not hold what its name says ({content_type})")


def _stage_one(
    upload: Upload, staging: Path, *, max_bytes: int, allowed: list[str], field_name: str
) -> StagedFile:
    name = check_filename(upload.filename, field_name)
    content_type = content_type_for(name, allowed, field_name)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, temp = tempfile.mkstemp(dir=staging, prefix="upload-")
    path = Path(temp)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceTooLarge(
                        field_name, f"'{name}' is larger than the limit of {max_bytes:,} bytes"
                    )
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidReport(field_name, f"'{name}' is empty")
        _check_signature(name, content_type, head, field_name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedFile(name, digest.hexdigest(), size, content_type, path)


def stage_evidence(
    root: Path, uploads: Iterable[Upload], *, max_bytes: int, allowed_types: list[str]
) -> StagedEvidence:
    """Check and stage a report's files; on any problem remove them all and raise ``InvalidReport``.

    Fields are named ``evidence[i]`` (0-based, in upload order).
    """
    uploads = list(uploads)
    if len(uploads) > MAX_FILES_PER_REPORT:
        raise InvalidReport("evidence", f"at most {MAX_FILES_PER_REPORT} files per report")
    staging = root / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    staged = StagedEvidence(root=root)
    try:
        seen: set[tuple[str, str]] = set()
        for index, upload in enumerate(uploads):
            one = _stage_one(
                upload, staging, max_bytes=max_bytes, allowed=allowed_types, field_name=f"evidence[{index}]"
            )
            if (one.sha256, one.filename) in seen:  # the same file under the same name twice
                one.temp_path.unlink(missing_ok=True)
                continue
            seen.add((one.sha256, one.filename))
            staged.files.append(one)
    except BaseException:
        staged.discard()
        raise
    return staged


def stage_paths(
    root: Path, paths: Iterable[Path], *, max_bytes: int, allowed_types: list[str]
) -> StagedEvidence:
    """``stage_evidence`` for files on disk (the CLI's ``--evidence``)."""
    streams: list[BinaryIO] = []
    try:
        uploads = []
        for path in paths:
            streams.append(open(path, "rb"))  # noqa: SIM115 (closed below)
            uploads.append(Upload(path.name, streams[-1]))
        return stage_evidence(root, uploads, max_bytes=max_bytes, allowed_types=allowed_types)
    finally:
        for stream in streams:
            stream.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class EvidenceProblem:
    """A stored evidence row whose file is missing or whose bytes changed."""

    sha256: str
    problem: str


def verify_evidence(session: Session, root: Path) -> list[EvidenceProblem]:
    """Check every ``EvidenceFile`` row against its file: present, same size, same hash."""
    problems = []
    for row in session.scalars(select(EvidenceFile).order_by(EvidenceFile.sha256)):
        path = evidence_path(root, row.sha256)
        if not path.is_file():
            problems.append(EvidenceProblem(row.sha256, "file missing"))
        elif path.stat().st_size != row.size:
            problems.append(EvidenceProblem(row.sha256, f"size {path.stat().st_size} != {row.size}"))
        elif file_sha256(path) != row.sha256:
            problems.append(EvidenceProblem(row.sha256, "content changed"))
    return problems


def sweep_staging(root: Path, *, older_than_seconds: float = 3600) -> int:
    """Remove staged files left by a crashed process; returns how many were removed."""
    staging = root / STAGING
    if not staging.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in staging.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def stored_files(root: Path) -> Iterator[Path]:
    """Every published evidence file (not the staging area)."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/??/*")):
        if path.is_file():
            yield path
