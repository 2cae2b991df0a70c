"""Bench 1: ``load_plan_file`` of the city's plan.yaml into an empty database, SQLite and PostgreSQL.

Each load runs in a fresh process (a migrated empty database; migrating is not timed): the seconds of
the ``load_plan_file`` call (read, parse with line positions, validate, write, commit) and the process's
peak RSS. PostgreSQL uses a scratch database of our own on 127.0.0.1:5432 (``ZHENGGAI_BENCH_POSTGRES_URL``),
dropped afterwards. The 21,000 reports are then loaded once through ``load_reports_file`` (every report
through ``record_report``) into the SQLite ledger the other benches use: that figure has no target.

    python -m bench.bench_load [--scale 1] [--seed 8] [--profile DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import (
    Results,
    check,
    common_arguments,
    ensure_city,
    postgres_available,
    run_step,
    scratch_postgres,
    sqlite_url,
)

TARGET_S = 2.0


def run(
    *, seed: int, scale: float, workdir: Path, profile: Path | None = None, postgres: bool = True
) -> Results:
    results = Results("load")
    city = ensure_city(workdir, seed, scale)
    info = city.info
    size = f"{info.problems} problems, {info.measures} measures"

    def load(backend: str, url: str) -> None:
        check(run_step("migrate", {"url": url}), f"migrate the {backend} database")
        payload: dict[str, object] = {"url": url, "path": str(city.plan_path)}
        result = check(run_step("load_plan", payload), f"load the plan into {backend}")
        seconds = float(result.data["seconds"])
        results.add(
            f"plan load, {backend}",
            seconds,
            "s",
            target=f"< {TARGET_S:g} s",
            met=seconds < TARGET_S,
            note=f"{size}; process wall {result.wall:.1f} s",
        )
        results.add(
            f"plan load peak RSS, {backend}", result.peak_rss_mb, "MB", note="whole process, imports included"
        )
        if profile is not None and seconds >= TARGET_S and backend == "sqlite":
            # The same load again into a fresh database, under pyinstrument, for the notes.
            fresh_path = city.directory / "scratch" / "load-profile.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{fresh_path}{suffix}").unlink(missing_ok=True)
            fresh = sqlite_url(fresh_path)
            check(run_step("migrate", {"url": fresh}), "migrate")
            profile.mkdir(parents=True, exist_ok=True)
            run_step("load_plan", {**payload, "url": fresh, "profile": str(profile / "load_sqlite.txt")})

    scratch = city.directory / "scratch" / "load.db"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    load("sqlite", sqlite_url(scratch))

    if postgres:
        why = postgres_available()
        if why is None:
            with scratch_postgres() as url:
                load("postgres", url)
        else:
            results.unavailable("plan load, postgres", why, target=f"< {TARGET_S:g} s")

    results.add(
        "reports load (21,000 via record_report), sqlite"
        if scale == 1
        else f"reports load ({info.reports}), sqlite",
        city.reports_seconds,
        "s",
        note="no target; builds the ledger the other benches use (cached per seed/scale)",
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument(
        "--profile", type=Path, default=None, help="write pyinstrument profiles of missed loads here"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        profile=args.profile,
        postgres=not args.no_postgres,
    ).emit(args.json)


if __name__ == "__main__":
    main()
