"""督办单: the sheets escalation steps 蓝/黄/红 issue, and the per-year counter that numbers them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.tables

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duban_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_duban_number_counters")),
    )
    op.create_table(
        "duban_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(length=200), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("round_code", sa.String(length=64), nullable=False),
        sa.Column("measure_code", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("leader", sa.String(length=100), nullable=True),
        sa.Column("measure_text", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("overdue_workdays", sa.Integer(), nullable=True),
        sa.Column("missed_periods", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("reply_workdays", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measures.id"],
            name=op.f("fk_duban_sheets_measure_id_measures"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duban_sheets")),
        sa.UniqueConstraint("number", name=op.f("uq_duban_sheets_number")),
        sa.UniqueConstraint("step_key", name=op.f("uq_duban_sheets_step_key")),
        sa.UniqueConstraint("year", "serial", name=op.f("uq_duban_sheets_year")),
    )
    op.create_index(op.f("ix_duban_sheets_measure_id"), "duban_sheets", ["measure_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_duban_sheets_measure_id"), table_name="duban_sheets")
    op.drop_table("duban_sheets")
    op.drop_table("duban_number_counters")
