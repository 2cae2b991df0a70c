"""督办单 files (DOCX, PDF: format, SHA-256, path), the units' 签收 and replies, and sheets for a pending 签收.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.tables

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("duban_sheets", sa.Column("unsigned_workdays", sa.Integer(), nullable=True))
    op.create_table(
        "duban_sheet_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["duban_sheets.id"],
            name=op.f("fk_duban_sheet_files_sheet_id_duban_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duban_sheet_files")),
        sa.UniqueConstraint("sheet_id", "format", name=op.f("uq_duban_sheet_files_sheet_id")),
    )
    op.create_table(
        "duban_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_duban_responses_report_id_reports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["duban_sheets.id"],
            name=op.f("fk_duban_responses_sheet_id_duban_sheets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_duban_responses_token_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_duban_responses_unit_id_units"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duban_responses")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_duban_responses_idempotency_key")),
    )
    op.create_index("ix_duban_responses_sheet", "duban_responses", ["sheet_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_duban_responses_sheet", table_name="duban_responses")
    op.drop_table("duban_responses")
    op.drop_table("duban_sheet_files")
    op.drop_column("duban_sheets", "unsigned_workdays")
