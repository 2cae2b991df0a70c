"""The Word round trip of a draft: export, edit with python-docx, import shown as a diff (--dry-run) then
taken, through the intake's text normalisation; a damaged file is refused naming the row."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from sqlalchemy import select

from models.db import Database
from models.tables import NoticeEdit
from tests.conftest import SEED_ROUND


def _exported(cli: Callable[..., Any], tmp_path: Path) -> tuple[int, Path]:
    made = cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31")
    match = re.search(r"草稿 (\d+)", made.stdout)
    assert match, made.output
    draft = int(match.group(1))
    path = tmp_path / "draft.docx"
    exported = cli("notice", "export", draft, "-o", path)
    assert exported.exit_code == 0, exported.output
    return draft, path


def _row(document: Any, key: str) -> Any:
    return next(row for row in document.tables[0].rows if f"〔{key}〕" in row.cells[0].text)


def test_a_draft_edited_in_word_comes_back_as_edits(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    draft, path = _exported(cli, tmp_path)
    document = docx.Document(str(path))
    assert document.paragraphs[0].text == f"通报草稿 {draft}"
    row = _row(document, "problem-3-outcome")
    assert row.cells[0].text == "问题三 整改成效〔problem-3-outcome〕"
    row.cells[
        1
    ].text = "一是组织专题学习\u200b12次。\r\n二是建立台账。"  # a zero-width space and a Windows line break
    document.save(str(path))

    dry = cli("notice", "import", draft, path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "+一是组织专题学习12次。" in dry.stdout and "nothing written" in dry.stdout
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeEdit)).all() == []

    taken = cli("notice", "import", draft, path)
    assert taken.exit_code == 0, taken.output
    with seeded_database.unit_of_work() as session:
        edit = session.scalars(select(NoticeEdit)).one()
        assert (edit.key, edit.source, edit.actor) == ("problem-3-outcome", "docx", "duban-office")
        assert edit.after == "一是组织专题学习12次。二是建立台账。"
    rendered = cli("notice", "show", draft, "-f", "txt").stdout
    assert "整改成效：一是组织专题学习12次。二是建立台账。" in rendered
    assert cli("notice", "import", draft, path).stdout.strip() == "no change"


def test_a_damaged_or_foreign_file_is_refused_and_nothing_taken(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    draft, path = _exported(cli, tmp_path)
    document = docx.Document(str(path))
    _row(document, "closing").cells[0].text = "结尾"
    _row(document, "preamble").cells[1].text = "改了开头。"
    document.save(str(path))

    refused = cli("notice", "import", draft, path)
    assert refused.exit_code == 1
    assert "draft.docx: table row" in refused.stderr and "keep the left column" in refused.stderr
    other = cli("notice", "import", draft + 1, path)
    assert other.exit_code == 1 and "another draft" in other.stderr
    not_word = tmp_path / "x.docx"
    not_word.write_text("plain", encoding="utf-8")
    assert cli("notice", "import", draft, not_word).exit_code == 1
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeEdit)).all() == []
