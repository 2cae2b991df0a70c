"""The command examples of docs/importing.md run: each ``console`` block's ``$ zhenggai …`` commands, in
order, in a folder holding the files they name, each succeeding and printing the lines shown under it."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "importing.md"
NOTICES = ROOT / "tests" / "data" / "notices"
FILES = {
    "notice.txt": ROOT / "examples" / "xinhua-2023" / "notice.txt",
    "通报.docx": NOTICES / "n08_bold_lead_sentence.docx",
    "通报.html": NOTICES / "n10_portal_page.html",
    "n09_table_ledger.docx": NOTICES / "n09_table_ledger.docx",
}


def console_blocks() -> list[list[tuple[str, list[str]]]]:
    """Each block as its commands, each with the output lines shown after it."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps += [(command.strip(), []) for command in line[2:].split("&&")]
            elif line.strip():
                steps[-1][1].append(line.strip())
        blocks.append(steps)
    return blocks


def test_every_command_of_the_page_runs(cli, database, tmp_path, monkeypatch):
    for name, source in FILES.items():
        shutil.copy(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    blocks = console_blocks()
    assert len(blocks) >= 3
    for steps in blocks:
        for command, shown in steps:
            words = shlex.split(command)
            assert words[0] == "zhenggai", command
            result = cli(*words[1:])
            assert result.exit_code == 0, f"{command}\n{result.output}"
            for line in shown:
                assert line in result.output, f"{command}: {line!r} not in\n{result.output}"
