"""A comparable dump of every table, to prove that refused input left the database unchanged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.db import Database
from models.tables import Base


def dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            result[table.name] = [tuple(row) for row in rows]
    return result
