"""Content-addressed evidence: staging, publishing after the commit, no orphans, verification."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flows.intake import submit_report
from models.clock import Clock
from models.db import Database
from models.errors import InvalidReport
from models.settings import Settings
from models.tables import EvidenceFile, ReportEvidence
from models.workdays import WeekdayCalendar
from tasks.reports.evidence import (
    EvidenceTooLarge,
    EvidenceTypeRefused,
    StagedEvidence,
    Upload,
    check_filename,
    evidence_path,
    stage_evidence,
    stage_paths,
    stored_files,
    sweep_staging,
    verify_evidence,
)
from tasks.reports.record import ReportInput
from tests.factories import make_measure
from tests.integration.test_api import pdf_bytes

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
TODAY = date(2024, 1, 10)
ALLOWED = ["application/pdf", "image/png", "text/plain"]


def _stage(root: Path, *files: tuple[str, bytes], max_bytes: int = 10_000) -> StagedEvidence:
    uploads = [Upload(name, io.BytesIO(content)) for name, content in files]
    return stage_evidence(root, uploads, max_bytes=max_bytes, allowed_types=ALLOWED)


def _submit(
    database: Database, root: Path, code: str, *files: tuple[str, bytes], text: str = "已完成。"
) -> dict[str, Any]:
    staged = _stage(root, *files)
    data = ReportInput(measure=code, text=text, source="api")
    return submit_report(
        database,
        data,
        actor="test",
        clock=Clock(WeekdayCalendar(), "Asia/Shanghai", NOW),
        staged=staged,
        emit=False,
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../x.pdf",
        "a/b.pdf",
        "..\\x.pdf",
        "..",
        ".",
        ".env.pdf",
        "C:x.pdf",
        "a\x00b.pdf",
        "a\nb.pdf",
        "",
        "  ",
        "\u202eexe.pdf",
    ],
)
def test_path_like_or_unprintable_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidReport) as caught:
        check_filename(name)
    assert caught.value.field == "evidence"


def test_plain_names_are_kept_as_given() -> None:
    assert check_filename(" 2023年12月 台账（第1批）.pdf ") == "2023年12月 台账（第1批）.pdf"


def test_staged_files_are_hashed_and_published_only_when_asked(tmp_path: Path) -> None:
    content = pdf_bytes("a")
    staged = _stage(tmp_path, ("台账.pdf", content), ("说明.txt", "文字".encode()))
    assert staged.files[0].sha256 == hashlib.sha256(content).hexdigest()
    assert list(stored_files(tmp_path)) == []
    assert len(list((tmp_path / ".staging").iterdir())) == 2
    paths = staged.publish()
    assert paths[0] == evidence_path(tmp_path, hashlib.sha256(content).hexdigest())
    assert paths[0].read_bytes() == content
    assert not os.access(paths[0], os.W_OK) or os.geteuid() == 0  # published files are read-only
    assert list((tmp_path / ".staging").iterdir()) == []


def test_leaving_the_block_without_publishing_discards(tmp_path: Path) -> None:
    with _stage(tmp_path, ("台账.pdf", pdf_bytes("a"))) as staged:
        assert staged.files
    assert list((tmp_path / ".staging").iterdir()) == []
    assert list(stored_files(tmp_path)) == []


def test_one_bad_file_discards_the_good_ones_already_staged(tmp_path: Path) -> None:
    with pytest.raises(EvidenceTypeRefused) as caught:
        _stage(tmp_path, ("台账.pdf", pdf_bytes("a")), ("照片.png", b"not a png"))
    assert caught.value.field == "evidence[1]"
    assert list((tmp_path / ".staging").iterdir()) == []


def test_size_is_checked_while_streaming(tmp_path: Path) -> None:
    class Endless(io.RawIOBase):
        """A stream that never ends: staging must stop at the limit."""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            buffer[: len(buffer)] = b"%" * len(buffer)
            return len(buffer)

    upload = Upload("无限.pdf", io.BufferedReader(Endless()))
    with pytest.raises(EvidenceTooLarge):
        stage_evidence(tmp_path, [upload], max_bytes=3 * 1024 * 1024, allowed_types=ALLOWED)
    assert list((tmp_path / ".staging").iterdir()) == []


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    files = [(f"{i}.txt", b"x") for i in range(21)]
    with pytest.raises(InvalidReport, match="at most 20"):
        _stage(tmp_path, *files)


def test_utf8_cut_at_the_sample_edge_is_still_text(tmp_path: Path) -> None:
    content = ("整" * 2000).encode()  # 6000 bytes: the 4096-byte sample cuts a character
    staged = _stage(tmp_path, ("说明.txt", content))
    assert staged.files[0].size == 6000


def test_the_same_file_twice_is_stored_once(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        make_measure(session, code="E-1")
        make_measure(session, code="E-2")
        session.commit()
    content = pdf_bytes("shared")
    root = settings.evidence_dir
    first = _submit(database, root, "E-1", ("台账.pdf", content))
    second = _submit(database, root, "E-2", ("另一个名字.pdf", content), ("台账.pdf", content))
    assert first["evidence"][0]["sha256"] == second["evidence"][0]["sha256"]
    assert [e["filename"] for e in second["evidence"]] == ["另一个名字.pdf", "台账.pdf"]
    assert len(list(stored_files(root))) == 1
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == 1
        assert session.scalar(select(func.count()).select_from(ReportEvidence)) == 3
        assert verify_evidence(session, root) == []


def test_a_refused_report_leaves_no_file(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        make_measure(session, code="E-1")
        session.commit()
    with pytest.raises(InvalidReport, match="text"):
        _submit(database, settings.evidence_dir, "E-1", ("台账.pdf", pdf_bytes("a")), text=" ")
    assert list(stored_files(settings.evidence_dir)) == []
    assert list((settings.evidence_dir / ".staging").iterdir()) == []
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_verify_finds_missing_and_altered_files(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        make_measure(session, code="E-1")
        session.commit()
    root = settings.evidence_dir
    summary = _submit(database, root, "E-1", ("a.pdf", pdf_bytes("a")), ("b.pdf", pdf_bytes("b")))
    sha_a, sha_b = (e["sha256"] for e in summary["evidence"])
    path_a, path_b = evidence_path(root, sha_a), evidence_path(root, sha_b)
    path_a.chmod(0o644)
    path_a.write_bytes(pdf_bytes("A"))  # same size, other bytes
    path_b.chmod(0o644)
    path_b.unlink()
    with database.unit_of_work() as session:
        problems = {(p.sha256, p.problem) for p in verify_evidence(session, root)}
    assert problems == {(sha_a, "content changed"), (sha_b, "file missing")}


def test_stale_staging_files_are_swept(tmp_path: Path) -> None:
    staging = tmp_path / ".staging"
    staging.mkdir()
    old, fresh = staging / "upload-old", staging / "upload-fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert sweep_staging(tmp_path, older_than_seconds=3600) == 1
    assert [p.name for p in staging.iterdir()] == ["upload-fresh"]


def test_stage_paths_reads_files_from_disk(tmp_path: Path) -> None:
    source = tmp_path / "in" / "台账.pdf"
    source.parent.mkdir()
    source.write_bytes(pdf_bytes("disk"))
    staged = stage_paths(tmp_path / "store", [source], max_bytes=10_000, allowed_types=ALLOWED)
    assert staged.files[0].filename == "台账.pdf"
    staged.discard()
