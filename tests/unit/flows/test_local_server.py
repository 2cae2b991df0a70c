"""serve's local Prefect server: its port check (a listening socket holds the port, the closed connections of
a stopped server do not) and its kill on a forced exit."""

from __future__ import annotations

import socket

import pytest

from flows.local_server import check_port_free
from models.errors import PortInUse


def _listener() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


def test_a_listening_port_is_refused() -> None:
    with _listener() as listener:
        port = listener.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} on 127.0.0.1 is in use"):
            check_port_free("127.0.0.1", port)


def test_a_port_whose_server_just_stopped_is_free() -> None:
    listener = _listener()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server's side closes first: its end waits in TIME_WAIT on the port
    client.close()
    listener.close()
    with socket.socket() as plain, pytest.raises(OSError, match="in use"):  # the TIME_WAIT is there
        plain.bind(("127.0.0.1", port))
    check_port_free("127.0.0.1", port)


def test_a_forced_exit_kills_the_local_server_only_while_it_is_not_reaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signal
    import subprocess

    from flows.local_server import LocalServer

    killed: list[tuple[int, int]] = []
    monkeypatch.setattr("os.killpg", lambda pid, sig: killed.append((pid, sig)))
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    server = LocalServer(port=1, process=process, new=False)
    try:
        server.kill()
        assert killed == [(process.pid, signal.SIGKILL)]
    finally:
        process.kill()
        process.wait()
    server.kill()  # reaped: its pid may lead another group by now
    assert killed == [(process.pid, signal.SIGKILL)]
