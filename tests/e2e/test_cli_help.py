"""Help speaks the user's words: no Python type names (``<bool>`` on flags, ``<list[Path]>``); ``--version``."""

from __future__ import annotations

import re

import click
import pytest
import typer.main

from flows.cli import app
from tests.e2e.test_cli import ALL_COMMANDS


@pytest.mark.parametrize(("path", "command"), ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_help_shows_no_python_type_names(path: tuple[str, ...], command: click.Command) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|str|int|float|list\[|Path|datetime|date)\b", result.output), result.output
    for param in command.params:
        if getattr(param, "is_flag", False) and not param.hidden:
            record = param.get_help_record(click.Context(command))
            assert record is None or "<" not in record[0], record


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip() == f"zhenggai {version('zhenggai')}"


def test_the_root_still_lists_every_command() -> None:
    group = typer.main.get_group(app)
    assert {"status", "report", "notice", "sweep"} <= set(group.list_commands(click.Context(group)))
