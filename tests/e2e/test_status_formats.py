"""``zhenggai status`` for pipes and programs: plain text when stdout is not a terminal, ``--format``
tsv, json and xlsx with the same measures and cells as the table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from models.db import Database, code_revision, quick_code_revision
from tests.conftest import SEED_ROUND

ARGS = ("status", "--round", SEED_ROUND, "--as-of", "2023-12-29")


def test_a_pipe_gets_one_plain_line_per_measure_with_the_whole_text(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    result = cli(*ARGS)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "整改进展 · 2023-12-29"
    assert lines[1].split() == ["措施", "责任单位", "完成时限", "状态", "灯", "整改措施"]
    rows = [line for line in lines if line.startswith("XH-") and "●" in line]
    summary = next(line for line in lines if "measures · 绿" in line)
    assert len(rows) == int(summary.split()[0])
    assert not any(ch in result.output for ch in "│┃━─┏"), "no table borders in a pipe"
    xh_05_2 = next(line for line in rows if line.startswith("XH-05-2 "))
    assert xh_05_2.endswith("部署本周工作重点并回头看整改落实"), xh_05_2  # the text last and whole


def test_tsv_has_a_header_and_one_row_per_measure(cli: Callable[..., Any], seeded_database: Any) -> None:
    plain = cli(*ARGS)
    result = cli(*ARGS, "--format", "tsv")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split("\t") == ["措施", "整改措施", "责任单位", "完成时限", "状态", "灯"]
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 6 for row in rows)
    assert {row[0] for row in rows} == {
        line.split()[0] for line in plain.output.splitlines() if line.startswith("XH-") and "●" in line
    }
    assert {row[5] for row in rows} <= {"● 绿", "● 黄", "● 红"}


def test_json_gives_each_measure_with_its_state_and_light(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    tsv = cli(*ARGS, "--format", "tsv")
    result = cli(*ARGS, "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2023-12-29"
    measures = {item["measure"]: item for item in data["measures"]}
    assert list(measures) == [line.split("\t")[0] for line in tsv.output.splitlines()[1:]]
    assert {item["light"] for item in measures.values()} <= {"green", "yellow", "red"}
    assert measures["XH-07-2"]["state"] == "overdue"
    assert measures["XH-01-1"]["lead_unit"] and measures["XH-01-1"]["text"]


def test_xlsx_writes_the_sheet_excel_opens(
    cli: Callable[..., Any], seeded_database: Any, tmp_path: Path
) -> None:
    tsv = cli(*ARGS, "--format", "tsv")
    path = tmp_path / "status.xlsx"

    result = cli(*ARGS, "--format", "xlsx", "--output", path)

    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).active
    assert sheet is not None
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert ["\t".join(row) for row in rows] == tsv.output.splitlines()


def test_xlsx_without_an_output_file_and_an_unknown_format_are_refused(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    without = cli(*ARGS, "--format", "xlsx")
    unknown = cli(*ARGS, "--format", "csv")

    assert without.exit_code == 2 and "--output" in without.output
    assert unknown.exit_code == 2 and "tsv" in unknown.output


def test_the_schema_check_without_alembic_agrees_with_alembic(seeded_database: Database) -> None:
    assert quick_code_revision() == code_revision()
    assert seeded_database.schema_is_current()


def test_an_output_file_that_cannot_be_written_is_one_line_and_exit_1(
    cli: Callable[..., Any], seeded_database: Any, tmp_path: Path
) -> None:
    result = cli(*ARGS, "--format", "xlsx", "-o", tmp_path / "missing" / "status.xlsx")

    assert result.exit_code == 1
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_status_imports_no_prefect_web_word_or_holiday_package(seeded_database: Database) -> None:
    """The overview needs the ledger only: the Prefect client, the web app, Word documents, Alembic (the
    schema is current) and the ``holidays`` package (its fallback years are tabled) stay unimported; so do
    pydantic-settings (the settings read the environment themselves) and Typer's pydantic validators
    (built only for an option with a value to coerce, none for a text option)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    heavy = (
        *("prefect", "fastapi", "uvicorn", "docx", "openpyxl", "apprise", "alembic", "holidays", "yaml"),
        *("pydantic_settings", "typer._adapters"),
    )
    code = (
        "import sys, io, contextlib\n"
        "from flows.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: app({[*ARGS, '--format', 'plain']!r})\n"
        "    except SystemExit as exit: assert not exit.code, exit.code\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    env = {
        **os.environ,
        "ZHENGGAI_DATABASE_URL": seeded_database.url,
        "ZHENGGAI_CALENDAR_FALLBACK": "statutory",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_status_gives_the_collector_back_and_still_checks_a_given_number(
    cli: Callable[..., Any], seeded_database: Any
) -> None:
    """The cyclic collector, paused for the read, runs again after it (a failed command too), and an
    option with a value is still coerced by Typer (``--problem`` must be a number)."""
    import gc

    assert cli(*ARGS, "--problem", "1").exit_code == 0
    assert gc.isenabled()
    refused = cli(*ARGS, "--problem", "one")

    assert refused.exit_code == 2
    assert "Invalid value for '--problem'" in refused.output
    assert cli(*ARGS, "--format", "nonsense").exit_code != 0
    assert gc.isenabled()


def test_status_leaves_what_it_read_to_the_end_of_the_process(seeded_database: Database) -> None:
    """At exit the objects of the read are frozen before the interpreter's last collection (which walked
    them all once more); a handler registered before the command runs after that one."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import atexit, gc, io, contextlib\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from flows.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: app({[*ARGS, '--format', 'plain']!r})\n"
        "    except SystemExit as exit: assert not exit.code, exit.code\n"
        "print('collector on:', gc.isenabled(), gc.get_freeze_count() == 0)\n"
    )
    env = {**os.environ, "ZHENGGAI_DATABASE_URL": seeded_database.url}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-2:] == ["collector on: True True", "frozen at exit: True"]
