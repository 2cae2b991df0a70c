"""``zhenggai notice``: formats, missing reports on stderr, --strict, default paths, version records."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import select

from models.db import Database
from models.settings import Settings
from models.tables import GeneratedNotice
from tasks.notice.pdf import DEBIAN_PACKAGES, soffice_path
from tests.conftest import EXAMPLE_DIR, SEED_ROUND


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_txt_to_a_file_equals_the_seed(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "notice.txt"
    result = cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "--format", "txt", "-o", out)

    assert result.exit_code == 0, result.output
    assert f"→ {out} (version 1, sha256 " in result.stdout
    assert result.stderr == ""
    seed = (EXAMPLE_DIR / "notice.txt").read_text(encoding="utf-8")
    assert _paragraphs(out.read_text(encoding="utf-8")) == _paragraphs(seed)


def test_text_formats_go_to_stdout_without_output(cli: Callable[..., Any], seeded_database: Database) -> None:
    html = cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "--format", "html")
    md = cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "-f", "md")

    assert html.exit_code == 0 and md.exit_code == 0
    assert html.stdout.startswith("<!DOCTYPE html>") and "一、学习未能真正“入脑入心”。" in html.stdout
    assert md.stdout.startswith("# 中共新华区城市管理综合行政执法局党组")
    with seeded_database.unit_of_work() as session:
        records = [(r.version, r.format, r.path) for r in session.scalars(select(GeneratedNotice))]
    assert sorted(records) == [(1, "html", None), (2, "md", None)]


def test_docx_defaults_to_the_data_directory(
    cli: Callable[..., Any], seeded_database: Database, settings: Settings
) -> None:
    result = cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "--format", "docx", "--by", "秘书")

    assert result.exit_code == 0, result.output
    path = settings.notices_dir / f"{SEED_ROUND}_2023-12-31_v1.docx"
    document = docx.Document(io.BytesIO(path.read_bytes()))
    assert document.paragraphs[1].text == "关于巡察整改进展情况的通报"
    with seeded_database.unit_of_work() as session:
        record = session.scalars(select(GeneratedNotice)).one()
        assert (record.requested_by, record.path, record.format) == ("秘书", str(path), "docx")


def test_missing_reports_are_marked_and_listed_on_stderr(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "draft.txt"
    result = cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-01", "-o", out)

    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "28 measure(s) have no report as of 2023-12-01 (marked 【待报送】 in the notice):"
    assert lines[1] == "  一、措施 XH-01-1：局党组 未报送"
    assert len(lines) == 29
    assert "二、学习理解不系统、不深入。" in out.read_text(encoding="utf-8")
    assert "整改成效：一是【待报送：局党组】" in out.read_text(encoding="utf-8")


def test_strict_fails_and_writes_nothing(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "draft.docx"
    result = cli(
        "notice", "--round", SEED_ROUND, "--as-of", "2023-12-01", "-f", "docx", "-o", out, "--strict"
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: 28 measure(s) have no report as of 2023-12-01; nothing was written:"
    )
    assert "  二、措施 XH-02-1（一是）：局党组 未报送" in result.stderr
    assert not out.exists()
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(GeneratedNotice)).first() is None

    complete = cli(
        "notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "-o", tmp_path / "n.txt", "--strict"
    )
    assert complete.exit_code == 0, complete.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--round", "nope"), "error: no round 'nope'"),
        (("--round", SEED_ROUND, "--format", "rtf"), "'rtf' is not one of txt, md, html, docx, pdf"),
        (("--round", SEED_ROUND, "--as-of", "31.12.2023"), "'31.12.2023' is not a date"),
    ],
)
def test_bad_arguments(
    cli: Callable[..., Any], seeded_database: Database, args: tuple[str, ...], message: str
) -> None:
    result = cli("notice", *args)

    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_pdf_without_libreoffice_is_a_clear_error(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    result = cli(
        "notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "-f", "pdf", "-o", tmp_path / "n.pdf"
    )

    assert result.exit_code == 1
    assert "error: PDF needs LibreOffice (soffice), which is not installed" in result.stderr
    assert not (tmp_path / "n.pdf").exists()


@pytest.mark.skipif(
    soffice_path() is None, reason=f"LibreOffice is not installed: apt-get install -y {DEBIAN_PACKAGES}"
)
def test_pdf_names_its_fonts_on_stderr(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    result = cli(
        "notice", "--round", SEED_ROUND, "--as-of", "2023-12-31", "-f", "pdf", "-o", tmp_path / "n.pdf"
    )

    assert result.exit_code == 0, result.output
    [fonts] = [line for line in result.stderr.splitlines() if line.startswith("PDF fonts: ")]
    assert "LiberationSerif" in fonts
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF")
