"""Alembic environment: runs against the engine Zhenggai hands over (or ZHENGGAI_DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from models.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from models.db import Database
        from models.settings import get_settings

        engine = Database(get_settings().resolved_database_url).engine
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
