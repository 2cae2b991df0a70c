"""Bench 8: the coordinators' desk on the city round: the overview and each chart, server side.

On a copy of the loaded ledger (40 units, 2,100 measures, 21,000 reports), a fresh process signs a
coordinator in by link and fetches, as of the city's last day, the overview (``/desk``: counts, units,
the measures list and its three inline charts) and each chart alone as SVG and as PNG: the median of 15
each, and the first alone (the desk's memo emptied before it: computed from the ledger, as after a
report; the others are remembered until the ledger changes or the minute turns).

    python -m bench.bench_desk [--scale 1] [--seed 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import Results, check, common_arguments, ensure_city, run_step, sqlite_url

OVERVIEW_MS = 300.0
CHART_MS = 200.0


def run(*, seed: int, scale: float, workdir: Path, runs: int = 15) -> Results:
    results = Results("desk")
    city = ensure_city(workdir, seed, scale)
    url = sqlite_url(city.scratch_copy("desk"))
    result = check(run_step("desk", {"url": url, "runs": runs, "as_of": city.info.last_day}), "desk")
    first, medians, weeks = result.data["first"], result.data["medians"], result.data["trend_points"]
    for name, seconds in medians.items():
        target = OVERVIEW_MS if name == "overview" else CHART_MS
        label = "desk: overview (/desk)" if name == "overview" else f"desk: chart {name}"
        ms = float(seconds) * 1000
        note = f"{city.info.measures} measures, {weeks} weeks; {runs} requests in-process, the first computed"
        results.add(f"{label}, median", ms, "ms", target=f"< {target:g} ms", met=ms < target, note=note)
        cold = float(first[name]) * 1000
        note = "the desk's memo emptied: everything computed from the ledger"
        results.add(f"{label}, first", cold, "ms", target=f"< {target:g} ms", met=cold < target, note=note)
        fresh = float(result.data["after_report"][name]) * 1000
        note = "the first request after a unit's report (what it changes computed anew)"
        results.add(
            f"{label}, after a report", fresh, "ms", target=f"< {target:g} ms", met=fresh < target, note=note
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
