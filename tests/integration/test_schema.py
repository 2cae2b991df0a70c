"""The migrations and the models agree, and an old schema is upgraded or refused."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from models.db import Database, forget_databases
from models.errors import SchemaBehind
from models.settings import Settings
from models.tables import Base


def test_migrations_produce_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_have_a_single_head(database: Database) -> None:
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory.from_config(database._alembic_config()).get_heads()) == 1


@pytest.mark.sqlite_only
def test_an_empty_database_is_upgraded_or_refused(tmp_path: Path, db_backend: str) -> None:
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")

    with pytest.raises(SchemaBehind, match="zhenggai db upgrade"):
        fresh.ensure_schema(auto_migrate=False)

    fresh.ensure_schema(auto_migrate=True)
    assert fresh.current_revision() == fresh.head_revision()
    fresh.dispose()


def test_timestamps_come_back_aware_in_utc(database: Database) -> None:
    from datetime import datetime, timedelta, timezone

    from tests.factories import make_report

    shanghai = timezone(timedelta(hours=8))
    with database.unit_of_work() as session:
        report = make_report(session, submitted_at=datetime(2023, 12, 15, 10, 0, tzinfo=shanghai))
        session.commit()
        report_id = report.id
    with database.unit_of_work() as session:
        from models.tables import Report

        stored = session.get(Report, report_id)
        assert stored is not None
        assert stored.submitted_at.utcoffset() == timedelta(0)
        assert stored.submitted_at == datetime(2023, 12, 15, 2, 0, tzinfo=UTC)


def test_an_existing_ledger_is_opened_and_a_missing_one_is_neither_found_nor_made(
    settings: Settings, tmp_path: Path
) -> None:
    from models.db import existing_database

    assert existing_database(settings) is not None  # the test's migrated database, either backend

    nowhere = Settings(data_dir=tmp_path / "run" / ".zhenggai", database_url=None)
    assert existing_database(nowhere) is None
    assert not (tmp_path / "run").exists()

    empty = tmp_path / "empty" / "zhenggai.db"  # a file no ledger was ever loaded in
    empty.parent.mkdir()
    empty.touch()
    assert existing_database(Settings(database_url=f"sqlite:///{empty}")) is None
    forget_databases()
    untouched = Database(f"sqlite:///{empty}")
    assert untouched.current_revision() is None  # not migrated into a ledger on the way
    untouched.dispose()
