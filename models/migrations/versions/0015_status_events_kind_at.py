"""An index on status events by kind and time: the desk's 今日督办 (the escalation steps recorded today) and
the notification planner read escalations by kind over a time window, which on PostgreSQL was a scan of
the whole history. (``reports.supersedes_id`` needs none: its unique constraint is an index on both
backends.)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_events") as batch_op:
        batch_op.create_index("ix_status_events_kind_at", ["kind", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_events") as batch_op:
        batch_op.drop_index("ix_status_events_kind_at")
