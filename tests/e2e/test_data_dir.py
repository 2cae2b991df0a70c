"""Where the ledger is: ZHENGGAI_DATA_DIR, else the nearest .zhenggai/ above the current directory; only the
commands that load a ledger create one (issue 12, items 6 and 7), and ``zhenggai info`` says where it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from models.settings import find_data_dir
from tests.conftest import EXAMPLE_DIR, ROOT


def _zhenggai(cwd: Path, *args: object, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *map(str, args)],
        cwd=cwd,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_data_directory_is_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".zhenggai").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)

    assert find_data_dir(deep) == tmp_path / ".zhenggai"
    assert find_data_dir(deep) == find_data_dir(tmp_path)


def test_status_without_a_ledger_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = _zhenggai(tmp_path, "status")

    assert result.returncode == 1
    assert "no ledger is loaded here" in result.stderr and "zhenggai plan load" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".zhenggai").exists()


def test_a_plan_load_creates_the_ledger_saying_where_and_commands_below_find_it(tmp_path: Path) -> None:
    loaded = _zhenggai(tmp_path, "plan", "load", EXAMPLE_DIR / "plan.yaml")

    assert loaded.returncode == 0, loaded.stderr
    ledger = (tmp_path / ".zhenggai" / "zhenggai.db").resolve()
    assert f"creating a new ledger at {ledger}" in loaded.stderr
    below = tmp_path / "reports" / "2023"
    below.mkdir(parents=True)

    status = _zhenggai(below, "status", "--as-of", "2023-12-29")
    info = _zhenggai(below, "info")
    export = _zhenggai(below, "plan", "export")

    assert status.returncode == 0, status.stderr
    assert "XH-05-6" in status.stdout
    assert f"data directory: {ledger.parent}" in info.stdout
    assert f"database: sqlite:///{ledger} (a ledger)" in info.stdout
    assert "versions: zhenggai " in info.stdout and "prefect 3." in info.stdout
    assert export.returncode == 0 and "code: xinhua-2023-xc2" in export.stdout
    assert "round xinhua-2023-xc2 (the only round loaded" in export.stderr


def test_info_masks_the_database_password(tmp_path: Path) -> None:
    result = _zhenggai(
        tmp_path, "info", ZHENGGAI_DATABASE_URL="postgresql://zhenggai:s3cret@db.example:5432/zhenggai"
    )

    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout
    assert "database: postgresql://zhenggai:***@db.example:5432/zhenggai" in result.stdout


def test_a_dry_run_with_no_ledger_shows_the_first_load_and_creates_nothing(tmp_path: Path) -> None:
    result = _zhenggai(tmp_path, "plan", "load", EXAMPLE_DIR / "plan.yaml", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "no ledger is loaded yet: the diff is against an empty ledger" in result.stderr
    assert "dry run, nothing written: would make measures: 28 added" in result.stdout
    assert not (tmp_path / ".zhenggai").exists()


def test_a_sync_for_workers_with_the_ledger_found_from_here_warns_what_to_set(tmp_path: Path) -> None:
    assert _zhenggai(tmp_path, "plan", "load", EXAMPLE_DIR / "plan.yaml").returncode == 0
    nobody = "http://127.0.0.1:9/api"  # the warning comes before Prefect is reached: none is needed here
    ledger = (tmp_path / ".zhenggai").resolve()

    implicit = _zhenggai(tmp_path, "sync", ZHENGGAI_WORK_POOL="zhenggai", PREFECT_API_URL=nobody)
    named = _zhenggai(
        tmp_path,
        "sync",
        ZHENGGAI_WORK_POOL="zhenggai",
        ZHENGGAI_DATA_DIR=str(ledger),
        PREFECT_API_URL=nobody,
    )
    served = _zhenggai(tmp_path, "sync", PREFECT_API_URL=nobody)  # no pool: `zhenggai serve` runs them

    warning = f"sync: warning: the ledger ({ledger}) is found from this directory, which the workers"
    assert warning in implicit.stderr
    assert "set ZHENGGAI_DATA_DIR (or ZHENGGAI_DATABASE_URL) here and in the workers' environment" in (
        implicit.stderr
    )
    assert "warning" not in named.stderr and "warning" not in served.stderr
    assert "Traceback" not in implicit.stderr + named.stderr + served.stderr
