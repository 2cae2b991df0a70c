"""A generated notice's version is per generation: unique on (round, version, format).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("generated_notices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_generated_notices_round_id", type_="unique")
        batch_op.create_unique_constraint("uq_generated_notices_round_id", ["round_id", "version", "format"])


def downgrade() -> None:
    with op.batch_alter_table("generated_notices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_generated_notices_round_id", type_="unique")
        batch_op.create_unique_constraint("uq_generated_notices_round_id", ["round_id", "version"])
