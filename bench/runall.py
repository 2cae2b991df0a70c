"""Every benchmark in turn, then one table of all figures (``bench/run`` calls this).

bench/run [--scale 1] [--seed 8] [--workdir DIR] [--only load,sync,sweep,notice,assess,portal,desk,cli,serve,burst] [--profile DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, Figure, Results, common_arguments, ensure_city, print_table

BENCHES = ("load", "sync", "sweep", "notice", "assess", "portal", "desk", "cli", "serve", "burst")


def machine() -> dict[str, Any]:
    """Cores, memory, commit and date, for docs/benchmarks.md."""
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "memory": memory,
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # An exported tree (git archive) has no .git: its commit comes from ZHENGGAI_BENCH_COMMIT.
        "commit": (commit + (" (with uncommitted changes)" if dirty else ""))
        or os.environ.get("ZHENGGAI_BENCH_COMMIT", "unknown"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument(
        "--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES)
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="pyinstrument profiles of missed targets go here"
    )
    parser.add_argument("--naive", type=int, default=100, help="measures for the naive sync path")
    parser.add_argument("--baseline", type=int, default=200, help="messages for the sequential Apprise loop")
    parser.add_argument(
        "--one-by-one", action="store_true", help="also time the one-by-one reports load (about a minute)"
    )
    parser.add_argument(
        "--burst-timeout", type=float, default=1800.0, help="seconds each burst mode waits for its runs"
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(sorted(unknown))}")

    began = time.perf_counter()
    facts = machine()
    print(
        f"zhenggai benchmarks · {facts['date']} · {facts['cores']} cores · {facts['memory']} · "
        f"load average {facts['load_average']} · commit {facts['commit']}"
    )
    print(f"city seed {args.seed}, scale {args.scale:g}; work directory {args.workdir}", flush=True)
    started = time.perf_counter()
    city = ensure_city(args.workdir, args.seed, args.scale)
    print(
        f"city ready in {time.perf_counter() - started:.0f} s: {city.info.problems} problems, "
        f"{city.info.measures} measures, {city.info.reports} reports",
        flush=True,
    )

    common = {"seed": args.seed, "scale": args.scale, "workdir": args.workdir}
    figures: list[Figure] = []
    for name in chosen:
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        try:
            results = _run_one(name, common, args)
        except Exception as exc:  # one broken bench must not hide the others' figures
            results = Results(name)
            results.unavailable(name, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            print(f"{name} failed: {exc}", file=sys.stderr, flush=True)
        results.emit()
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
        figures += results.figures

    total = time.perf_counter() - began
    print(f"\n== all figures ({total / 60:.1f} min in all)")
    print_table(figures)
    out = args.json or args.workdir / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": facts,
                "seed": args.seed,
                "scale": args.scale,
                "minutes": round(total / 60, 1),
                "figures": [asdict(f) for f in figures],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"figures saved to {out}")


def _run_one(name: str, common: dict[str, Any], args: argparse.Namespace) -> Results:
    if name == "load":
        from bench import bench_load

        return bench_load.run(**common, profile=args.profile, one_by_one=args.one_by_one)
    if name == "sync":
        from bench import bench_sync

        # Profiling the sync would slow the measured passes: profile it on its own (bench_sync --profile).
        return bench_sync.run(**common, naive=args.naive)
    if name == "sweep":
        from bench import bench_sweep

        profile = args.profile / "sweep_decision.txt" if args.profile else None
        if profile is not None:
            profile.parent.mkdir(parents=True, exist_ok=True)
        return bench_sweep.run(**common, baseline=args.baseline, profile=profile)
    if name == "notice":
        from bench import bench_notice

        return bench_notice.run(**common, profile=args.profile)
    if name == "assess":
        from bench import bench_assess

        return bench_assess.run(**common)
    if name == "portal":
        from bench import bench_portal

        return bench_portal.run(**common)
    if name == "desk":
        from bench import bench_desk

        return bench_desk.run(**common)
    if name == "serve":
        from bench import bench_serve

        return bench_serve.run(**common)
    if name == "burst":
        from bench import bench_burst

        # each mode waits at most 30 minutes for its runs (the target is 15): it prints progress meanwhile
        return bench_burst.run(**common, timeout=args.burst_timeout)
    from bench import bench_cli

    return bench_cli.run(**common, profile=args.profile)


if __name__ == "__main__":
    main()
