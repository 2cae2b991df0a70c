"""``zhenggai api`` as a real uvicorn server on a free loopback port: 50 concurrent submissions.

The server runs in its own process with ``PREFECT_API_URL`` pointing at a closed port, so every
``zhenggai.report.submitted`` event is undeliverable: submissions must succeed all the same.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from models.db import Database
from models.enums import TokenRole
from models.settings import Settings
from models.tables import EvidenceFile, Report, ReportEvidence
from tasks.reports.evidence import stored_files, verify_evidence
from tasks.reports.tokens import issue_token
from tests.factories import make_measure, make_unit
from tests.integration.test_api import pdf_bytes

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
UNITS = 5
SUBMISSIONS = 50
REPLAYS = 10
UNDELIVERABLE = "zhenggai.report.submitted for report"  # "… not sent: the Prefect API at … does not answer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api_server(tmp_path: Path, command: str = "api", **env: str) -> Iterator[tuple[str, Path]]:
    """``zhenggai api`` (or ``web``) in a child process (the test settings come through the environment)."""
    port = free_port()
    log = tmp_path / "api.log"
    child_env = {**os.environ, "ZHENGGAI_CALENDAR_FALLBACK": "weekends", **env}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", command, "--port", str(port), "--log-level", "warning"],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the API did not start:\n" + log.read_text(errors="replace")
            time.sleep(0.3)
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ledger(database: Database) -> dict[int, str]:
    tokens = {}
    with database.unit_of_work() as session:
        for n in range(UNITS):
            unit = make_unit(session, f"u{n}")
            make_measure(session, code=f"C-{n}-0", lead_unit=unit, deadline=None)
            make_measure(session, code=f"C-{n}-1", lead_unit=unit, deadline=None)
            tokens[n] = issue_token(session, role=TokenRole.UNIT, unit_code=unit.code, now=NOW).secret
        session.commit()
    return tokens


def _submission(i: int) -> tuple[int, str, list[tuple[str, bytes]]]:
    unit = i % UNITS
    measure = f"C-{unit}-{(i // UNITS) % 2}"
    files = [(f"台账-{i}.pdf", pdf_bytes(f"unique-{i}"))]
    if i % 2 == 0:
        files.append(("共用通知.pdf", pdf_bytes("shared")))
    return unit, measure, files


def test_fifty_concurrent_submissions_are_all_stored_once(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    tokens = _ledger(database)
    closed_port = free_port()  # nothing listens here: Prefect is unreachable
    jobs = [(i, False) for i in range(SUBMISSIONS)] + [(i, True) for i in range(REPLAYS)]
    barrier = threading.Barrier(len(jobs))

    with api_server(tmp_path, PREFECT_API_URL=f"http://127.0.0.1:{closed_port}/api") as (base, log):

        def send(job: tuple[int, bool]) -> tuple[int, bool, int, dict[str, Any]]:
            i, replay = job
            unit, measure, files = _submission(i)
            with httpx.Client(base_url=base, timeout=120) as client:
                barrier.wait()
                response = client.post(
                    "/api/reports",
                    data={"measure": measure, "text": f"第{i}次报送：已整改。", "period_end": "2024-01-05"},
                    files=[("evidence", (name, content, "application/pdf")) for name, content in files],
                    headers={"Authorization": f"Bearer {tokens[unit]}", "Idempotency-Key": f"batch-{i}"},
                )
            return i, replay, response.status_code, response.json()

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(send, jobs))

        # Every key was stored exactly once: one 201, and a 409 naming the stored report for the other.
        by_key: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for i, _replay, status, body in results:
            by_key.setdefault(i, []).append((status, body))
        for i, answers in by_key.items():
            statuses = sorted(status for status, _ in answers)
            assert statuses in ([201], [201, 409]), (i, answers)
            if len(answers) == 2:
                created = next(body for status, body in answers if status == 201)
                refused = next(body for status, body in answers if status == 409)
                assert refused["detail"]["report_id"] == created["id"]

        # Evidence downloads give back the exact bytes.
        coordinator_headers = {"Authorization": f"Bearer {tokens[0]}"}
        _, _, files = _submission(0)
        with httpx.Client(base_url=base, timeout=30) as client:
            for _name, content in files:
                got = client.get(
                    f"/api/evidence/{hashlib.sha256(content).hexdigest()}", headers=coordinator_headers
                )
                assert got.status_code == 200 and got.content == content

        # The events were really sent, to a Prefect API that is not there.
        waited = time.monotonic() + 30
        while UNDELIVERABLE not in log.read_text(errors="replace") and time.monotonic() < waited:
            time.sleep(0.5)
    server_log = log.read_text(errors="replace")
    assert UNDELIVERABLE in server_log  # one line per event, no retries

    with database.unit_of_work() as session:
        reports = session.scalars(select(Report).order_by(Report.id)).all()
        assert len(reports) == SUBMISSIONS
        keys = sorted(r.idempotency_key or "" for r in reports)
        assert keys == sorted(f"api:unit:u{i % UNITS}:batch-{i}" for i in range(SUBMISSIONS))
        for report in reports:
            i = int(report.text.split("次")[0].removeprefix("第"))
            unit, measure, files = _submission(i)
            assert (
                report.measure.code == measure and report.unit is not None and report.unit.code == f"u{unit}"
            )
            assert sorted((e.filename, e.sha256) for e in report.evidence) == sorted(
                (name, hashlib.sha256(content).hexdigest()) for name, content in files
            )
        assert (
            session.scalar(select(func.count()).select_from(ReportEvidence)) == SUBMISSIONS + SUBMISSIONS // 2
        )
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == SUBMISSIONS + 1
        assert verify_evidence(session, settings.evidence_dir) == []
    assert len(list(stored_files(settings.evidence_dir))) == SUBMISSIONS + 1
    assert list((settings.evidence_dir / ".staging").iterdir()) == []
    for secret in tokens.values():
        assert secret not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]


def test_the_served_app_has_its_openapi_docs(settings: Settings, database: Database, tmp_path: Path) -> None:
    with api_server(tmp_path) as (base, _log):
        schema = httpx.get(f"{base}/api/openapi.json", timeout=10).json()
        assert schema["info"]["title"].startswith("Zhenggai")
        assert httpx.get(f"{base}/api/docs", timeout=10).status_code == 200
        assert httpx.get(f"{base}/api/units/x/measures", timeout=10).status_code == 401


def test_zhenggai_web_serves_the_portal_and_the_api(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with api_server(tmp_path, "web") as (base, _log):
        signin = httpx.get(f"{base}/signin", timeout=10)
        assert signin.status_code == 200 and "登录整改系统" in signin.text
        assert httpx.get(f"{base}/static/portal.css", timeout=10).status_code == 200
        assert httpx.get(f"{base}/", timeout=10).status_code == 303  # to /signin
        assert httpx.get(f"{base}/api/me", timeout=10).status_code == 401
