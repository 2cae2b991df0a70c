"""``zhenggai db``: the database schema."""

from __future__ import annotations

from flows.cli.app import app, make_app
from flows.cli.common import console, settings

db_app = make_app("Database schema (Alembic migrations).\n\nExample: [bold]zhenggai db upgrade[/bold]")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Upgrade the database schema to this version of Zhenggai.

    Example: ZHENGGAI_DATABASE_URL=postgresql://zhenggai@db/zhenggai zhenggai db upgrade
    """
    from models.db import get_database

    config = settings()
    path = config.sqlite_path
    if path is not None and not path.exists():
        console.print(f"creating a new ledger at {path.resolve()}", soft_wrap=True)
    database = get_database(config, check_schema=False)
    before = database.current_revision()
    database.upgrade()
    console.print(f"schema {before or 'empty'} → {database.current_revision()}")


@db_app.command("current")
def current() -> None:
    """Show the schema revision of the database and the one this code needs.

    Example: zhenggai db current
    """
    from models.db import code_revision, get_database

    config = settings()
    path = config.sqlite_path
    if path is not None and not path.exists():  # looking creates no ledger
        console.print(f"database: none ({path.resolve()} does not exist); code: {code_revision()}")
        return
    database = get_database(config, check_schema=False)
    console.print(f"database: {database.current_revision() or 'empty'}; code: {database.head_revision()}")
