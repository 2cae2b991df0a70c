"""Bench 6: unit assessment (考评) of the whole city round, one week and one month, closed and stored.

Each period runs in a fresh process on a copy of the loaded ledger: the seconds of ``close_period``
(gather the records of 2,100 measures and 21,000 reports, score 40 units, rank, compute the previous
period for the change, store the result) and the process's peak RSS; then reading the stored result.

    python -m bench.bench_assess [--scale 1] [--seed 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import Results, check, common_arguments, ensure_city, run_step, sqlite_url

# The city's reports run 2025-09-01 … 2025-11-28 (a Friday): the last whole week and month before it.
PERIODS = {"week": "2025-W47", "month": "2025-10"}
TARGET_SECONDS = 2.0
TARGET_RSS_MB = 300.0


def run(*, seed: int, scale: float, workdir: Path) -> Results:
    results = Results("assess")
    city = ensure_city(workdir, seed, scale)
    info = city.info
    for kind, period in PERIODS.items():
        url = sqlite_url(city.scratch_copy(f"assess-{kind}"))
        payload = {"url": url, "round": info.round_code, "period": period, "now": info.sweep_at}
        result = check(run_step("assess", payload), f"assess {kind}")
        seconds = float(result.data["seconds"])
        results.add(
            f"assessment of a {kind} ({period}), closed",
            seconds,
            "s",
            target=f"< {TARGET_SECONDS:g} s",
            met=seconds < TARGET_SECONDS,
            note=f"{result.data['ranked']} units ranked, {result.data['lines']} lines; stored result read back "
            f"in {float(result.data['read_seconds']):.2f} s; process wall {result.wall:.1f} s",
        )
        results.add(
            f"assessment of a {kind}, peak RSS",
            result.peak_rss_mb,
            "MB",
            target=f"< {TARGET_RSS_MB:g} MB",
            met=result.peak_rss_mb < TARGET_RSS_MB,
            note="whole process, imports included",
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
