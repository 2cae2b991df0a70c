"""Backup while reports keep coming in, restore into an empty ledger, refuse a non-empty one (issue 12, item 8)."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flows.intake import submit_report
from models.db import Database
from models.errors import BackupRefused
from models.settings import Settings, get_settings
from models.tables import Report
from tasks.backup.archive import restore_backup, write_backup
from tasks.reports.evidence import Upload, stage_evidence, verify_evidence
from tasks.reports.record import ReportInput
from tests.conftest import empty_postgres
from tests.support.postgres import migrated_postgres_database
from tests.support.work import settings_clock

MEASURES = ["XH-01-1", "XH-02-1", "XH-03-1", "XH-04-1", "XH-05-1"]
ALLOWED = ["text/plain"]


class Submitter(threading.Thread):
    """Submits reports with an evidence file each until stopped; ``acknowledged`` holds each one answered."""

    def __init__(self, database: Database, evidence_dir: Path) -> None:
        super().__init__(daemon=True)
        self.database, self.evidence_dir = database, evidence_dir
        self.acknowledged: list[int] = []
        self.stop = threading.Event()
        self.enough = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                content = f"第{n}次现场检查记录 {uuid.uuid4().hex}".encode()
                staged = stage_evidence(
                    self.evidence_dir,
                    [Upload(f"记录{n}.txt", io.BytesIO(content))],
                    max_bytes=10_000,
                    allowed_types=ALLOWED,
                )
                data = ReportInput(measure=MEASURES[n % len(MEASURES)], text=f"第{n}次进展", source="api")
                summary = submit_report(
                    self.database, data, actor="test", clock=settings_clock(), staged=staged, emit=False
                )
                self.acknowledged.append(int(summary["id"]))
                if len(self.acknowledged) >= 10:
                    self.enough.set()
        except BaseException as error:  # surfaced by the test
            self.error = error
            self.enough.set()


@pytest.fixture(scope="session")
def postgres_restore_url(postgres_server_url: str) -> Iterator[str]:
    """A second migrated database on the session's PostgreSQL server, dropped at the session's end."""
    # Session-wide because every DROP DATABASE makes the server take an immediate checkpoint of all its
    # databases (25-31 s at the suite's load): paid once at the end, beside the session database's own.
    with migrated_postgres_database(postgres_server_url, "zhenggai_restore") as url:
        yield url


@pytest.fixture
def empty_target(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A second, empty, migrated database on the same backend to restore into."""
    if db_backend == "sqlite":
        target = Database(f"sqlite:///{tmp_path / 'restored' / 'zhenggai.db'}")
        target.upgrade()
        yield target
        target.dispose()
        return
    url = request.getfixturevalue("postgres_restore_url")
    empty_postgres(url)
    target = Database(url)
    yield target
    target.dispose()


def test_a_backup_taken_during_submissions_restores_every_acknowledged_report_and_file(
    seeded_database: Database, settings: Settings, empty_target: Database, tmp_path: Path
) -> None:
    submitter = Submitter(seeded_database, settings.evidence_dir)
    submitter.start()
    try:
        assert submitter.enough.wait(120) and submitter.error is None, submitter.error
        acknowledged_before = set(submitter.acknowledged)  # answered before the backup began

        summary = write_backup(
            seeded_database,
            tmp_path / "backup.tar.gz",
            evidence_dir=settings.evidence_dir,
            notices_dir=settings.notices_dir,
            settings={"timezone": settings.timezone},
        )
    finally:
        submitter.stop.set()
        submitter.join(60)
    assert submitter.error is None, submitter.error
    assert summary.missing_evidence == []

    restored_evidence = tmp_path / "restored-data" / "evidence"
    restored = restore_backup(
        empty_target,
        tmp_path / "backup.tar.gz",
        evidence_dir=restored_evidence,
        notices_dir=tmp_path / "restored-data" / "notices",
    )

    with empty_target.unit_of_work() as session:
        ids = set(session.scalars(select(Report.id)))
        assert acknowledged_before <= ids
        assert len(ids) == summary.rows["reports"] == restored.rows["reports"]
        assert verify_evidence(session, restored_evidence) == []
        assert restored.evidence == summary.evidence >= len(acknowledged_before)
    # The restored ledger takes new reports (PostgreSQL's id sequences follow the restored rows).
    data = ReportInput(measure="XH-01-1", text="恢复后的进展", source="api")
    after = submit_report(empty_target, data, actor="test", clock=settings_clock(), emit=False)
    assert int(after["id"]) > max(ids)


def test_a_restore_into_a_ledger_that_holds_anything_is_refused(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar.gz"
    write_backup(
        seeded_database,
        archive,
        evidence_dir=settings.evidence_dir,
        notices_dir=settings.notices_dir,
        settings={},
    )
    with seeded_database.unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(Report))

    with pytest.raises(BackupRefused, match="not empty"):
        restore_backup(
            seeded_database, archive, evidence_dir=tmp_path / "evidence", notices_dir=tmp_path / "notices"
        )

    with seeded_database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == before
    assert not (tmp_path / "evidence").exists()


def test_the_commands_back_up_and_refuse_to_restore_over_a_ledger(
    seeded_database: Database, cli: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "zhenggai.tar.gz"
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")

    written = cli("backup", "-o", archive)
    over = cli("restore", archive)
    not_a_backup = cli("restore", junk)

    assert written.exit_code == 0, written.output
    assert "wrote " in written.output and "(28 reports)" in written.output
    assert over.exit_code == 1 and "the ledger is not empty" in over.output
    assert not_a_backup.exit_code == 1 and "not a Zhenggai backup" in not_a_backup.output
    assert "Traceback" not in over.output + not_a_backup.output


def test_a_restore_on_a_new_host_brings_the_duban_files_and_names_the_settings_that_differ(
    seeded_database: Database, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "zhenggai.tar.gz"
    sheet = get_settings().duban_dir / "2023" / "1.docx"  # a 督办单 file, as the sweep stores it
    sheet.parent.mkdir(parents=True)
    sheet.write_bytes(b"PK docx")
    written = cli("backup", "-o", archive)
    assert written.exit_code == 0 and "1 督办单 files" in written.output
    new_host = tmp_path / "new-host"
    monkeypatch.setenv("ZHENGGAI_DATA_DIR", str(new_host))
    monkeypatch.setenv("ZHENGGAI_DATABASE_URL", f"sqlite:///{new_host / 'zhenggai.db'}")
    monkeypatch.setenv("ZHENGGAI_DUE_SOON_WORKDAYS", "3")

    restored = cli("restore", archive)

    assert restored.exit_code == 0, restored.output
    assert "restored " in restored.output and "(28 reports)" in restored.output
    # Settings are the environment's: the restore cannot apply them, it names the one that differs (the
    # data directory and database, a new host's own, are not listed).
    assert "settings that differ from the backup's" in restored.output
    assert "ZHENGGAI_DUE_SOON_WORKDAYS: backup 5, now 3" in restored.output
    assert "ZHENGGAI_DATA_DIR" not in restored.output and "ZHENGGAI_DATABASE_URL" not in restored.output
    assert (new_host / "duban" / "2023" / "1.docx").read_bytes() == b"PK docx"
