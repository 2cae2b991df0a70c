"""``zhenggai serve`` in a real subprocess, started and stopped twice: every schedule stays active."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.settings import Settings
from tests.support.processes import output_lines

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness", "clean_server")]

ROOT = Path(__file__).resolve().parents[2]


async def _deployments() -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags

    async with get_client() as client:
        managed = await client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["zhenggai"])), limit=200
        )
        housekeeping = await client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["zhenggai-housekeeping"])),
            limit=200,
        )
    return list(managed) + list(housekeeping)


def start_serve(
    settings: Settings, api_url: str, *, prelude: str = ""
) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """``zhenggai serve`` against ``api_url``, its output (stdout and stderr) line by line; ``prelude``:
    Python run first in the process (to make a part of Prefect misbehave)."""
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "ZHENGGAI_DATABASE_URL": settings.resolved_database_url,
        "ZHENGGAI_DATA_DIR": str(settings.data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"{prelude}\nfrom flows.cli import main; main()",
            "serve",
            "--rescan-seconds",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, output_lines(process)


@contextmanager
def serve_running(
    settings: Settings, api_url: str, *, prelude: str = ""
) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """``start_serve``, and serve killed on the way out if the test left it running."""
    process, lines = start_serve(settings, api_url, prelude=prelude)
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(
    lines: queue.Queue[str], text: str, process: subprocess.Popen[str], timeout: float = 120
) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"'{text}' did not appear; output:\n{''.join(seen)}")


def said_so_far(lines: queue.Queue[str]) -> str:
    """What serve has said that no ``wait_for`` read (after a moment for the pump to read the pipe)."""
    time.sleep(0.5)
    return "".join(lines.get_nowait() for _ in range(lines.qsize()))


def stop_serve(
    process: subprocess.Popen[str],
    lines: queue.Queue[str],
    stop: signal.Signals,
    *,
    dump_dir: Path,
    timeout: float = 90,
) -> None:
    """Send ``stop`` to serve and wait until it exits 0; else the test fails with what it said and where
    its stop waited (the file serve writes when it forces its exit: ``flows.serve_stop``)."""
    process.send_signal(stop)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    if code == 0:
        return
    said = said_so_far(lines)
    dumps = "".join(path.read_text(encoding="utf-8") for path in sorted(dump_dir.glob("serve-stop-*.txt")))
    outcome = f"exited {code}" if code is not None else f"did not exit within {timeout:.0f} s"
    pytest.fail(f"serve {outcome} after {stop.name}; it said:\n{said}\nwhere it waited:\n{dumps}")


def test_serve_started_and_stopped_twice_keeps_every_schedule_active(
    seeded_database: Database, settings: Settings
) -> None:
    from prefect.settings import PREFECT_API_URL

    api_url = str(PREFECT_API_URL.value())
    for stop in (signal.SIGTERM, signal.SIGINT):
        with serve_running(settings, api_url) as (process, lines):
            output = wait_for(lines, "serve: serving", process)
            assert any("serve: sync:" in line for line in output)
            time.sleep(3)  # let the runner poll at least once
            stop_serve(process, lines, stop, dump_dir=settings.data_dir)
        deployments = asyncio.run(_deployments())
        names = {d.name for d in deployments}
        assert {"XH-05-2", "XH-04-1", "XH-05-7", "XH-05-8", "housekeeping"} <= names
        assert {"daily-sweep", "weekly-digest", "generate-notice", "assess-units"} <= names
        assert len([d for d in deployments if "zhenggai" in d.tags]) == 28
        assert [d.name for d in deployments if d.paused] == []
        assert all(s.active for d in deployments for s in d.schedules)
        assert {s.slug for d in deployments if d.name == "housekeeping" for s in d.schedules} == {
            "daily-sync"
        }
        slugs = {d.name: {(s.slug, s.schedule.timezone) for s in d.schedules} for d in deployments}
        assert slugs["daily-sweep"] == {
            ("daily-sweep", settings.timezone),
            ("digest-hour", settings.timezone),
        }
        assert slugs["weekly-digest"] == {("weekly-digest", settings.timezone)}
        assert slugs["assess-units"] == {("assess-units", settings.timezone)}
        (assess,) = [d for d in deployments if d.name == "assess-units"]
        assert (
            "RRULE:FREQ=WEEKLY;WKST=MO;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1" in assess.schedules[0].schedule.rrule
        )
