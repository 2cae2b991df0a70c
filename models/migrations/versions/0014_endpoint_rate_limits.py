"""Per-endpoint rate limits and daily digests: each endpoint's window of recent sends, a contact's own
limit and its choice of a daily digest, and the digest that carries a message.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.tables

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "endpoint_windows",
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.JSON(), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("endpoint", name=op.f("pk_endpoint_windows")),
    )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("rate_limit", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("digest", sa.String(length=20), server_default="per_message", nullable=False)
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_deliveries_digest_id_deliveries"),
            "deliveries",
            ["digest_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(batch.f("fk_deliveries_digest_id_deliveries"), type_="foreignkey")
        batch.drop_column("digest_id")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("digest")
        batch.drop_column("rate_limit")
    op.drop_table("endpoint_windows")
