"""grade.forced: a grade recorded over another grader's live claim

``grade --force`` lets a grader grade an item someone else holds; the grade history says so.
Existing grades were not forced.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.alter_column("forced", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.drop_column("forced")
