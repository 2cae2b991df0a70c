"""The layering is a contract (``lint-imports``, contracts in pyproject.toml): the code keeps it, and a
forbidden import breaks it, a function-local one included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the packages found in ``where`` (its pyproject.toml holds the contracts)."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=where, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three packages and the contracts, copied: offending modules are written there, not here."""
    where = tmp_path_factory.mktemp("layering")
    for package in ("models", "tasks", "flows"):
        shutil.copytree(ROOT / package, where / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        (
            "models/_offender.py",
            "def render() -> None:\n    import prefect  # inside a function, still an import\n",
            "models holds state and pure rules",
        ),
        (
            "models/_offender.py",
            "def rows() -> None:\n    from sqlalchemy import select\n",
            "the pure rules of models import no ORM",
        ),
        (
            "models/_offender.py",
            "def rows() -> None:\n    from models.tables import Measure\n",
            "the pure rules of models import no ORM",
        ),
        (
            "tasks/ledger/_offender.py",
            "def serve() -> None:\n    from flows.sync import sync_bulk\n",
            "tasks imports no flows",
        ),
        (
            "tasks/ledger/_offender.py",
            "def tell() -> None:\n    from tasks.notify.planner import plan_messages\n",
            "the feature packages of tasks depend in one direction",
        ),
        (
            "tasks/notice/_offender.py",
            "def remind() -> None:\n    from tasks.notify.render import render\n",
            "the feature packages of tasks depend in one direction",
        ),
        (
            "tasks/calendar/_offender.py",
            "def measures() -> None:\n    from tasks.ledger.queries import measure_views\n",
            "the feature packages of tasks depend in one direction",
        ),
        (
            "tasks/notice/_offender.py",
            "def rank() -> None:\n    from tasks.assessment.results import compute_ranking\n",
            "the feature packages of tasks depend in one direction",
        ),
        (
            "tasks/notice/_offender.py",
            "def draw() -> None:\n    from tasks.charts.bars import bar_chart_png\n",
            "the feature packages of tasks depend in one direction",
        ),
    ],
    ids=[
        "models-prefect",
        "models-sqlalchemy",
        "models-tables",
        "tasks-flows",
        "ledger-notify",
        "notice-notify",
        "calendar-ledger",
        "notice-assessment",
        "notice-charts",
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    copy_of_the_code: Path, module: str, source: str, contract: str
) -> None:
    offender = copy_of_the_code / module
    offender.write_text(source, encoding="utf-8")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        offender.unlink()
    assert result.returncode != 0
    broken = [line for line in result.stdout.replace("\n", " ").split("KEPT") if "BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout
    assert "_offender" in result.stdout
