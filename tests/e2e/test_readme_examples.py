"""README.md's shell examples run as shown, in order, on a fresh ledger, by the machinery of the docs' pages
(``tests/support/docs.py``): every ``zhenggai …`` line of its ``sh`` blocks exits 0, ``export`` lines set the
environment (but for the database URL: the test's database stands in for the example's), the servers parse
their options and stop at ``--help``. The two opening commands are CI's own (``.ci/run``) and the demo's
(``tests/e2e/test_cli.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support.docs import FENCE, PDF, Command, ExampleRun, shell_commands

README = ROOT / "README.md"
# The files the examples name that the README does not show, as a user would have them.
FILES = {
    "examples": ROOT / "examples",
    "plan.yaml": ROOT / "examples" / "xinhua-2023" / "plan.yaml",
    "通报.docx": ROOT / "tests" / "data" / "notices" / "n08_bold_lead_sentence.docx",
}


def readme_commands() -> list[Command]:
    """The commands of README.md's ``sh`` blocks after its opening two."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in list(FENCE.finditer(text))[1:]:  # the first block is the two opening commands
        if block["info"].strip() == "sh":
            commands.extend(shell_commands(block["body"], text.count("\n", 0, block.start()) + 2))
    return commands


def test_the_readme_shows_commands_to_run() -> None:
    shown = {command.argv[0] for command in readme_commands() if command.program == "zhenggai"}
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
    ExampleRun("README.md", cli, tmp_path, monkeypatch).run(readme_commands())
