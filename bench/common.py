"""Shared helpers of the benchmarks: child processes with peak RSS, scratch databases, the prepared city, tables."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = Path(os.environ.get("ZHENGGAI_BENCH_DIR", "/tmp/zhenggai-bench"))


def postgres_admin_url() -> str:
    """The PostgreSQL server where scratch databases are created (``ZHENGGAI_BENCH_POSTGRES_URL``)."""
    return os.environ.get("ZHENGGAI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Figure:
    """One line of the results table."""

    bench: str
    name: str
    value: float | int | str | None
    unit: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not measured
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return "—"
        if isinstance(self.value, float):
            return f"{self.value:.3f}" if self.value < 10 else f"{self.value:.1f}"
        return str(self.value)


@dataclass
class Results:
    """The figures of one bench script, printed as a table and optionally saved as JSON."""

    bench: str
    figures: list[Figure] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float | int | str | None,
        unit: str = "",
        *,
        target: str = "",
        met: bool | None = None,
        note: str = "",
    ) -> Figure:
        figure = Figure(self.bench, name, value, unit, target, met, note)
        self.figures.append(figure)
        return figure

    def unavailable(self, name: str, why: str, target: str = "") -> None:
        self.add(name, None, target=target, note=f"not available: {why}")

    def emit(self, json_path: Path | None = None) -> None:
        print_table(self.figures)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(
                json.dumps([asdict(f) for f in self.figures], ensure_ascii=False, indent=1), encoding="utf-8"
            )


def print_table(figures: list[Figure]) -> None:
    headers = ("bench", "measurement", "value", "unit", "target", "met", "note")
    rows = [
        (
            f.bench,
            f.name,
            f.shown(),
            f.unit,
            f.target,
            {True: "yes", False: "NO", None: ""}[f.met],
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.flush()


# -- child processes --------------------------------------------------------------------------


@dataclass
class ChildResult:
    """A step run in its own process: what it printed (the last JSON line), wall seconds and peak RSS."""

    data: dict[str, Any]
    wall: float
    peak_rss_mb: float
    returncode: int
    stderr: str


def run_step(
    step: str, payload: dict[str, Any], *, env: dict[str, str] | None = None, timeout: float = 900
) -> ChildResult:
    """Run ``bench.steps <step>`` in a fresh Python process; its peak RSS comes from ``wait4``."""
    command = [sys.executable, "-m", "bench.steps", step, json.dumps(payload)]
    return run_process(command, env=env, timeout=timeout)


def run_process(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float = 900
) -> ChildResult:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH", "")]))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = started + timeout
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    try:
        out, err = process.communicate(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        err += f"\n[bench] killed after {timeout:.0f} s"
    out_chunks.append(out)
    err_chunks.append(err)
    wall = time.perf_counter() - started
    # The step reports its own peak (VmHWM, see bench.steps): RUSAGE_CHILDREN would be the maximum over
    # every child this process has had, and ru_maxrss inherits the parent's high-water mark.
    data: dict[str, Any] = {}
    for line in reversed("".join(out_chunks).splitlines()):
        if line.startswith("{"):
            try:
                data = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    peak = float(data.get("peak_rss_mb", 0.0))
    return ChildResult(data, wall, peak, process.returncode, "".join(err_chunks))


# -- databases --------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def postgres_available() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        from sqlalchemy import create_engine, text

        from models.db import normalise_url

        engine = create_engine(normalise_url(postgres_admin_url()), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {postgres_admin_url().rsplit('@', 1)[-1]}: {type(exc).__name__}"


@contextmanager
def scratch_postgres(prefix: str = "zg_bench") -> Iterator[str]:
    """A database of our own on the PostgreSQL server (created empty, dropped afterwards); yields its URL."""
    from sqlalchemy import create_engine, text

    from models.db import normalise_url

    admin_url = normalise_url(postgres_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from models.db import forget_databases

        forget_databases()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def copy_sqlite(source: Path, target: Path) -> Path:
    """Copy a SQLite database (its WAL too, if a writer left one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{source}{suffix}")
        dst = Path(f"{target}{suffix}")
        if dst.exists():
            dst.unlink()
        if src.exists():
            shutil.copyfile(src, dst)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the prepared city ------------------------------------------------------------------------


@dataclass
class PreparedCity:
    """A generated city and a SQLite ledger holding its plan and reports (``city.db``)."""

    directory: Path
    info: Any  # bench.citygen.CityInfo
    database: Path
    plan_seconds: float | None = None
    reports_seconds: float | None = None

    @property
    def plan_path(self) -> Path:
        return self.directory / self.info.plan

    @property
    def reports_path(self) -> Path:
        return self.directory / self.info.reports_file

    def scratch_copy(self, name: str) -> Path:
        """A private copy of the loaded ledger (benches that write work on their own copy)."""
        return copy_sqlite(self.database, self.directory / "scratch" / f"{name}.db")


def city_directory(workdir: Path, seed: int, scale: float) -> Path:
    return workdir / f"city-seed{seed}-scale{scale:g}"


def ensure_city(workdir: Path, seed: int, scale: float, receiver_port: int | None = None) -> PreparedCity:
    """Generate the city (once per seed and scale) and load it into ``city.db`` (once), in child processes."""
    from bench.citygen import read_city, write_city

    directory = city_directory(workdir, seed, scale)
    if (directory / "city.json").exists() and (
        receiver_port is None or read_city(directory).receiver_port == receiver_port
    ):
        info = read_city(directory)
    else:
        if directory.exists():
            shutil.rmtree(directory)
        info = write_city(directory, seed, scale, receiver_port or free_port())
    prepared = PreparedCity(directory, info, directory / "city.db")
    marker = directory / "city.db.json"
    head = _schema_head()
    if marker.exists() and prepared.database.exists():
        timings = json.loads(marker.read_text())
        if timings.get("schema") == head:  # a ledger loaded under an older schema is loaded again
            prepared.plan_seconds = timings["plan_seconds"]
            prepared.reports_seconds = timings["reports_seconds"]
            return prepared
    for suffix in ("", "-wal", "-shm"):
        Path(f"{prepared.database}{suffix}").unlink(missing_ok=True)
    url = sqlite_url(prepared.database)
    check(run_step("migrate", {"url": url}), "migrate city.db")
    plan = check(run_step("load_plan", {"url": url, "path": str(prepared.plan_path)}), "load the city plan")
    reports = check(
        run_step("load_reports", {"url": url, "path": str(prepared.reports_path)}), "load the city reports"
    )
    prepared.plan_seconds = plan.data["seconds"]
    prepared.reports_seconds = reports.data["seconds"]
    marker.write_text(
        json.dumps(
            {
                "plan_seconds": prepared.plan_seconds,
                "reports_seconds": prepared.reports_seconds,
                "schema": head,
            }
        )
    )
    return prepared


def _schema_head() -> str | None:
    from models.db import Database

    return Database("sqlite://").head_revision()


def check(result: ChildResult, what: str) -> ChildResult:
    if result.returncode != 0 or ("seconds" not in result.data and "ok" not in result.data):
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return result


def common_arguments(parser: Any) -> None:
    parser.add_argument("--seed", type=int, default=8, help="city generator seed (default 8)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 = 700 problems (default); 0.01 for a smoke run"
    )
    parser.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="where the city and scratch files go"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here as JSON")


# -- servers we start -------------------------------------------------------------------------


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop a server we started (SIGTERM, then SIGKILL), by its own pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ReceiverClient:
    """Talks to a running ``bench.receiver``."""

    def __init__(self, port: int) -> None:
        self.port = port

    def stats(self) -> dict[str, Any]:
        import httpx

        return dict(httpx.get(f"http://127.0.0.1:{self.port}/_stats", timeout=30).json())

    def reset(self) -> None:
        import httpx

        httpx.post(f"http://127.0.0.1:{self.port}/_reset", timeout=30).raise_for_status()


@contextmanager
def receiver(port: int, delay: float = 0.1) -> Iterator[ReceiverClient]:
    """The loopback JSON receiver in its own process (so it does not share our GIL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", "--port", str(port), "--delay", str(delay)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 20, process)
        yield ReceiverClient(port)
    finally:
        stop_process(process)
