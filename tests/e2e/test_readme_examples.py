"""README.md's shell examples run as shown, in order, on a fresh ledger: every ``zhenggai …`` line of its
``sh`` blocks exits 0 (``export`` lines set the environment, but for the database URL: the test's database stands in for the
example's; the servers, which run until stopped, parse
their options and stop at ``--help``). The two opening commands are CI's own (``.ci/run``) and the demo's
(``tests/e2e/test_cli.py``)."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support.docs import FENCE

README = ROOT / "README.md"
# Commands that serve until stopped: their options are checked, then they stop at --help.
SERVERS = {"serve", "web"}
# The files the examples name that the README does not show, as a user would have them.
FILES = {
    "examples": ROOT / "examples",
    "plan.yaml": ROOT / "examples" / "xinhua-2023" / "plan.yaml",
    "通报.docx": ROOT / "tests" / "data" / "notices" / "n08_bold_lead_sentence.docx",
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def readme_commands() -> list[tuple[int, list[str]]]:
    """Each shell line of README.md's ``sh`` blocks after its opening two commands, with its line number
    (``export`` lines included; comments and lines that are not ``zhenggai`` or ``export`` left out)."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in list(FENCE.finditer(text))[1:]:  # the first block is the two opening commands
        if block["info"].strip() != "sh":
            continue
        start = text.count("\n", 0, block.start()) + 2
        for offset, line in enumerate(block["body"].splitlines()):
            argv = shlex.split(line, comments=True)
            if argv and argv[0] in ("zhenggai", "export"):
                lines.append((start + offset, argv))
    return lines


def test_the_readme_shows_commands_to_run() -> None:
    shown = {argv[1] for _, argv in readme_commands() if argv[0] == "zhenggai"}
    assert {"plan", "status", "report", "notice", "sync", "serve", "web", "token"} <= shown


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_every_readme_command_runs_as_shown(
    cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, source in FILES.items():
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copyfile(source, tmp_path / name)
    (tmp_path / "台账.pdf").write_bytes(PDF)
    monkeypatch.chdir(tmp_path)
    for line, argv in readme_commands():
        if argv[0] == "export":
            name, _, value = argv[1].partition("=")
            if name != "ZHENGGAI_DATABASE_URL":  # the test's database (SQLite, PostgreSQL) stands in for it
                monkeypatch.setenv(name, value)
            continue
        args = argv[1:] + (["--help"] if argv[1] in SERVERS else [])
        result = cli(*args)
        assert result.exit_code == 0, f"README.md:{line}: zhenggai {shlex.join(args)}\n{result.output}"
