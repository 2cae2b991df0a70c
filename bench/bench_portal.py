"""Bench 7: the units' portal on the city round: 我的任务 and a measure's page for the busiest unit.

On a copy of the loaded ledger (40 units, 2,100 measures, 21,000 reports), a fresh process signs the unit
with the most measures in by link and fetches its home and its measures' pages (the median of 15 each).

    python -m bench.bench_portal [--scale 1] [--seed 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import Results, check, common_arguments, ensure_city, run_step, sqlite_url

TARGET_MS = 150.0


def run(*, seed: int, scale: float, workdir: Path, runs: int = 15) -> Results:
    results = Results("portal")
    city = ensure_city(workdir, seed, scale)
    url = sqlite_url(city.scratch_copy("portal"))
    result = check(run_step("portal", {"url": url, "runs": runs}), "portal")
    measures, unit = result.data["measures"], result.data["unit"]
    for name, key in (("我的任务 (unit home)", "home_median"), ("a measure's page", "measure_median")):
        ms = float(result.data[key]) * 1000
        results.add(
            f"portal: {name}, median",
            ms,
            "ms",
            target=f"< {TARGET_MS:g} ms",
            met=ms < TARGET_MS,
            note=f"unit {unit} with {measures} measures; {runs} requests in-process",
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    args = parser.parse_args(argv)
    run(seed=args.seed, scale=args.scale, workdir=args.workdir).emit(args.json)


if __name__ == "__main__":
    main()
