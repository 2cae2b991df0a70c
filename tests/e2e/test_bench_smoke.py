"""The benchmarks run end to end at a tiny scale (seconds). Performance is shown by ``bench/run``, never asserted."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.citygen import generate, write_city
from bench.common import Results, city_directory, ensure_city

SCALE = 0.01  # 7 problems, 21 measures, 4 units
SEED = 5


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke city generated and loaded once a module (three child processes: seconds each time)."""
    workdir = tmp_path_factory.mktemp("bench-city")
    ensure_city(workdir, SEED, SCALE)
    return city_directory(workdir, SEED, SCALE)


@pytest.fixture
def workdir(tmp_path: Path, city: Path) -> Path:
    """A bench workdir of the test's own holding a copy of the loaded smoke city (``ensure_city`` finds it)."""
    shutil.copytree(city, tmp_path / city.name, ignore=shutil.ignore_patterns("scratch"))
    return tmp_path


def values(results: Results) -> dict[str, object]:
    missing = [f"{f.name}: {f.note}" for f in results.figures if f.value is None]
    assert not missing, missing
    return {f.name: f.value for f in results.figures}


def test_the_city_is_deterministic_and_has_the_asked_mix(tmp_path: Path) -> None:
    first = write_city(tmp_path / "a", seed=3, scale=SCALE, receiver_port=18000)
    write_city(tmp_path / "b", seed=3, scale=SCALE, receiver_port=18000)
    for name in ("plan.yaml", "reports.yaml", "city.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.measures == 3 * first.problems == first.dated + first.cadence + first.daily

    plan, reports, info = generate(seed=8, scale=1.0, receiver_port=18089)
    assert (info.units, info.problems, info.measures, info.reports) == (40, 700, 2100, 21000)
    assert (info.dated, info.cadence, info.daily) == (1260, 525, 315)
    measures = [m for p in plan["problems"] for m in p["measures"]]
    # Two collectives (the street offices, the enforcement teams) lead some measures, members reporting.
    assert (info.collectives, info.collective_measures) == (2, 27)
    collectives = {u["code"]: u for u in plan["units"] if u["kind"] == "collective"}
    assert [len(c["members"]) for c in collectives.values()] == [15, 10]
    led = {m["code"]: m["lead_unit"] for m in measures if m["lead_unit"] in collectives}
    assert len(led) == 27
    members = {r.get("unit") for r in reports["reports"] if r["measure"] in led}
    assert members and all(any(u in c["members"] for c in collectives.values()) for u in members)
    assert sum(1 for m in measures if m.get("cadence") == "每个工作日 09:00") == 315
    assert len(reports["reports"]) == 21000
    urls = [u for unit in plan["units"] for c in unit["contacts"] for u in c["urls"]]
    assert all(u.startswith("json://127.0.0.1:18089/") for u in urls)


def test_load_sweep_notice_and_cli_benches_run_at_a_tiny_scale(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import bench_assess, bench_cli, bench_desk, bench_load, bench_notice, bench_portal, bench_sweep
    from tests.conftest import POSTGRES_URL

    if POSTGRES_URL:
        monkeypatch.setenv("ZHENGGAI_BENCH_POSTGRES_URL", POSTGRES_URL)
    common: dict[str, Any] = {"seed": SEED, "scale": SCALE, "workdir": workdir}

    loaded = values(bench_load.run(**common, postgres=bool(POSTGRES_URL)))
    assert loaded["plan load, sqlite"] > 0  # type: ignore[operator]

    swept = values(bench_sweep.run(**common, delay=0.01, baseline=3))
    assert swept["lost"] == 0
    assert swept["duplicated"] == 0

    values(bench_notice.run(**common))
    assessed = values(bench_assess.run(**common))
    assert assessed["assessment of a week (2025-W47), closed"] > 0  # type: ignore[operator]
    portal = values(bench_portal.run(**common, runs=2))
    assert portal["portal: 我的任务 (unit home), median"] > 0  # type: ignore[operator]
    desk = values(bench_desk.run(**common, runs=2))
    assert desk["desk: overview (/desk), first"] > 0 and desk["desk: chart trend.png, median"] > 0  # type: ignore[operator]
    values(bench_cli.run(**common, runs=1))


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_sync_bench_runs_against_a_prefect_api(workdir: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from bench import bench_sync

    api_url = PREFECT_API_URL.value()
    assert api_url
    results = bench_sync.run(seed=SEED, scale=SCALE, workdir=workdir, naive=3, api_url=api_url)
    values(results)
    resync = next(f for f in results.figures if f.name == "re-sync, no change")
    assert "21 unchanged, 0 API writes" in resync.note


def test_serve_bench_starts_restarts_and_measures_the_idle_embedded_default(workdir: Path) -> None:
    from bench import bench_serve

    home = workdir / "serve-home"
    figures = values(bench_serve.run(seed=SEED, scale=SCALE, workdir=workdir, idle=2, timeout=300, home=home))
    assert set(figures) == {
        "serve, first start (embedded server, empty PREFECT_HOME)",
        "serve, restart (same PREFECT_HOME)",
        "serve idle CPU (serve + local server)",
        "serve idle memory (serve + local server)",
    }
    assert figures["serve idle memory (serve + local server)"] > 0  # type: ignore[operator]
    first = (workdir / "serve-first.log").read_text(encoding="utf-8")
    assert "21 created" in first  # the first sync made every measure's deployment
    # on an empty PREFECT_HOME with the local server's services off, which it then gets back
    assert first.index("serve: sync:") < first.index("restarting the local server with its services")
    again = (workdir / "serve-restart.log").read_text(encoding="utf-8")
    assert "21 unchanged" in again
    assert "restarting the local server" not in again  # its database exists: one start, services on

    # the same home again: its server is synced already, so only the restart is measured
    restarted = values(
        bench_serve.run(seed=SEED, scale=SCALE, workdir=workdir, idle=1, timeout=300, home=home)
    )
    assert "serve, first start (embedded server, empty PREFECT_HOME)" not in restarted
    assert "serve, restart (same PREFECT_HOME)" in restarted


def test_burst_bench_drains_the_mondays_09_00_runs_with_serve(workdir: Path) -> None:
    """The serve mode only: the worker mode shares every step but the executor and would double the
    test's minutes (two servers, two syncs); the city run in docs/benchmarks.md runs both."""
    from bench import bench_burst

    results = bench_burst.run(
        seed=SEED, scale=SCALE, workdir=workdir, modes=("serve",), timeout=300, swept=True, lead=0
    )
    figures = values(results)
    heads = sorted({name.split(": ", 1)[0] for name in figures})
    assert [h.split(",")[1].strip() for h in heads] == ["zhenggai serve"]
    (head,) = heads
    # swept at 08:30 first (--swept), as a live serve does: said in the figures, its time apart
    assert "swept at 08:30 first" in head
    assert figures[f"{head}: the 08:30 sweep before the burst (not in the drain), wall"] > 0  # type: ignore[operator]
    assert figures[f"{head}: runs at 09:00"] > 0  # type: ignore[operator]
    assert figures[f"{head}: drained"] is not None
    assert figures[f"{head}: peak memory (the bench's processes)"] > 0  # type: ignore[operator]
    # the runs are forked from serve's warm server (flows.warm_start), and their CPU still counted
    assert figures[f"{head}: CPU of the executor and its runs, per run"] > 0  # type: ignore[operator]
    # and the Prefect server's, the other half of a run's cost
    assert figures[f"{head}: CPU of the Prefect server during the burst, per run"] > 0  # type: ignore[operator]
    assert figures[f"{head}: Crashed / Failed / Late"] == "0 / 0 / 0"


def test_the_one_check_bench_times_a_check_process(workdir: Path) -> None:
    from bench import bench_burst

    figures = values(bench_burst.one_check(seed=SEED, scale=SCALE, workdir=workdir, runs=1))
    assert figures["one check_measure process: CPU (user + sys), median"] > 0  # type: ignore[operator]
    assert figures["one check_measure process: wall, median"] > 0  # type: ignore[operator]


@pytest.mark.parametrize("processes", [1, 2])
def test_the_fan_out_bench_runs_with_and_without_limits(tmp_path: Path, processes: int) -> None:
    from bench import bench_sweep

    results = bench_sweep.run_fan_out(
        tmp_path, messages=24, endpoints=6, concurrency=4, delay=0.01, limit=10, processes=processes
    )
    ran = [f for f in results.figures if f.value is not None]
    assert ran and all(f.met is not False for f in ran if "limit" in f.name)  # 4 an endpoint, under 10
    assert all("lost 0, duplicated 0" in f.note for f in ran)


def test_bench_burst_refuses_a_clock_that_starts_after_nine(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_burst

    with pytest.raises(SystemExit) as refused:
        bench_burst.main(["--lead", "-30"])
    assert refused.value.code == 2
    assert "--lead: seconds before 09:00, 0 or more (got -30)" in capsys.readouterr().err


def test_bench_burst_names_its_modes_when_given_another(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_burst

    with pytest.raises(SystemExit) as refused:
        bench_burst.main(["--modes", "serve,workers"])
    assert refused.value.code == 2
    assert "--modes: comma-separated, of serve, worker, prefect-worker (got 'serve,workers')" in (
        capsys.readouterr().err
    )


def test_bench_sync_server_workers_option_parses_and_names_prefects_redis_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--server-workers`` needs Redis and PostgreSQL to run: here only its parsing and settings (no Redis)."""
    from bench import bench_sync

    with pytest.raises(SystemExit) as shown:
        bench_sync.main(["--help"])
    assert shown.value.code == 0
    helped = capsys.readouterr().out
    assert "--server-workers" in helped and "--redis-url" in helped and "--concurrency" in helped
    with pytest.raises(SystemExit) as refused:
        bench_sync.main(["--server-workers", "2", "--prefect-db", "sqlite"])
    assert refused.value.code == 2
    assert bench_sync.redis_env("redis://10.0.0.5:6380/13") == {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_HOST": "10.0.0.5",
        "PREFECT_REDIS_MESSAGING_PORT": "6380",
        "PREFECT_REDIS_MESSAGING_DB": "13",
    }
