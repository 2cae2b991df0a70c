"""The local Prefect server ``zhenggai serve`` starts without ``PREFECT_API_URL`` (SQLite under PREFECT_HOME).

Light on imports on purpose: ``zhenggai serve`` starts the server here before it imports the flows it
serves, so the server's own start-up (its imports, its database) runs on the other core meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from models.errors import PortInUse


def api_port(port: int | None = None) -> int:
    """The local server's port: ``--port``, else ``PREFECT_SERVER_API_PORT`` (Prefect's own, default 4200)."""
    if port is not None:
        return port
    from prefect.settings import PREFECT_SERVER_API_PORT

    return int(PREFECT_SERVER_API_PORT.value())


def check_port_free(host: str, port: int) -> None:
    """Refuse a taken port: a server already there would otherwise be used silently (``PortInUse``)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as uvicorn binds: the connections of a server stopped a moment ago (TIME_WAIT, a minute) do not
        # hold the port, a listening socket does (a restart right after a stop was refused without it)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(
                f"port {port} on {host} is in use ({error.strerror}): another Prefect server or program "
                f"holds it. Stop it, choose another port (zhenggai serve --port 4300, or "
                "PREFECT_SERVER_API_PORT), or serve against it with PREFECT_API_URL=http://HOST:PORT/api"
            ) from None


# Held (blocked) in serve while it starts the server, so that a stop cannot fall between the start and
# serve knowing the server's pid. A child inherits its parent's signal mask across exec: unblocked in the
# child, or the server never sees SIGTERM and every stop waited out ``_stop_server``'s 20 s, then SIGKILL.
HELD_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def _child_setup() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The signals serve held, unblocked; on Linux, SIGTERM when serve dies, even by SIGKILL (no orphan)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# The local server's scheduler: Prefect's defaults write up to 100 runs, 100 days ahead, for every
# deployment (tens of thousands of runs for a city's 2,100 measures, on SQLite, while the first sync creates
# them). ``serve``'s runner needs only the next few: a week ahead, at most 10 a deployment (the scheduler
# tops them up every minute). Only for the server serve starts itself, and only where not set already.
EMBEDDED_SCHEDULER = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "10",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P7D",  # ISO 8601: Prefect refuses bare seconds
}


# Prefect backs off 2**n seconds between tries: 8 tries wait about 8.5 minutes in all before giving up
# (5: one minute; the city's measured first start ran with 12, whose last waits would be over an hour).
LOCAL_CLIENT_RETRIES = 8


# Creates in flight during the first sync against our own SQLite server: one database writer serves them
# in turn, so more only wait on its lock (a busy server answers 503 and the client backs off 2**n s);
# two keep the next request ready while one is written.
LOCAL_FIRST_SYNC_CONCURRENCY = 2


def _server_env() -> dict[str, str]:
    return {**EMBEDDED_SCHEDULER, **os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def _server_command(port: int, *, services: bool = True) -> list[str]:
    """``prefect server start`` on the loopback; without its services (scheduler, event persister,
    triggers…) for a first sync: each create emits an event, whose writes compete with the creates for
    SQLite's one writer, and the scheduler writes runs for each new deployment."""
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return command if services else [*command, "--no-services"]


@dataclass
class LocalServer:
    """A local Prefect server ``serve`` started: its port and process, and whether it started on an empty
    PREFECT_HOME (then without its services, for the first sync; see ``flows.serve.prefect_api``)."""

    port: int
    process: subprocess.Popen[bytes]
    new: bool

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_healthy(self) -> None:
        wait_healthy(self.url, self.process)

    def restart(self) -> None:
        """Stopped and started again, with its services."""
        _stop_server(self.process)
        self.process = _start_server(self.port, services=True)
        self.new = False
        self.wait_healthy()

    def stop(self) -> None:
        _stop_server(self.process)

    def kill(self) -> None:
        """Its whole process group killed at once, not waited for (serve's forced exit)."""
        # Only while not reaped: once ``stop`` waited for it (and killed its group), its pid is free and
        # may already lead another process group (pids wrap at 32,768 here).
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` (environment or Prefect profile): the server to serve against; None: our own."""
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    return str(configured) if configured else None


def start_local_server(port: int | None = None, *, first_sync: bool = True) -> LocalServer:
    """Start the local server on ``port`` (refused if taken: ``PortInUse``); on an empty PREFECT_HOME
    with a ``first_sync`` to come, without its services until ``LocalServer.restart``."""
    port = api_port(port)
    check_port_free("127.0.0.1", port)
    new = first_sync and local_server_is_new()
    return LocalServer(port=port, process=_start_server(port, services=not new), new=new)


def _start_server(port: int, *, services: bool = True) -> subprocess.Popen[bytes]:
    """``prefect server start`` in its own process group (stopped as a whole), signals held meanwhile."""
    return _spawn(_server_command(port, services=services), _server_env())


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``command`` in a new session (its process group stopped as a whole), serve's stop signals held
    meanwhile and unblocked in the child."""
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_child_setup)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    """TERM the server's process group, then KILL what is left after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # the group's other members (the server's workers)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def local_server_is_new() -> bool:
    """Whether the local server's SQLite database does not exist yet (an empty PREFECT_HOME)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if url is not None else ""
    if not text.startswith("sqlite"):
        return False  # a server database elsewhere (PostgreSQL): not ours to judge
    path = text.split("///", 1)[-1]
    return path != ":memory:" and not os.path.exists(path)


def wait_healthy(
    url: str,
    process: subprocess.Popen[Any],
    timeout: float = 120.0,
    *,
    name: str = "the local Prefect server",
) -> None:
    """Return once the Prefect API at ``url`` answers its health check; RuntimeError when ``process`` (the
    server) exits first or ``timeout`` seconds pass (the benches' servers too, under their own ``name``)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer at {url} within {timeout:.0f} s")


# What serve's last complete sync left on its local server, kept in that server's PREFECT_HOME (a server
# reset with a new PREFECT_HOME has none): the planned sync's fingerprint and every managed deployment.
SYNC_RECORD = "zhenggai-sync.json"


@dataclass(frozen=True)
class SyncRecord:
    """The fingerprint of the last complete sync against the local server and the deployments it left."""

    fingerprint: str
    deployments: dict[str, UUID]


def _record_path() -> Path:
    from prefect.settings import PREFECT_HOME

    return Path(PREFECT_HOME.value()) / SYNC_RECORD


def read_sync_record() -> SyncRecord | None:
    """The local server's sync record; None when there is none or it cannot be read (a full sync then)."""
    try:
        data = json.loads(_record_path().read_text(encoding="utf-8"))
        return SyncRecord(
            fingerprint=str(data["fingerprint"]),
            deployments={str(name): UUID(str(value)) for name, value in data["deployments"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_sync_record(record: SyncRecord) -> None:
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {"fingerprint": record.fingerprint, "deployments": {k: str(v) for k, v in record.deployments.items()}}
    )
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)  # never half a record


def forget_sync_record() -> None:
    """Before a sync may write: until it has finished, the server may hold neither the old nor the new."""
    _record_path().unlink(missing_ok=True)
