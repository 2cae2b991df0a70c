"""Bench 4: the whole round's progress notice as of its last day, Markdown and DOCX.

Each format runs in a fresh process on a copy of the loaded ledger: the seconds of ``generate_notices``
(read the ledger as of the day, build the document, render, write the file, record the version) and
the process's peak RSS.

    python -m bench.bench_notice [--scale 1] [--seed 8] [--profile DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import Results, check, common_arguments, ensure_city, run_step, sqlite_url

TARGETS = {"md": 1.0, "docx": 5.0}
TARGET_RSS_MB = 300.0


def run(*, seed: int, scale: float, workdir: Path, profile: Path | None = None) -> Results:
    results = Results("notice")
    try:
        import tasks.notice.load  # noqa: F401
    except ImportError as exc:
        for fmt in TARGETS:
            results.unavailable(f"notice {fmt}", f"tasks.notice has not landed ({exc})")
        return results
    city = ensure_city(workdir, seed, scale)
    info = city.info
    url = sqlite_url(city.scratch_copy("notice"))
    for fmt, target in TARGETS.items():
        output = city.directory / "scratch" / f"notice.{fmt}"
        payload = {
            "url": url,
            "round": info.round_code,
            "as_of": info.last_day,
            "format": fmt,
            "output": str(output),
        }
        result = check(run_step("notice", payload), f"notice {fmt}")
        seconds = float(result.data["seconds"])
        results.add(
            f"notice {fmt}",
            seconds,
            "s",
            target=f"< {target:g} s",
            met=seconds < target,
            note=f"{result.data['bytes'] / 1024:.0f} KiB, {result.data['missing']} measures without a report; "
            f"process wall {result.wall:.1f} s",
        )
        results.add(
            f"notice {fmt} peak RSS",
            result.peak_rss_mb,
            "MB",
            target=f"< {TARGET_RSS_MB:g} MB",
            met=result.peak_rss_mb < TARGET_RSS_MB,
            note="whole process, imports included",
        )
        if profile is not None and seconds >= target:
            profile.mkdir(parents=True, exist_ok=True)
            run_step("notice", {**payload, "profile": str(profile / f"notice_{fmt}.txt")})
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument(
        "--profile", type=Path, default=None, help="write pyinstrument profiles of missed targets here"
    )
    args = parser.parse_args(argv)
    run(seed=args.seed, scale=args.scale, workdir=args.workdir, profile=args.profile).emit(args.json)


if __name__ == "__main__":
    main()
