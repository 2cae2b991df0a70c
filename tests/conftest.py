"""Shared fixtures: real SQLite and PostgreSQL databases, the CLI runner, one Prefect harness per session.

PostgreSQL runs when ``ZHENGGAI_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets it); each test
session gets its own database there, emptied before every test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Prefect reads these when first imported: point it at a private home before any test imports it.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="zhenggai-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)

from models.db import Database, forget_databases, get_database
from models.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = ROOT / "examples" / "xinhua-2023"
SEED_ROUND = "xinhua-2023-xc2"
POSTGRES_URL = os.environ.get("ZHENGGAI_TEST_POSTGRES_URL")

if os.environ.get("CI") and not POSTGRES_URL:
    raise pytest.UsageError("CI must run the PostgreSQL tests: set ZHENGGAI_TEST_POSTGRES_URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every database test on SQLite and PostgreSQL, unless it asks for ``sqlite_database``."""
    if "db_backend" not in metafunc.fixturenames:
        return
    if "sqlite_database" in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        backends: list[Any] = ["sqlite"]
    else:
        backends = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
    metafunc.parametrize("db_backend", backends)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "zhenggai.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A migrated database of this session's own on the PostgreSQL server; dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL tests need ZHENGGAI_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    from tests.support.postgres import migrated_postgres_database

    with migrated_postgres_database(POSTGRES_URL, "zhenggai_test") as url:
        yield url


def empty_postgres(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database (cheaper than a new database each test)."""
    from sqlalchemy import create_engine, text

    from models.tables import Base

    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database on the backend under test."""
    if db_backend == "sqlite":
        path = tmp_path / "zhenggai.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_server_url")
    empty_postgres(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for this test, also exported to the environment so the CLI and flows see them."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ZHENGGAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ZHENGGAI_DATABASE_URL", db_url)
    # Tests back-date sweeps with --as-of; quiet hours by the real wall clock would make them depend on
    # when the suite runs. The tests of that rule turn it on and give the wall clock.
    monkeypatch.setenv("ZHENGGAI_QUIET_HOURS_BY_WALL_CLOCK", "false")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """An empty, migrated database (SQLite, and PostgreSQL when configured)."""
    yield get_database(settings)
    forget_databases()


@pytest.fixture
def sqlite_database(database: Database) -> Database:
    """An empty, migrated SQLite database, for tests where the backend does not matter."""
    return database


@pytest.fixture
def session(database: Database) -> Iterator[Any]:
    """A unit of work on the test database (rolled back unless the test commits)."""
    with database.unit_of_work() as session:
        yield session


@pytest.fixture
def seeded_database(database: Database) -> Database:
    """The seed's ledger: examples/xinhua-2023 plan and reports loaded."""
    from tasks.ledger.plan_load import load_plan_file
    from tasks.reports.record import load_reports_file
    from tests.support.work import committed

    clock = get_settings().clock()
    committed(database, load_plan_file, EXAMPLE_DIR / "plan.yaml", clock)
    committed(database, load_reports_file, EXAMPLE_DIR / "reports.yaml", clock)
    return database


@pytest.fixture
def cli(settings: Settings) -> Callable[..., Any]:
    """Invoke ``zhenggai`` in-process with the test settings: ``cli("status", "--round", "R")``."""
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> Any:
        get_settings.cache_clear()
        return runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (the harness runs no scheduler)."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    # The harness server writes the events it receives every second, not every 5 s: the tests that wait
    # for an event (or for the absence of a second one) wait that much less.
    with (
        temporary_settings({PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL: 1}),
        prefect_test_harness(server_startup_timeout=180),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield
