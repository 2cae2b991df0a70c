"""The Markdown round trip of a draft: export, edit the real file as a text editor would (lines wrapped,
a Windows line break, an invisible character), import shown as a diff (--dry-run) then taken, through the
intake's text normalisation; a damaged or foreign file is refused naming the line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models.db import Database
from models.tables import NoticeEdit
from tests.conftest import SEED_ROUND

HEADING = "## 问题三 整改成效〔problem-3-outcome〕"


def _exported(cli: Callable[..., Any], tmp_path: Path) -> tuple[int, Path]:
    made = cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31")
    match = re.search(r"草稿 (\d+)", made.stdout)
    assert match, made.output
    draft = int(match.group(1))
    path = tmp_path / "draft.md"
    exported = cli("notice", "export", draft, "-o", path)
    assert exported.exit_code == 0, exported.output
    return draft, path


def _replace_paragraph(text: str, heading: str, new: str) -> str:
    """The file with the paragraph under ``heading`` replaced by ``new`` (as an editor would)."""
    lines = text.split("\n")
    start = lines.index(heading) + 2
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("## "))
    return "\n".join([*lines[:start], new, "", *lines[end:]])


def test_a_draft_edited_as_markdown_comes_back_as_edits(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    draft, path = _exported(cli, tmp_path)
    exported = path.read_text(encoding="utf-8")
    assert exported.startswith(f"# 通报草稿 {draft}\n") and HEADING in exported
    # As unchanged, the file is no change at all.
    assert cli("notice", "import", draft, path, "--dry-run").stdout.splitlines()[0] == "no change"

    wrapped = "一是组织专题学习\u200b12次。\r\n  二是建立台账。"  # wrapped in the editor, a zero-width space
    path.write_bytes(_replace_paragraph(exported, HEADING, wrapped).encode("utf-8"))
    dry = cli("notice", "import", draft, path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "--- 问题三 整改成效（原文）" in dry.stdout and "+一是组织专题学习12次。" in dry.stdout
    assert "nothing written" in dry.stdout
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeEdit)).all() == []

    taken = cli("notice", "import", draft, path)
    assert taken.exit_code == 0, taken.output
    with seeded_database.unit_of_work() as session:
        edit = session.scalars(select(NoticeEdit)).one()
        assert (edit.key, edit.source, edit.actor) == ("problem-3-outcome", "md", "duban-office")
        assert edit.after == "一是组织专题学习12次。二是建立台账。"
    assert (
        "整改成效：一是组织专题学习12次。二是建立台账。" in cli("notice", "show", draft, "-f", "txt").stdout
    )
    assert cli("notice", "import", draft, path).stdout.strip() == "no change"


def test_a_damaged_or_foreign_markdown_file_is_refused_and_nothing_taken(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    draft, path = _exported(cli, tmp_path)
    text = path.read_text(encoding="utf-8")
    damaged = _replace_paragraph(text.replace("〔closing〕", ""), "## 开头〔preamble〕", "改了开头。")
    path.write_text(damaged, encoding="utf-8")
    refused = cli("notice", "import", draft, path)
    assert refused.exit_code == 1
    line = damaged.split("\n").index("## 结尾") + 1
    assert f"draft.md:{line}: 段落: the paragraph's key 〔…〕 is missing" in refused.stderr

    path.write_text(text + "\n\x1b[31m\n", encoding="utf-8")
    control = cli("notice", "import", draft, path)
    assert control.exit_code == 1 and "ESC" in control.stderr

    path.write_text(text, encoding="utf-8")
    other = cli("notice", "import", draft + 1, path)
    assert other.exit_code == 1 and "another draft" in other.stderr
    wrong = tmp_path / "draft.txt"
    wrong.write_text(text, encoding="utf-8")
    assert cli("notice", "import", draft, wrong).exit_code == 2  # a usage error: .docx or .md
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeEdit)).all() == []


def test_approve_by_an_unknown_contact_is_one_line_and_exit_1(
    cli: Callable[..., Any], seeded_database: Database
) -> None:
    made = cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31")
    draft = int(made.stdout.split()[-1])
    for command in (("approve", draft, "--allow-missing"), ("return", draft, "--note", "请补充")):
        refused = cli("notice", *command, "--by", "nobody")
        assert refused.exit_code == 1
        assert refused.stderr.splitlines() == [
            "error: no contact 'nobody': name who decides by a contact's code (the round's head is 'bureau-head')"
        ]
    assert f"草稿 {draft}  {SEED_ROUND}  2023-12-31  drafting" in cli("notice", "drafts").stdout
