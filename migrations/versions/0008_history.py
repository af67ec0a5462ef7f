"""history: an append-only record of every decision a person makes

Grades and regrades, claims and releases, choices, relinks, extensions, publishing, regrade
requests and each admin command that changes a record add a row; nothing updates or deletes
one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tdl_inbox.adapters.db.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    op.create_index(op.f("ix_history_at"), "history", ["at"])
    op.create_index(op.f("ix_history_actor"), "history", ["actor"])
    op.create_index("ix_history_submission_id_id", "history", ["submission_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_history_submission_id_id", table_name="history")
    op.drop_index(op.f("ix_history_actor"), table_name="history")
    op.drop_index(op.f("ix_history_at"), table_name="history")
    op.drop_table("history")
