"""A migrated database of the tests' own on a PostgreSQL server, made and dropped around a block."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from models.db import Database, forget_databases, normalise_url


@contextmanager
def migrated_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new database named ``<prefix>_<random>`` on ``server_url``'s server, migrated; its URL. Dropped
    afterwards (every engine on it disposed first), whatever the block did."""
    admin_url = normalise_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url
    finally:
        forget_databases()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
