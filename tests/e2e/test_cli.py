"""The ``zhenggai`` command line, in-process through Typer's runner and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main

from flows.cli import app
from tests.conftest import EXAMPLE_DIR, ROOT, SEED_ROUND

DATA = Path(__file__).parents[1] / "data" / "plans"


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    # The root group builds its commands lazily: ask it for them as click's help does.
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


ALL_COMMANDS = list(_commands(typer.main.get_group(app)))  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "command"), ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])

    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`zhenggai {' '.join(path)} --help` shows no example"


def test_importing_the_cli_imports_nothing_heavy() -> None:
    heavy = ("prefect", "sqlalchemy", "apprise", "fastapi", "docx", "openpyxl", "jinja2", "pydantic", "tasks")
    code = f"import sys, flows.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_the_root_table_names_every_command_and_the_modules_that_register_it() -> None:
    """``COMMAND_MODULES`` (what the lazy root group imports for a command) matches what the modules
    register: every root command listed, each with the modules its callbacks live in."""
    import importlib
    import pkgutil

    import flows.cli
    from flows.cli.app import COMMAND_MODULES

    for module in pkgutil.iter_modules(flows.cli.__path__):
        if module.name != "__main__":  # it runs the command line
            importlib.import_module(f"flows.cli.{module.name}")
    registered: dict[str, set[str]] = {}
    for command_info in app.registered_commands:
        assert command_info.name is not None and command_info.callback is not None
        registered.setdefault(command_info.name, set()).add(command_info.callback.__module__)
    for group_info in app.registered_groups:
        assert group_info.name is not None and group_info.typer_instance is not None
        group = group_info.typer_instance
        callbacks = [info.callback for info in group.registered_commands]
        if group.registered_callback is not None:  # the group's own callback (``zhenggai notice``)
            callbacks.append(group.registered_callback.callback)
        registered[group_info.name] = {callback.__module__ for callback in callbacks if callback is not None}

    assert list(COMMAND_MODULES) == list(registered)  # the order --help lists them in
    for name, modules in registered.items():
        assert modules == {f"flows.cli.{module}" for module in COMMAND_MODULES[name]}, name


def test_a_command_imports_no_other_commands_module(tmp_path: Path) -> None:
    """The root group imports the invoked command's module only (``zhenggai status`` builds and imports
    none of the other commands)."""
    code = (
        "import sys\n"
        "from flows.cli import app\n"
        "try: app(['status', '--help'])\n"
        "except SystemExit as exit: assert not exit.code, exit.code\n"
        "print(sorted(m for m in sys.modules if m.startswith('flows.cli.')))\n"
    )
    env = {**os.environ, "ZHENGGAI_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == str(
        ["flows.cli.app", "flows.cli.common", "flows.cli.status"]
    )


def test_seed_status_lists_all_nine_problems_with_owners_and_lights(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    result = cli("status", "--round", SEED_ROUND, "--as-of", "2023-12-29")

    assert result.exit_code == 0, result.output
    for problem in range(1, 10):
        assert f"XH-0{problem}-1" in result.output
    assert "● 绿" in result.output and "● 红" in result.output
    assert "各街道办事处" in result.output


def test_status_filters_by_unit_and_state(cli: Callable[..., Any], seeded_database: Any) -> None:
    by_unit = cli("status", "--unit", "jiedao", "--as-of", "2023-12-29")
    overdue = cli("status", "--state", "overdue", "--as-of", "2023-12-29")

    assert "各街道办事处" in by_unit.output and "局督查机构" not in by_unit.output
    assert "XH-07-2" in overdue.output and "XH-05-2" not in overdue.output


def test_a_measure_in_detail_shows_its_cadence_in_words_and_next_runs(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    result = cli("status", "--measure", "XH-05-2", "--as-of", "2023-12-29")

    assert result.exit_code == 0, result.output
    assert "每周一 09:00" in result.output
    assert "2024-01-08" in result.output  # 2024-01-01 is New Year's Day: that Monday's meeting is skipped


def test_demo_loads_the_seed_once_and_again_changes_nothing(cli: Callable[..., Any], database: Any) -> None:
    first = cli("demo")
    second = cli("demo")

    assert first.exit_code == 0, first.output
    assert "28 recorded" in first.output
    assert "plan: 0 changes" in second.output
    assert "0 recorded, 28 already recorded" in second.output
    notices = notice_files(first)
    assert {p.suffix for p in notices} == {".md", ".docx"}


def notice_files(result: Any) -> list[Path]:
    """The notice files the demo says it wrote."""
    paths = [
        Path(line.split(": ", 1)[1]) for line in result.output.splitlines() if line.startswith("notice (")
    ]
    assert paths and all(p.exists() for p in paths), result.output
    return paths


def test_a_broken_plan_exits_1_with_file_line_and_field(cli: Callable[..., Any], database: Any) -> None:
    broken = DATA / "broken" / "03-unknown-unit.yaml"

    result = cli("plan", "load", broken)

    assert result.exit_code == 1
    assert f"{broken}:33: problems[0].measures[0].lead_unit: unknown unit 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


def test_named_errors_become_one_line_messages(cli: Callable[..., Any], seeded_database: Any) -> None:
    unknown = cli("report", "add", "--measure", "NOPE", "--text", "x")
    bad_metric = cli("report", "add", "--measure", "XH-08-1", "--text", "x", "--metric", "宣传信")

    assert unknown.exit_code == 1 and unknown.stderr.strip() == "error: no measure 'NOPE'"
    assert bad_metric.exit_code == 2 and "NAME=NUMBER" in bad_metric.stderr


def test_report_text_that_looks_like_markup_is_shown_as_written(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    text = "按[/red]要求[bold]完成整改"
    assert cli("report", "add", "--measure", "XH-05-2", "--text", text).exit_code == 0

    detail = cli("status", "--measure", "XH-05-2", "--as-of", "2099-01-01")
    tree = cli("plan", "show", "--round", SEED_ROUND)

    assert detail.exit_code == 0 and "[/red]" in detail.output.replace("\n", "").replace("│", "").replace(
        " ", ""
    )
    assert tree.exit_code == 0 and "XH-05-2" in tree.output


def test_a_metric_the_ledger_cannot_hold_is_a_usage_error(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    result = cli(
        "report", "add", "--measure", "XH-08-1", "--text", "x", "--metric", "罚款=123456789012345678901万元"
    )

    assert result.exit_code == 2
    assert "--metric" in result.stderr and "Traceback" not in result.stderr


def test_report_add_records_a_report(cli: Callable[..., Any], seeded_database: Any) -> None:
    result = cli(
        "report",
        "add",
        "--measure",
        "XH-08-1",
        "--text",
        "再次发放宣传一封信。",
        "--metric",
        "宣传一封信=5000份",
        "--period",
        "2023-12-16..2023-12-20",
    )

    assert result.exit_code == 0, result.output
    assert "recorded report #" in result.output


def test_plan_export_round_trips_through_the_cli(
    cli: Callable[..., Any], seeded_database: Any, tmp_path: Path
) -> None:
    out = tmp_path / "plan.yaml"

    assert cli("plan", "export", "--round", SEED_ROUND, "-o", out).exit_code == 0
    reloaded = cli("plan", "load", out)

    assert reloaded.exit_code == 0 and "0 changes" in reloaded.output


def test_the_installed_command_runs_in_a_fresh_data_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    env["ZHENGGAI_DATA_DIR"] = str(tmp_path / "data")
    command = [sys.executable, "-m", "flows.cli", "plan", "load", str(EXAMPLE_DIR / "plan.yaml")]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "zhenggai.db").exists()


def test_a_setting_the_environment_gets_wrong_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    env["ZHENGGAI_DATA_DIR"] = str(tmp_path / "data")
    env["ZHENGGAI_DIGEST_HOUR"] = "25:00"
    command = [sys.executable, "-m", "flows.cli", "status"]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert result.stderr.startswith("error: ZHENGGAI_DIGEST_HOUR=25:00: Input should be in a valid time")
    assert "Traceback" not in result.stderr
