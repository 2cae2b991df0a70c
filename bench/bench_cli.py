"""Bench 5: ``zhenggai --help`` cold start and ``zhenggai status`` on the city round (the real process).

Both run the installed ``zhenggai`` console script (or ``python -m flows.cli`` when it is not on PATH)
several times; the median wall time is reported. ``status`` reads a copy of the loaded city ledger
as of the round's last day and prints all 2,100 rows to a pipe (the plain format: target < 1 s,
issue 21; it was 3.25 s with Rich's table), then as ``--format tsv`` and ``--format json`` (no target).

    python -m bench.bench_cli [--scale 1] [--seed 8] [--runs 7] [--profile DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Results, common_arguments, ensure_city, sqlite_url

TARGET_HELP_S = 0.5
TARGET_STATUS_S = 1.0


def zhenggai_command() -> list[str]:
    found = shutil.which(
        "zhenggai", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    return [found] if found else [sys.executable, "-m", "flows.cli"]


def timed(
    command: list[str], env: dict[str, str], runs: int
) -> tuple[list[float], subprocess.CompletedProcess[str]]:
    times = []
    completed: subprocess.CompletedProcess[str] | None = None
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr[-2000:]}"
            )
    assert completed is not None
    return times, completed


def run(*, seed: int, scale: float, workdir: Path, runs: int = 7, profile: Path | None = None) -> Results:
    results = Results("cli")
    command = zhenggai_command()
    city = ensure_city(workdir, seed, scale)
    info = city.info
    with tempfile.TemporaryDirectory(prefix="zhenggai-bench-cli-") as home:
        env = {
            **os.environ,
            "ZHENGGAI_DATA_DIR": home,
            "ZHENGGAI_DATABASE_URL": sqlite_url(city.scratch_copy("cli")),
            "COLUMNS": "160",
            "PREFECT_HOME": home,
            "PYTHONPATH": str(ROOT),  # this checkout's code, even when another one is installed editable
        }
        times, _ = timed([*command, "--help"], env, runs)
        median = statistics.median(times)
        results.add(
            "zhenggai --help",
            median,
            "s",
            target=f"< {TARGET_HELP_S:g} s",
            met=median < TARGET_HELP_S,
            note=f"median of {runs} cold processes (min {min(times):.2f}, max {max(times):.2f})",
        )
        if profile is not None and median >= TARGET_HELP_S:
            profile.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pyinstrument",
                    "--show-all",
                    "-o",
                    str(profile / "cli_help.txt"),
                    "-m",
                    "flows.cli",
                    "--help",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=False,
            )
        status_runs = max(1, min(3, runs))
        status_cmd = [*command, "status", "--round", info.round_code, "--as-of", info.last_day]
        times, completed = timed(status_cmd, env, status_runs)
        rows = sum(1 for line in completed.stdout.splitlines() if line.startswith("CITY-") and "●" in line)
        median = statistics.median(times)
        results.add(
            "zhenggai status (whole round, to a pipe)",
            median,
            "s",
            target=f"< {TARGET_STATUS_S:g} s",
            met=median < TARGET_STATUS_S,
            note=f"median of {status_runs} (min {min(times):.2f}, max {max(times):.2f}); "
            f"{rows} measure rows printed; load average {os.getloadavg()[0]:.1f}",
        )
        for output_format in ("tsv", "json"):
            times, _ = timed([*status_cmd, "--format", output_format], env, status_runs)
            results.add(
                f"zhenggai status --format {output_format} (whole round)",
                statistics.median(times),
                "s",
                note=f"median of {status_runs}",
            )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--profile", type=Path, default=None, help="write a pyinstrument profile of a slow --help here"
    )
    args = parser.parse_args(argv)
    run(seed=args.seed, scale=args.scale, workdir=args.workdir, runs=args.runs, profile=args.profile).emit(
        args.json
    )


if __name__ == "__main__":
    main()
