"""Bench 2: the city's 2,100 measures synced to ``check_measure`` deployments on a real local Prefect server.

We start ``prefect server start`` on a free loopback port with PREFECT_HOME in a temporary directory and
analytics off, with all its services (scheduler included: it writes runs for every new deployment, as in
production). Its database is a scratch PostgreSQL database of our own (``--prefect-db postgres``, the
default when the server at 127.0.0.1:5432 answers) or SQLite in PREFECT_HOME (``--prefect-db sqlite``;
on two cores a SQLite server with services contends with its scheduler, see docs/benchmarks.md).

1. naive: ``bench.baselines.sync_naive`` (``to_deployment(...).apply()`` one by one) on the first ``--naive``
   measures, then those deployments are deleted so the server is empty again;
2. first sync: ``flows.sync.sync_bulk`` (plan from the ledger, reconcile with 4 concurrent requests);
3. re-sync with no ledger change (must write nothing).

The ratio compares seconds per measure: naive / bulk first sync (target ≥ 4×, issue 21).

``--server-workers N`` (N > 1) starts the server as Prefect documents its scale-out: ``prefect server start
--workers N`` (N API processes, no services) on PostgreSQL with Redis for messaging, event ordering and
lease storage (``prefect-redis``, the ``redis`` extra; a Redis at ``--redis-url``, its DB flushed before and
after: give the bench a DB number of its own), and the services in their own ``prefect server services
start`` process, so "all services" still holds. ``--concurrency`` is the bulk sync's creates in flight.

    python -m bench.bench_sync [--scale 1] [--prefect-db postgres|sqlite] [--naive 100] [--no-services]
        [--server-workers 1] [--redis-url redis://127.0.0.1:6379/13] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench.common import (
    ROOT,
    Results,
    check,
    common_arguments,
    ensure_city,
    free_port,
    postgres_available,
    run_step,
    scratch_postgres,
    sqlite_url,
)
from flows.local_server import wait_healthy

TARGET_FIRST_S = 60.0
TARGET_RESYNC_S = 5.0
TARGET_RATIO = 4.0  # issue 21


def _prefect_env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def redis_env(redis_url: str) -> dict[str, str]:
    """The settings Prefect's multi-worker server asks for (``prefect.cli._server_utils._validate_multi_worker``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    db = (parts.path or "/0").strip("/") or "0"
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_HOST": parts.hostname or "127.0.0.1",
        "PREFECT_REDIS_MESSAGING_PORT": str(parts.port or 6379),
        "PREFECT_REDIS_MESSAGING_DB": db,
    }


@contextlib.contextmanager
def scratch_redis(redis_url: str) -> Iterator[None]:
    """Flush the bench's Redis DB before and after (it must be a DB number nobody else uses)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - the redis extra is not installed
        raise RuntimeError("--server-workers > 1 needs prefect-redis: pip install -e '.[redis]'") from exc
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    try:
        yield
    finally:
        connection.flushdb()
        connection.close()


def _prefect_command(*args: str) -> list[str]:
    prefect = Path(sys.executable).parent / "prefect"
    return [str(prefect) if prefect.exists() else "prefect", *args]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], api: str, home: str) -> None:
    try:
        wait_healthy(api, process, timeout=180, name="prefect server")
    except RuntimeError as error:
        raise RuntimeError(f"{error}: see {home}/server.log") from None


def _start_services(env: dict[str, str], log: IO[str], home: str) -> subprocess.Popen[bytes]:
    """``prefect server services start``: every enabled service (scheduler included) in one process."""
    process = subprocess.Popen(
        _prefect_command("server", "services", "start"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(2)
    if process.poll() is not None:
        raise RuntimeError(f"prefect server services exited {process.returncode}: see {home}/server.log")
    return process


@contextlib.contextmanager
def prefect_server(
    database_url: str | None, services: bool, workers: int = 1, redis_url: str | None = None
) -> Iterator[dict[str, str]]:
    """A Prefect server of our own; yields the environment a client needs (PREFECT_API_URL…).

    ``workers`` > 1: ``prefect server start --workers N`` (PostgreSQL and Redis at ``redis_url``) and, with
    ``services``, ``prefect server services start`` in a process of its own once the API answers."""

    home = tempfile.mkdtemp(prefix="zhenggai-bench-prefect-")
    port = free_port()
    env = _prefect_env(home)
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    if workers > 1:
        if not database_url or redis_url is None:
            raise RuntimeError("--server-workers > 1 needs the PostgreSQL Prefect database and Redis")
        env.update(redis_env(redis_url))
    command = _prefect_command("server", "start", "--host", "127.0.0.1", "--port", str(port))
    if workers > 1:
        # N workers migrating a fresh database at once collide (CREATE TABLE alembic_version twice):
        # migrate once first, as a deployment does, and the workers skip it.
        subprocess.run(
            _prefect_command("server", "database", "upgrade", "-y"),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "false"
        command += ["--workers", str(workers)]  # implies --no-services
    elif not services:
        command.append("--no-services")
    log = open(Path(home) / "server.log", "w")  # noqa: SIM115 - closed below
    # Its own session: the server's workers are stopped with it, by this process group's id.
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    services_process: subprocess.Popen[bytes] | None = None
    server_only = set(redis_env(redis_url)) if workers > 1 and redis_url else set()
    api = f"http://127.0.0.1:{port}/api"
    failed = True
    try:
        _wait_healthy(process, api, home)
        if workers > 1 and services:
            # After the API answers: its workers have run the migrations.
            services_process = _start_services(env, log, home)
        client_env = {
            k: v
            for k, v in env.items()
            if k != "PREFECT_SERVER_DATABASE_CONNECTION_URL" and k not in server_only
        }
        client_env["PREFECT_API_URL"] = api
        yield client_env
        failed = False  # on failure PREFECT_HOME and its server.log stay, to look at
    finally:
        if services_process is not None:
            _stop(services_process)
        _stop(process)
        log.close()
        if not failed:
            shutil.rmtree(home, ignore_errors=True)


def run(
    *,
    seed: int,
    scale: float,
    workdir: Path,
    prefect_db: str = "auto",
    services: bool = True,
    naive: int = 100,
    profile: Path | None = None,
    api_url: str | None = None,
    server_workers: int = 1,
    redis_url: str = "redis://127.0.0.1:6379/13",
    concurrency: int = 4,
) -> Results:
    """``api_url``: use this running Prefect API instead of starting a server (the smoke test's harness)."""
    results = Results("sync")
    try:
        import flows.sync  # noqa: F401
    except ImportError as exc:
        for name in ("first sync", "re-sync", "naive"):
            results.unavailable(name, f"flows.sync has not landed ({exc})")
        return results
    city = ensure_city(workdir, seed, scale)
    info = city.info
    url = sqlite_url(city.scratch_copy("sync"))
    if api_url is not None:
        prefect_db = "none"
    elif prefect_db == "auto":
        prefect_db = "postgres" if postgres_available() is None else "sqlite"
    server_kind = f"Prefect server on {prefect_db}, {'all services' if services else '--no-services'}"
    if server_workers > 1:
        server_kind += f", {server_workers} API workers + Redis, services in their own process"

    with contextlib.ExitStack() as stack:
        database_url = None
        if prefect_db == "postgres":
            pg = stack.enter_context(scratch_postgres("zg_bench_prefect"))
            database_url = "postgresql+asyncpg://" + pg.split("://", 1)[1]
        if server_workers > 1:
            stack.enter_context(scratch_redis(redis_url))
        started = time.perf_counter()
        if api_url is None:
            env = stack.enter_context(prefect_server(database_url, services, server_workers, redis_url))
            results.add("prefect server start", time.perf_counter() - started, "s", note=server_kind)
        else:
            env = {"PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}

        count = min(naive, info.measures)
        naive_result = check(
            run_step("sync_naive", {"url": url, "count": count, "round": info.round_code}, env=env),
            "naive sync",
        )
        naive_per = float(naive_result.data["seconds"]) / max(1, count)
        results.add(
            f"naive to_deployment().apply() ×{count}",
            float(naive_result.data["seconds"]),
            "s",
            note=f"{naive_per * 1000:.0f} ms per measure; ≈ {naive_per * info.measures:.0f} s for all {info.measures}",
        )

        payload: dict[str, object] = {
            "url": url,
            "runs": 2,
            "round": info.round_code,
            "concurrency": concurrency,
        }
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            payload["profile"] = str(profile / "sync_bulk.txt")
        bulk = check(run_step("sync_bulk", payload, env=env, timeout=1200), "bulk sync")
        first, again = bulk.data["passes"]
        first_s, again_s = float(first["seconds"]), float(again["seconds"])
        bulk_per = first_s / max(1, first["created"] or info.measures)
        ratio = naive_per / bulk_per if bulk_per else 0.0
        results.add(
            "first sync (sync_bulk)",
            first_s,
            "s",
            target=f"< {TARGET_FIRST_S:g} s",
            met=first_s < TARGET_FIRST_S,
            note=f"{first['summary']}; {bulk_per * 1000:.1f} ms per measure; {concurrency} in flight",
        )
        results.add(
            "naive / bulk, per measure",
            ratio,
            "×",
            target=f"≥ {TARGET_RATIO:g}×",
            met=ratio >= TARGET_RATIO,
            note=f"naive {naive_per * 1000:.0f} ms vs bulk {bulk_per * 1000:.1f} ms per measure",
        )
        results.add(
            "re-sync, no change",
            again_s,
            "s",
            target=f"< {TARGET_RESYNC_S:g} s",
            met=again_s < TARGET_RESYNC_S and again["writes"] == 0,
            note=f"{again['unchanged']} unchanged, {again['writes']} API writes",
        )
        results.add("sync process peak RSS", bulk.peak_rss_mb, "MB", note="the client process (two passes)")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument("--prefect-db", choices=("auto", "postgres", "sqlite"), default="auto")
    parser.add_argument("--no-services", action="store_true", help="start the server with --no-services")
    parser.add_argument("--naive", type=int, default=100, help="measures for the naive path (default 100)")
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument the bulk sync process here")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="API worker processes (> 1: PostgreSQL + Redis, services in their own process; default 1)",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="Redis for --server-workers > 1; its DB is FLUSHED before and after (default DB 13)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="the bulk sync's requests in flight (default 4)"
    )
    args = parser.parse_args(argv)
    if args.server_workers > 1 and args.prefect_db == "sqlite":
        parser.error("--server-workers > 1 needs --prefect-db postgres")
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        prefect_db=args.prefect_db,
        services=not args.no_services,
        naive=args.naive,
        profile=args.profile,
        server_workers=args.server_workers,
        redis_url=args.redis_url,
        concurrency=args.concurrency,
    ).emit(args.json)


if __name__ == "__main__":
    main()
