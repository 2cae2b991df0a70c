"""A real uvicorn server and a raw chunked upload: the token is checked before the body is read, and every
body (chunked included) is capped, so an anonymous client gets its 401, and anyone its 413 past the cap,
after at most a few MB."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from models.db import Database
from models.enums import TokenRole
from models.settings import Settings
from tasks.reports.tokens import issue_token
from tests.e2e.test_api_server import api_server
from tests.factories import make_measure, make_unit

CHUNK = 64 * 1024
GIVE_UP = 200 * 1024 * 1024  # the upload the attacker would send (never reached)
FEW_MB = 16 * 1024 * 1024  # what socket buffers may swallow before the answer is seen


def chunked_upload(base: str, token: str | None) -> tuple[int, int]:
    """POST /api/reports as a raw chunked multipart upload; (status, bytes sent before the answer came)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        "POST /api/reports HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Content-Type: multipart/form-data; boundary=zgboundary\r\n"
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + "\r\n"
    )
    prologue = (
        b'--zgboundary\r\nContent-Disposition: form-data; name="evidence"; filename="big.pdf"\r\n\r\n%PDF-'
    )
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        body = prologue + b"x" * (CHUNK - len(prologue))
        answer = b""
        deadline = time.monotonic() + 120
        while sent < GIVE_UP and time.monotonic() < deadline:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            if b"\r\n\r\n" in answer:
                break
            try:
                sock.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
                sent += len(body)
                body = b"x" * CHUNK
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:  # the server closed the connection after answering
                break
        sock.setblocking(True)
        sock.settimeout(30)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else 0
    return status, sent


def test_an_anonymous_chunked_upload_is_401_before_its_body_is_read(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with api_server(tmp_path) as (base, _log):
        status, sent = chunked_upload(base, None)
        bad_status, bad_sent = chunked_upload(base, "zg_not-a-real-token")
    assert (status, bad_status) == (401, 401)
    assert sent < FEW_MB and bad_sent < FEW_MB, (sent, bad_sent)
    assert not (settings.evidence_dir / ".staging").exists() or not any(
        (settings.evidence_dir / ".staging").iterdir()
    )


def test_a_chunked_upload_past_the_cap_is_413_after_at_most_a_few_mb(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        unit = make_unit(session, "u1")
        make_measure(session, code="C-1", lead_unit=unit, deadline=None)
        token = issue_token(
            session, role=TokenRole.UNIT, unit_code="u1", now=datetime(2024, 1, 10, tzinfo=UTC)
        )
        session.commit()
    with api_server(tmp_path, ZHENGGAI_API_MAX_REQUEST_BYTES=str(2 * 1024 * 1024)) as (base, _log):
        status, sent = chunked_upload(base, token.secret)
    assert status == 413
    assert sent < FEW_MB, sent
