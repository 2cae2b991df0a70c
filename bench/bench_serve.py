"""Bench 7: ``zhenggai serve`` on the city ledger, the embedded default (a local Prefect server on SQLite).

The real command in its own process, PREFECT_HOME in a temporary directory and no PREFECT_API_URL, so
that serve starts its own server (``flows.serve.prefect_api``):

1. first start: an empty PREFECT_HOME (the server makes its database), the first sync of every measure,
   until serve prints ``serve: serving`` (target < 90 s, issue 21);
2. restart: stopped with SIGTERM and started again on the same PREFECT_HOME (the sync writes nothing),
   until ``serve: serving`` again (target < 10 s);
3. idle: then ``--idle`` seconds of serving with no run due: CPU (% of one core) and memory (RSS) of the
   serve process and of the processes below it (the local server and its services), apart.

What serve printed, each line with its second, goes to ``<workdir>/serve-first.log`` and
``serve-restart.log``.

With ``--home DIR`` the PREFECT_HOME (and the ledger copy) are kept in DIR: a later run on the same DIR
skips the first start and measures restarts only (``--restarts N``), which is how a change to the
restart is compared without a first sync of the city each time.

    python -m bench.bench_serve [--scale 1] [--idle 30] [--home DIR] [--restarts 1]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, Results, common_arguments, copy_sqlite, ensure_city, free_port, sqlite_url

TARGET_FIRST_S = 90.0
TARGET_RESTART_S = 10.0
READY = "serve: serving"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _env(home: Path, ledger: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZHENGGAI_"))}
    env.update(
        {
            "PREFECT_HOME": str(home / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "ZHENGGAI_DATA_DIR": str(home),
            "ZHENGGAI_DATABASE_URL": sqlite_url(ledger),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class Serve:
    """``zhenggai serve`` as a child process: its output read line by line, the moment it is ready kept."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.started = time.perf_counter()
        self.ready_at: float | None = None
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(f"{time.perf_counter() - self.started:6.1f} s  {line.rstrip()}")
            if self.ready_at is None and READY in line:
                self.ready_at = time.perf_counter()

    def wait_ready(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.ready_at is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.lines[-20:])
                raise RuntimeError(f"serve was not ready after {timeout:.0f} s:\n{tail}")
            time.sleep(0.2)
        return self.ready_at - self.started

    def stop(self) -> None:
        """SIGTERM, as an operator stops it (serve then stops its server); the whole group after 60 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):  # anything of its session left behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _tree(root: int) -> dict[int, tuple[int, int]]:
    """``root`` and every process below it (the local server runs in a session of its own): pid → (CPU
    ticks used, resident bytes)."""
    table: dict[int, tuple[int, int, int]] = {}  # pid → (parent, ticks, bytes)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()  # state ppid pgrp session …
            rss_pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError):
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), rss_pages * PAGE)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found[pid] = table[pid][1:]
            todo += [child for child, (parent, _t, _b) in table.items() if parent == pid]
    return found


def idle_figures(serve_pid: int, seconds: float) -> dict[str, float]:
    """CPU % of a core and RSS MB of serve itself and of the processes below it over ``seconds``."""
    before = _tree(serve_pid)
    time.sleep(seconds)
    after = _tree(serve_pid)
    out = {"serve_cpu": 0.0, "server_cpu": 0.0, "serve_mb": 0.0, "server_mb": 0.0}
    for pid, (ticks, rss) in after.items():
        used = ticks - before.get(pid, (0, 0))[0]
        key = "serve" if pid == serve_pid else "server"
        out[f"{key}_cpu"] += 100.0 * used / TICKS / seconds
        out[f"{key}_mb"] += rss / 1e6
    return out


def run(
    *,
    seed: int,
    scale: float,
    workdir: Path,
    idle: float = 30.0,
    timeout: float = 900.0,
    home: Path | None = None,
    restarts: int = 1,
) -> Results:
    """``home``: keep PREFECT_HOME and the ledger there; when it already holds a synced server, only the
    restarts are measured."""
    results = Results("serve")
    city = ensure_city(workdir, seed, scale)
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zhenggai-bench-serve-")))
        home.mkdir(parents=True, exist_ok=True)
        ledger = home / "ledger.db"
        reused = ledger.exists() and (home / "prefect" / "prefect.db").exists()
        if not reused:
            copy_sqlite(city.database, ledger)
        env = _env(home, ledger)
        if not reused:  # else the server in ``home`` was synced by an earlier run: restarts only
            first = Serve(env, free_port())
            try:
                seconds = first.wait_ready(timeout)
            finally:
                first.stop()
                (workdir / "serve-first.log").write_text("\n".join(first.lines) + "\n", encoding="utf-8")
            synced = next((line for line in first.lines if "serve: sync:" in line), "")
            results.add(
                "serve, first start (embedded server, empty PREFECT_HOME)",
                seconds,
                "s",
                target=f"< {TARGET_FIRST_S:g} s",
                met=seconds < TARGET_FIRST_S,
                note=f"{synced.removeprefix('serve: sync: ')}; load average {os.getloadavg()[0]:.1f}",
            )
        for attempt in range(1, max(1, restarts) + 1):
            again = Serve(env, free_port())  # the first port may still be in TIME_WAIT
            last = attempt == max(1, restarts)
            try:
                seconds = again.wait_ready(timeout)
                results.add(
                    "serve, restart (same PREFECT_HOME)" + (f" #{attempt}" if restarts > 1 else ""),
                    seconds,
                    "s",
                    target=f"< {TARGET_RESTART_S:g} s",
                    met=seconds < TARGET_RESTART_S,
                    note=f"load average {os.getloadavg()[0]:.1f}",
                )
                if last:
                    figures = idle_figures(again.process.pid, idle)
            finally:
                again.stop()
                log = "serve-restart.log" if restarts == 1 else f"serve-restart-{attempt}.log"
                (workdir / log).write_text("\n".join(again.lines) + "\n", encoding="utf-8")
        results.add(
            "serve idle CPU (serve + local server)",
            figures["serve_cpu"] + figures["server_cpu"],
            "% of a core",
            note=f"serve {figures['serve_cpu']:.1f} % + server {figures['server_cpu']:.1f} % over {idle:g} s",
        )
        results.add(
            "serve idle memory (serve + local server)",
            figures["serve_mb"] + figures["server_mb"],
            "MB",
            note=f"serve {figures['serve_mb']:.0f} MB + server {figures['server_mb']:.0f} MB (RSS)",
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common_arguments(parser)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle serving measured")
    parser.add_argument(
        "--home", type=Path, default=None, help="keep PREFECT_HOME here; reused: restarts only"
    )
    parser.add_argument("--restarts", type=int, default=1, help="restarts measured (default 1)")
    args = parser.parse_args(argv)
    run(
        seed=args.seed,
        scale=args.scale,
        workdir=args.workdir,
        idle=args.idle,
        home=args.home,
        restarts=args.restarts,
    ).emit(args.json)


if __name__ == "__main__":
    main()
