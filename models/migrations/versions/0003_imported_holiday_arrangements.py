"""Imported holiday arrangements: the days of each imported year and the history of imports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("imported_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("source_name", sa.String(length=500), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("holidays", sa.Integer(), nullable=False),
        sa.Column("workdays", sa.Integer(), nullable=False),
        sa.Column("package_disagreements", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_imports")),
    )
    with op.batch_alter_table("calendar_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_imports_year"), ["year"], unique=False)

    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("festival", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["calendar_imports.id"],
            name=op.f("fk_calendar_days_import_id_calendar_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("year", "day", name=op.f("uq_calendar_days_year")),
    )
    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_days_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_days_import_id"))
    op.drop_table("calendar_days")
    with op.batch_alter_table("calendar_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_imports_year"))
    op.drop_table("calendar_imports")
