"""One timed step per process: ``python -m bench.steps STEP '{"json": "payload"}'``.

Each step imports what it needs, times only the call under test, and prints one JSON line with
``seconds`` and the process's own peak RSS, imports included: ``VmHWM`` of /proc/self/status. (Not
``ru_maxrss``: on Linux it keeps the parent's high-water mark across fork/exec, so a child of a big
parent reports the parent's size.)
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def step(function: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    STEPS[function.__name__] = function
    return function


def _database(url: str) -> Any:
    from models.db import Database

    return Database(url)


@step
def migrate(payload: dict[str, Any]) -> dict[str, Any]:
    database = _database(payload["url"])
    started = time.perf_counter()
    database.upgrade()
    return {"seconds": time.perf_counter() - started}


@step
def load_plan(payload: dict[str, Any]) -> dict[str, Any]:
    """``load_plan_file`` of the city's plan.yaml into a database (parse, validate, write, commit)."""
    from tasks.ledger.plan_load import load_plan_file

    database = _database(payload["url"])
    database.engine.connect().close()  # connecting is not loading
    clock = _settings(payload["url"]).clock()
    started = time.perf_counter()
    with database.unit_of_work() as session:
        changes = load_plan_file(session, Path(payload["path"]), clock)
        session.commit()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "summary": changes.summary()}


@step
def load_reports(payload: dict[str, Any]) -> dict[str, Any]:
    """``load_reports_file`` of the city's reports.yaml: set-based (``record_reports_bulk``), or with
    ``"one_by_one": true`` every report through ``record_report`` (the path before issue 21)."""
    from tasks.reports import record
    from tasks.reports.record import load_reports_file

    if payload.get("one_by_one"):
        record.record_reports_bulk = record.record_file_reports  # type: ignore[assignment]
    database = _database(payload["url"])
    clock = _settings(payload["url"]).clock()
    started = time.perf_counter()
    with database.unit_of_work() as session:
        loaded = load_reports_file(session, Path(payload["path"]), clock)
        session.commit()
    return {"seconds": time.perf_counter() - started, "recorded": loaded.recorded}


@step
def notice(payload: dict[str, Any]) -> dict[str, Any]:
    """``flows.cli.notice.generate_notices`` for one format, written to a file, as of the round's last day."""
    from flows.cli.notice import generate_notices
    from tasks.notice import files, load, render  # noqa: F401  (imported before the clock starts)

    database = _database(payload["url"])
    database.engine.connect().close()
    output = Path(payload["output"])
    clock = _settings(payload["url"]).clock().on(date.fromisoformat(payload["as_of"]))
    started = time.perf_counter()
    [(result, _content)] = generate_notices(
        database, clock, payload["round"], [(payload["format"], output)], requested_by="bench"
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": output.stat().st_size, "missing": len(result.missing)}


@step
def assess(payload: dict[str, Any]) -> dict[str, Any]:
    """``close_period`` of one week or month of the round: gather the records, score, rank (the previous
    period computed too, for the change), store the result; then the ranking read back as stored."""
    from datetime import datetime

    from models.assessment import parse_period
    from tasks.assessment.results import close_period, period_result

    database = _database(payload["url"])
    database.engine.connect().close()
    clock = _settings(payload["url"]).clock(datetime.fromisoformat(payload["now"]))
    period = parse_period(payload["period"])
    started = time.perf_counter()
    with database.unit_of_work() as session:
        result, _created = close_period(session, payload["round"], period, clock, actor="bench")
        session.commit()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with database.unit_of_work() as session:
        period_result(session, payload["round"], period, clock)
    read = time.perf_counter() - started
    ranking = result.ranking
    lines = sum(len(score.lines) for score in ranking.scores)
    return {"seconds": seconds, "read_seconds": read, "ranked": len(ranking.ranked), "lines": lines}


@step
def portal(payload: dict[str, Any]) -> dict[str, Any]:
    """The units' portal in-process (``TestClient``): the busiest unit signs in by link, then 我的任务 and
    its measures' pages are fetched ``runs`` times each; the seconds of each request, server side and
    client together (the test client adds no network)."""
    import re
    import statistics
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from flows.web.app import create_app
    from models.enums import TokenRole
    from models.tables import Measure, Unit
    from tasks.reports.signin import sign_in_link
    from tasks.reports.tokens import issue_token

    url = payload["url"]
    config = _settings(url).model_copy(update={"public_url": "http://testserver"})
    database = _database(url)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        unit = session.scalar(
            select(Unit.code)
            .join(Measure, Measure.lead_unit_id == Unit.id)
            .group_by(Unit.code)
            .order_by(func.count().desc(), Unit.code)
            .limit(1)
        )
        issued = issue_token(
            session, role=TokenRole.UNIT, unit_code=unit, now=now, expires_at=now + timedelta(days=1)
        )
        link = sign_in_link(session, config, issued.token_id, now=now)
        session.commit()
    client = TestClient(create_app(config))
    assert client.get(link.removeprefix("http://testserver")).status_code == 200
    runs = int(payload.get("runs", 15))

    def timed(path: str) -> float:
        started = time.perf_counter()
        answer = client.get(path)
        seconds = time.perf_counter() - started
        assert answer.status_code == 200, (path, answer.status_code)
        return seconds

    codes = re.findall(r'href="/m/([^"]+)"', client.get("/").text)
    home = [timed("/") for _ in range(runs)]
    pages = [timed(f"/m/{codes[i % len(codes)]}") for i in range(runs)]
    return {
        "seconds": statistics.median(home),
        "home_median": statistics.median(home),
        "measure_median": statistics.median(pages),
        "measures": len(codes),
        "unit": unit,
    }


@step
def desk(payload: dict[str, Any]) -> dict[str, Any]:
    """The desk in-process (``TestClient``) as of the city's last day (17:00 there): a coordinator signs in
    by link, then the overview and each chart (SVG and PNG) are fetched ``runs`` times each, the first
    with the desk's memo emptied (all computed), the others remembered, and once more after a unit's
    report; the seconds of each request (the test client adds no network)."""
    import statistics
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from flows.intake import submit_report
    from flows.web.app import create_app
    from flows.web.deps import clock
    from models.enums import TokenRole, UnitKind
    from models.tables import Measure, Unit
    from tasks.reports.desk_memo import forget
    from tasks.reports.record import ReportInput
    from tasks.reports.signin import sign_in_link
    from tasks.reports.tokens import issue_token

    url = payload["url"]
    config = _settings(url).model_copy(update={"public_url": "http://testserver"})
    database = _database(url)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        issued = issue_token(
            session, role=TokenRole.COORDINATOR, unit_code=None, now=now, expires_at=now + timedelta(days=1)
        )
        link = sign_in_link(session, config, issued.token_id, now=now, path="/desk")
        session.commit()
    app = create_app(config)
    city_day = config.clock().on(date.fromisoformat(payload["as_of"]))
    judged = city_day.at(city_day.start_of_day(city_day.today) + timedelta(hours=17))
    app.dependency_overrides[clock] = lambda: judged
    client = TestClient(app)
    assert client.get(link.removeprefix("http://testserver")).status_code == 200
    runs = int(payload.get("runs", 15))

    def timed(path: str) -> float:
        started = time.perf_counter()
        answer = client.get(path)
        seconds = time.perf_counter() - started
        assert answer.status_code == 200, (path, answer.status_code)
        return seconds

    paths = {"overview": "/desk"} | {
        f"{name}.{format}": f"/desk/charts/{name}.{format}"
        for name in ("completion", "lights", "trend")
        for format in ("svg", "png")
    }
    with database.unit_of_work() as session:
        measure, unit = session.execute(
            select(Measure.code, Unit.code)
            .join(Unit, Unit.id == Measure.lead_unit_id)
            .where(Unit.kind.is_distinct_from(UnitKind.COLLECTIVE))
            .order_by(Measure.code)
            .limit(1)
        ).one()

    def report() -> None:
        submit_report(
            database,
            ReportInput(measure=measure, unit=unit, text="本周推进情况：按计划推进"),
            actor="bench",
            clock=judged,
            emit=False,
        )

    first, medians, after = {}, {}, {}
    for key, path in paths.items():
        forget()  # everything computed from the ledger; then remembered (tasks.reports.desk_memo)
        first[key] = timed(path)
        medians[key] = statistics.median([first[key], *(timed(path) for _ in range(runs - 1))])
        report()  # a unit reports: the next request computes what the report changes
        after[key] = timed(path)
    size = client.get("/desk/charts/trend.svg").text.count("<circle")
    return {
        "seconds": medians["overview"],
        "first": first,
        "medians": medians,
        "after_report": after,
        "trend_points": size // 3,
    }


def _settings(url: str) -> Any:
    from models.settings import Settings

    return Settings(database_url=url)


@step
def sync_naive(payload: dict[str, Any]) -> dict[str, Any]:
    """``bench.baselines.sync_naive`` (one ``to_deployment(...).apply()`` per measure) on the first N measures.

    The deployments it made are deleted afterwards, so the bulk sync then starts from an empty server.
    """
    import asyncio

    from bench.baselines import sync_naive as naive
    from flows.sync import plan_sync

    database = _database(payload["url"])
    settings = _settings(payload["url"])
    wanted = plan_sync(database, settings, round_code=payload.get("round"))[: int(payload["count"])]
    started = time.perf_counter()
    ids = naive(wanted)
    seconds = time.perf_counter() - started

    async def delete() -> None:
        from uuid import UUID

        from prefect.client.orchestration import get_client

        async with get_client() as client:
            for deployment_id in ids:
                await client.delete_deployment(UUID(deployment_id))

    asyncio.run(delete())
    return {"seconds": seconds, "count": len(wanted)}


@step
def sync_bulk(payload: dict[str, Any]) -> dict[str, Any]:
    """``flows.sync.sync_bulk`` (plan from the ledger, reconcile in bulk) run ``runs`` times in one process."""
    from flows.sync import sync_bulk as bulk

    database = _database(payload["url"])
    settings = _settings(payload["url"])
    passes = []
    for _ in range(int(payload.get("runs", 2))):
        started = time.perf_counter()
        result = bulk(
            database,
            settings,
            round_code=payload.get("round"),
            concurrency=int(payload.get("concurrency", 4)),
        )
        passes.append(
            {
                "seconds": time.perf_counter() - started,
                "summary": result.summary(),
                "created": len(result.created),
                "unchanged": result.unchanged,
                "writes": result.writes,
            }
        )
    return {"seconds": passes[0]["seconds"], "passes": passes}


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    name, payload = sys.argv[1], json.loads(sys.argv[2])
    if name not in STEPS:
        raise SystemExit(f"unknown step {name!r}; known: {', '.join(STEPS)}")
    profile = payload.pop("profile", None)
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        out = STEPS[name](payload)
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        out = STEPS[name](payload)
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
