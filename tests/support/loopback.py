"""Real endpoints on loopback, started by the tests: an SMTP server (aiosmtpd) and a JSON webhook receiver.

The JSON receiver answers like a DingTalk/WeCom robot (``{"errcode": 0, "errmsg": "ok"}``) and can be
programmed: fail the first N requests of a path, fail a path always (dead), wait before answering
(``delay``: a far end that takes ~100 ms), or hold every request after the N-th until released (to
kill a sender while its requests are in flight). Every request is recorded on arrival.

Use the fixtures in a test module with ``from tests.support.loopback import json_receiver, smtp_receiver``,
or the classes directly (``with JsonReceiver(delay=0.1) as receiver: ...``) in a benchmark.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

KEY_HEADER = "X-Zhenggai-Key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class JsonRequest:
    """One request as it arrived."""

    path: str
    query: str
    headers: dict[str, str]
    body: Any
    at: float

    @property
    def key(self) -> str | None:
        return self.headers.get(KEY_HEADER)


@dataclass
class JsonReceiver:
    """A threaded HTTP server on 127.0.0.1 that records JSON POSTs and answers as programmed."""

    delay: float = 0.0
    port: int = 0
    requests: list[JsonRequest] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)  # path → failures before success
    dead: set[str] = field(default_factory=set)  # paths that always fail
    hold_after: int | None = None  # hold every request after this many until ``release()``

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._failures: Counter[str] = Counter()
        self.holding = 0
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> JsonReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        self.port = int(server.server_address[1])
        self._server = server
        threading.Thread(target=server.serve_forever, name="json-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> JsonReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def release(self) -> None:
        self._released.set()

    # -- what it saw ----------------------------------------------------------------------------

    def url(self, path: str, scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def to(self, path: str) -> list[JsonRequest]:
        return [r for r in self.requests if r.path == "/" + path.lstrip("/")]

    def paths(self, since: int = 0) -> Counter[str]:
        """Requests per path from the ``since``-th on (a pass's share: ``since`` = requests before it)."""
        with self._lock:
            return Counter(r.path.lstrip("/") for r in self.requests[since:])

    def keys(self) -> Counter[str]:
        """How many times each message key arrived (any value above 1 is a duplicate)."""
        with self._lock:
            return Counter(r.key for r in self.requests if r.key)

    # -- serving --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        parts = urlsplit(handler.path)
        with self._lock:
            self.requests.append(
                JsonRequest(parts.path, parts.query, dict(handler.headers.items()), body, time.time())
            )
            count = len(self.requests)
            fail = parts.path in self.dead or self._failures[parts.path] < self.fail_first.get(parts.path, 0)
            if not fail:
                pass
            elif parts.path not in self.dead:
                self._failures[parts.path] += 1
            hold = self.hold_after is not None and count > self.hold_after
            if hold:
                self.holding += 1
        if hold:
            self._released.wait()
        if self.delay:
            time.sleep(self.delay)
        status, answer = (
            (500, {"errcode": 500, "errmsg": "programmed failure"})
            if fail
            else (200, {"errcode": 0, "errmsg": "ok"})
        )
        data = json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the sender is gone (killed)


@dataclass(frozen=True)
class Mail:
    """One message the SMTP server accepted, decoded."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return str(part.get_content()) if part is not None else ""

    @property
    def key(self) -> str | None:
        value = self.message.get(KEY_HEADER)
        return str(value) if value else None


@dataclass
class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 that keeps every accepted message."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)

    def start(self) -> SmtpReceiver:
        from aiosmtpd.controller import Controller

        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                message = email.message_from_bytes(
                    envelope.original_content or envelope.content, policy=email.policy.default
                )
                assert isinstance(message, EmailMessage)
                receiver.mails.append(Mail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        self.port = self.port or free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, to: str, sender: str = "zhenggai@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"


@pytest.fixture
def json_receiver() -> Iterator[JsonReceiver]:
    """A JSON webhook receiver on a free loopback port, stopped after the test."""
    with JsonReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """An SMTP server on a free loopback port, stopped after the test."""
    with SmtpReceiver() as receiver:
        yield receiver
