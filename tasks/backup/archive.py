"""One archive holds the ledger: a consistent snapshot of every table, the evidence files it names, the
generated notices and the settings (without secrets); restoring fills an empty ledger and nothing else.

The archive is a tar file:

- ``manifest.json``: format, schema revision, when, the backend it came from, rows per table, files;
- ``settings.json``: the configuration it was taken with, database URL password masked, no secrets;
- ``db/<table>.jsonl``: every row of every table, one JSON object a line (dates ISO, decimals as text);
- ``evidence/ab/cd/<sha256>``: each evidence file a row names (content-addressed, checked on restore);
- ``notices/…``: the generated notices as the data directory holds them.
- ``duban/…``: the 督办单 files (DOCX, PDF) as the data directory holds them.

The snapshot is one read transaction (PostgreSQL ``REPEATABLE READ``; SQLite a read transaction on a WAL
database), so ``serve`` and the API keep writing while it is taken and the backup holds every report
committed before it began. Imported calendar data lives in the database and travels with it.
"""

from __future__ import annotations

import base64
import enum
import io
import json
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, TypeDecorator, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from models.db import Database
from models.errors import BackupRefused
from models.tables import Base, EvidenceFile
from tasks.reports.evidence import evidence_path, file_sha256, stored_files

FORMAT = "zhenggai-backup/1"
# A report's row commits a moment before its evidence file is moved into place (tasks.reports.evidence):
# a file a snapshot names may still be on its way. Wait this long for it before calling it missing.
EVIDENCE_WAIT_SECONDS = 30.0


@dataclass
class BackupSummary:
    """What a backup holds."""

    path: Path
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    evidence: int = 0
    notices: int = 0
    duban: int = 0
    missing_evidence: list[str] = field(default_factory=list)


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _decoder(column: Any) -> Any:
    type_ = column.type
    if isinstance(type_, TypeDecorator):  # UTCDateTime: the column holds what its impl holds
        type_ = type_.impl_instance
    try:
        kind = type_.python_type
    except NotImplementedError:
        return lambda value: value
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    if kind is datetime:
        return datetime.fromisoformat
    if kind is date:
        return date.fromisoformat
    if kind is Decimal:
        return Decimal
    if kind is bytes:
        return base64.b64decode
    return lambda value: value


@contextmanager
def _snapshot(database: Database) -> Iterator[Connection]:
    """A connection whose reads all see one snapshot of the database."""
    engine = database.engine
    if engine.dialect.name == "postgresql":
        snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with snapshot as connection, connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield connection
        return
    with engine.connect() as connection:
        # pysqlite opens no transaction for reads: open one, so that every table is read as of one moment.
        connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def write_backup(
    database: Database,
    output: Path,
    *,
    evidence_dir: Path,
    notices_dir: Path,
    settings: dict[str, Any],
    duban_dir: Path | None = None,
) -> BackupSummary:
    """Write the ledger to ``output`` (a tar file): the database as of one snapshot, the evidence files
    its rows name, the notices and ``settings`` (already free of secrets)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    summary = BackupSummary(path=output, revision=None)
    hashes: list[str] = []
    with tarfile.open(partial, "w:gz") as archive:
        with _snapshot(database) as connection:
            summary.revision = _revision(connection)
            for table in Base.metadata.sorted_tables:
                buffer = io.BytesIO()
                count = 0
                query = select(table).order_by(*table.primary_key.columns)
                for row in connection.execute(query):
                    line = {key: _encode(value) for key, value in row._mapping.items()}
                    buffer.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
                    count += 1
                _add_bytes(archive, f"db/{table.name}.jsonl", buffer.getvalue())
                summary.rows[table.name] = count
            hashes = list(connection.scalars(select(EvidenceFile.sha256).order_by(EvidenceFile.sha256)))
        for sha256 in hashes:
            path = _wait_for(evidence_path(evidence_dir, sha256))
            if path is None:
                summary.missing_evidence.append(sha256)
                continue
            archive.add(path, arcname=f"evidence/{path.relative_to(evidence_dir).as_posix()}")
            summary.evidence += 1
        if notices_dir.is_dir():
            for path in sorted(p for p in notices_dir.rglob("*") if p.is_file()):
                archive.add(path, arcname=f"notices/{path.relative_to(notices_dir).as_posix()}")
                summary.notices += 1
        if duban_dir is not None and duban_dir.is_dir():
            for path in sorted(p for p in duban_dir.rglob("*") if p.is_file()):
                archive.add(path, arcname=f"duban/{path.relative_to(duban_dir).as_posix()}")
                summary.duban += 1
        manifest = {
            "format": FORMAT,
            "revision": summary.revision,
            "created_at": datetime.now(UTC).isoformat(),
            "backend": database.engine.dialect.name,
            "rows": summary.rows,
            "evidence": summary.evidence,
            "missing_evidence": summary.missing_evidence,
            "notices": summary.notices,
            "duban": summary.duban,
        }
        _add_bytes(archive, "settings.json", json.dumps(settings, ensure_ascii=False, indent=1).encode())
        _add_bytes(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    partial.replace(output)
    return summary


def _wait_for(path: Path) -> Path | None:
    deadline = time.monotonic() + EVIDENCE_WAIT_SECONDS
    while not path.is_file():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    return path


@dataclass
class RestoreSummary:
    """What a restore wrote."""

    rows: dict[str, int] = field(default_factory=dict)
    evidence: int = 0
    notices: int = 0
    duban: int = 0

    def count_file(self, folder: str) -> None:
        """Count a file restored into one of the data directory's folders."""
        if folder == "evidence":
            self.evidence += 1
        elif folder == "notices":
            self.notices += 1
        elif folder == "duban":
            self.duban += 1


def _manifest(archive: tarfile.TarFile, source: str) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise BackupRefused(f"{source}: not a Zhenggai backup (no manifest.json)")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupRefused(
            f"{source}: backup format {manifest.get('format')!r}, this Zhenggai reads {FORMAT}"
        )
    return manifest


def check_archive(source: Path) -> dict[str, Any]:
    """The manifest of a backup archive, or ``BackupRefused`` when the file is not one (checked before a
    restore creates anything)."""
    try:
        with tarfile.open(source, "r:*") as archive:
            return _manifest(archive, str(source))
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BackupRefused(f"{source}: not a Zhenggai backup ({error})") from None


def backup_settings(source: Path) -> dict[str, Any]:
    """The settings a backup was taken with (``settings.json``; empty when the archive has none)."""
    try:
        with tarfile.open(source, "r:*") as archive:
            member = archive.extractfile("settings.json")
            return dict(json.loads(member.read())) if member is not None else {}
    except KeyError:
        return {}
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BackupRefused(f"{source}: not a Zhenggai backup ({error})") from None


def settings_differences(backed_up: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The settings whose value now differs from the backup's, by name: (name, backup's, now).

    Settings live in the environment, not in the ledger, so a restore cannot apply them; it says which
    differ, so that the new host can be given the old ones. Names only one side knows are left out (a
    setting added or dropped between versions), and so are paths, which a new host has its own of."""
    return [
        (name, backed_up[name], current[name])
        for name in sorted(backed_up.keys() & current.keys())
        if backed_up[name] != current[name] and name not in HOST_SETTINGS
    ]


# Where this host keeps its files and database: expected to differ on the host a backup is restored to.
HOST_SETTINGS = frozenset({"data_dir", "database_url", "fonts_dir"})


def _refuse_unless_empty(
    database: Database, evidence_dir: Path, notices_dir: Path, duban_dir: Path | None
) -> None:
    with database.unit_of_work() as session:
        filled = [
            table.name
            for table in Base.metadata.sorted_tables
            if session.scalar(select(func.count()).select_from(table))
        ]
    if filled:
        raise BackupRefused(
            f"the ledger is not empty ({', '.join(filled)} hold rows): restore fills an empty data directory "
            "or database only"
        )
    if next(stored_files(evidence_dir), None) is not None:
        raise BackupRefused(
            f"{evidence_dir} already holds evidence files: restore into an empty data directory"
        )
    if notices_dir.is_dir() and any(notices_dir.iterdir()):
        raise BackupRefused(f"{notices_dir} already holds notices: restore into an empty data directory")
    if duban_dir is not None and duban_dir.is_dir() and any(duban_dir.iterdir()):
        raise BackupRefused(f"{duban_dir} already holds 督办单 files: restore into an empty data directory")


def restore_backup(
    database: Database,
    source: Path,
    *,
    evidence_dir: Path,
    notices_dir: Path,
    duban_dir: Path | None = None,
) -> RestoreSummary:
    """Fill an empty ledger (its schema at this code's revision) from a backup; refuse a non-empty one.

    Every evidence file is checked against its hash before the database rows are written, in one
    transaction; a failure leaves the database empty and removes the files written."""
    try:
        return _restore(
            database, source, evidence_dir=evidence_dir, notices_dir=notices_dir, duban_dir=duban_dir
        )
    except (tarfile.TarError, OSError, ValueError, KeyError, SQLAlchemyError) as error:
        raise BackupRefused(f"{source}: not restored, nothing was written ({error})") from None


def _restore(
    database: Database, source: Path, *, evidence_dir: Path, notices_dir: Path, duban_dir: Path | None
) -> RestoreSummary:
    summary = RestoreSummary()
    with tarfile.open(source, "r:*") as archive:
        manifest = _manifest(archive, str(source))
        head = database.head_revision()
        if manifest.get("revision") != head:
            raise BackupRefused(
                f"{source}: the backup is at schema {manifest.get('revision')}, this Zhenggai at {head}: "
                "restore it with the Zhenggai that wrote it, then upgrade"
            )
        _refuse_unless_empty(database, evidence_dir, notices_dir, duban_dir)
        written: list[Path] = []
        try:
            for member in archive.getmembers():
                if not member.isfile():
                    continue
                name = Path(member.name)
                if ".." in name.parts or name.is_absolute():
                    raise BackupRefused(f"{source}: unsafe path {member.name}")
                folders = {"evidence": evidence_dir, "notices": notices_dir, "duban": duban_dir}
                folder = folders.get(name.parts[0])
                if folder is None:
                    continue
                target = folder.joinpath(*name.parts[1:])
                stream = archive.extractfile(member)
                assert stream is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(stream.read())
                written.append(target)
                if name.parts[0] == "evidence" and file_sha256(target) != target.name:
                    raise BackupRefused(f"{source}: evidence file {target.name} does not match its hash")
                if name.parts[0] == "evidence":
                    target.chmod(0o444)
                summary.count_file(name.parts[0])
            summary.rows = _insert_rows(database, archive)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return summary


def _insert_rows(database: Database, archive: tarfile.TarFile) -> dict[str, int]:
    rows: dict[str, int] = {}
    with database.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            member = archive.extractfile(f"db/{table.name}.jsonl")
            assert member is not None
            decoders = {column.name: _decoder(column) for column in table.columns}
            batch: list[dict[str, Any]] = []
            count = 0
            for line in member:
                data = json.loads(line)
                batch.append(
                    {key: None if value is None else decoders[key](value) for key, value in data.items()}
                )
                if len(batch) == 500:
                    connection.execute(table.insert(), batch)
                    count += len(batch)
                    batch = []
            if batch:
                connection.execute(table.insert(), batch)
                count += len(batch)
            rows[table.name] = count
            if connection.dialect.name == "postgresql":
                _reset_sequence(connection, table)
    return rows


def _reset_sequence(connection: Connection, table: Table) -> None:
    """After rows came in with their ids, the next id PostgreSQL hands out follows the largest."""
    columns = [c for c in table.primary_key.columns if c.autoincrement is True or c.autoincrement == "auto"]
    for column in columns:
        if not issubclass(column.type.python_type, int):
            continue
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        )
        if sequence:
            connection.execute(
                text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )
