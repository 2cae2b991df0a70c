"""Bench 1: ``load_plan_file`` of the city's plan.yaml into an empty database, SQLite and PostgreSQL.

Each load runs in a fresh process (a migrated empty database; migrating is not timed): the seconds of
the ``load_plan_file`` call (read, parse with line positions, validate, write, commit) and the process's
peak RSS. PostgreSQL uses a scratch database of our own on 127.0.0.1:5432 (``ZHENGGAI_BENCH_POSTGRES_URL``),
dropped afterwards. Then the city's 21,000 reports are loaded (``report load``: ``load_reports_file``,
validated in one pass and written set-based in one transaction) into each freshly loaded plan: target
< 10 s on SQLite (issue 21; the one-by-one path, one ``record_report`` each, took 67 s). ``--one-by-one``
also times that old path on SQLite, for the before/after pair (about a minute more).

    python -m bench.bench_load [--scale 1] [--seed 8] [--profile DIR] [--one-by-one]
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
REPORTS_TARGET_S = 10.0


def run(
    *,
    seed: int,
    scale: float,
    workdir: Path,
    profile: Path | None = None,
    postgres: bool = True,
    one_by_one: bool = False,
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
        reports_payload = {"url": url, "path": str(city.reports_path)}
        loaded = check(run_step("load_reports", reports_payload), f"load the reports into {backend}")
        reports_seconds = float(loaded.data["seconds"])
        results.add(
            f"reports load ({info.reports:,}, bulk), {backend}",
            reports_seconds,
            "s",
            target=f"< {REPORTS_TARGET_S:g} s" if backend == "sqlite" else "",
            met=reports_seconds < REPORTS_TARGET_S if backend == "sqlite" else None,
            note=f"all or nothing, one transaction; process wall {loaded.wall:.1f} s, "
            f"peak RSS {loaded.peak_rss_mb:.0f} MB",
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

    if one_by_one:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        url = sqlite_url(scratch)
        check(run_step("migrate", {"url": url}), "migrate the sqlite database")
        check(run_step("load_plan", {"url": url, "path": str(city.plan_path)}), "load the plan")
        payload = {"url": url, "path": str(city.reports_path), "one_by_one": True}
        old = check(run_step("load_reports", payload), "load the reports one by one")
        results.add(
            f"reports load ({info.reports:,}, one record_report each), sqlite",
            float(old.data["seconds"]),
            "s",
            note="the path before issue 21, for comparison; no target",
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
    parser.add_argument(
        "--one-by-one", action="store_true", help="also time the one-by-one reports load (about a minute)"
    )
    args = parser.parse_args(argv)
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        profile=args.profile,
        postgres=not args.no_postgres,
        one_by_one=args.one_by_one,
    ).emit(args.json)


if __name__ == "__main__":
    main()
