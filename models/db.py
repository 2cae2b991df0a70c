"""One engine and one sessionmaker per database URL, a unit of work, and the schema check."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from models.errors import DatabaseUnavailable, SchemaBehind
from models.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the API, the CLI and flow runs read while one of them writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_savepoint(connection: Any, _name: str) -> None:
    """Open the real transaction before a savepoint when the driver has not opened one yet.

    pysqlite begins a transaction only before INSERT/UPDATE/DELETE, so a ``begin_nested()`` reached before
    any write sent SAVEPOINT outside a transaction, and its RELEASE committed: a bulk load of reports
    committed row by row and a kill or a refused entry left the rows before it. SQLAlchemy's documented
    remedy (pysqlite's own handling off, BEGIN on every begin) also makes reads take a snapshot that
    a later write cannot upgrade while another connection writes ("database is locked" at once, not
    after the busy timeout), so BEGIN is sent only where it is needed: before the first savepoint.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (the driver we ship)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """The engine, the sessionmaker and the schema of one database."""

    def __init__(self, url: str) -> None:
        self.given_url = url  # as configured: what an error message names (password masked)
        self.url = normalise_url(url)

    @cached_property
    def engine(self) -> Engine:
        try:
            return self._create_engine()
        except Exception as error:
            raise database_failure(self.given_url, error) or error from None

    def _create_engine(self) -> Engine:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "savepoint", _sqlite_savepoint)
            return engine
        connect_args = {"connect_timeout": 10} if self.url.startswith("postgresql+psycopg") else {}
        return create_engine(
            self.url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
        )

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is rolled back unless the caller commits it."""
        with self.sessionmaker() as session:
            try:
                yield session
            finally:
                session.rollback()

    # -- schema ---------------------------------------------------------------------------------

    def _alembic_config(self) -> Any:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def head_revision(self) -> str | None:
        return code_revision()

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (``zhenggai db upgrade``)."""
        from alembic import command

        command.upgrade(self._alembic_config(), "head")

    def schema_is_current(self) -> bool:
        """Whether the database is at the code's one head, read without importing Alembic (half a second of
        every command's start): the ``alembic_version`` row against the revisions the migration files
        declare. False whenever either is not plain (no table, several rows or heads): Alembic then decides."""
        head = quick_code_revision()
        if head is None:
            return False
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.engine.connect() as connection:
                rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except SQLAlchemyError:
            return False
        return rows == [head]

    def ensure_schema(self, auto_migrate: bool) -> None:
        """Upgrade an older schema, or refuse with ``SchemaBehind`` when automatic migration is off."""
        if self.schema_is_current():
            return
        current, head = self.current_revision(), self.head_revision()
        if current == head:
            return
        if not auto_migrate:
            raise SchemaBehind(
                f"the database is at schema {current or 'none'} and this Zhenggai needs {head}: "
                "run `zhenggai db upgrade` (or set ZHENGGAI_AUTO_MIGRATE=true)"
            )
        self.upgrade()

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def code_revision() -> str | None:
    """The newest schema revision this code has (Alembic's head), read without opening any database."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:: *[\w |\[\],]+)? *= *(None|[\"'][^\"']+[\"'])", re.MULTILINE)


def quick_code_revision() -> str | None:
    """``code_revision`` read from the migration files' ``revision``/``down_revision`` lines with no Alembic
    import; None when a file does not declare them plainly or there is not exactly one head."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0] != "None":
            downs.add(down[0].strip("\"'"))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def mask_database_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (works on URLs SQLAlchemy cannot parse too)."""
    return re.sub(r"^([A-Za-z][\w+.-]*://[^:/@]*):[^@]*@", r"\1:***@", url)


def database_failure(url: str, error: BaseException) -> DatabaseUnavailable | None:
    """``error`` (raised creating the engine or talking to the database) as one line naming the URL
    (password masked) and what to check; None when it is not about reaching the database."""
    from sqlalchemy import exc

    shown = f"database {mask_database_url(url)!r}"
    hint = "(ZHENGGAI_DATABASE_URL)"
    if isinstance(error, exc.NoSuchModuleError):
        scheme = url.split("://", 1)[0]
        return DatabaseUnavailable(
            f"{shown}: no database driver for '{scheme}': use postgresql://… or sqlite:///… {hint}"
        )
    if isinstance(error, exc.ArgumentError):
        return DatabaseUnavailable(
            f"{shown} is not a database URL: write postgresql://user:password@host:5432/name "
            f"or sqlite:///path/zhenggai.db {hint}"
        )
    if isinstance(error, ImportError):
        module = error.name or str(error)
        return DatabaseUnavailable(
            f"{shown}: its driver ({module}) is not installed: install it, or use postgresql:// (psycopg) "
            f"or sqlite:/// {hint}"
        )
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        checks = [
            ("resolve host", "unknown host: check the host name"),
            ("Name or service not known", "unknown host: check the host name"),
            ("Connection refused", "nothing answers there: is the server running, are host and port right?"),
            ("timeout expired", "no answer in time: is the host reachable (firewall, network)?"),
            ("timed out", "no answer in time: is the host reachable (firewall, network)?"),
            ("password authentication failed", "check the user name and password"),
            ("does not exist", "check the database name (create it first)"),
            ("unable to open database file", "check that the SQLite file's directory exists and is writable"),
        ]
        advice = next((text for needle, text in checks if needle in detail), "check the URL and the server")
        return DatabaseUnavailable(f"{shown} does not answer ({detail}): {advice} {hint}")
    return None


_databases: dict[str, Database] = {}
_lock = threading.Lock()
_checked: set[str] = set()


def get_database(settings: Settings | None = None, *, check_schema: bool = True) -> Database:
    """The process-wide ``Database`` for the configured URL, its schema checked once per process."""
    settings = settings or get_settings()
    url = normalise_url(settings.resolved_database_url)
    with _lock:
        database = _databases.get(url)
        if database is None:
            database = _databases[url] = Database(url)
        if check_schema and url not in _checked:
            try:
                database.ensure_schema(settings.auto_migrate)
            except Exception as error:
                raise database_failure(settings.resolved_database_url, error) or error from None
            _checked.add(url)
    return database


def existing_database(settings: Settings | None = None) -> Database | None:
    """The configured database when it holds a ledger (its schema checked as by ``get_database``), else
    None: no SQLite file there (none is created), or a database no Zhenggai schema was ever put in."""
    settings = settings or get_settings()
    path = settings.sqlite_path
    if path is not None and not path.exists():
        return None
    probe = get_database(settings, check_schema=False)
    if not probe.schema_is_current() and probe.current_revision() is None:
        return None
    return get_database(settings)


def ledger_location(settings: Settings) -> str:
    """Where the configured ledger is, as a message names it: the SQLite file, else the masked URL."""
    return str(settings.sqlite_path or mask_database_url(settings.resolved_database_url))


def forget_databases() -> None:
    """Dispose every engine (tests, and processes that fork)."""
    with _lock:
        for database in _databases.values():
            database.dispose()
        _databases.clear()
        _checked.clear()
