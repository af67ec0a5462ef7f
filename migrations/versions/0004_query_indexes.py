"""indexes for the grader and admin queries

``ix_submission_counting`` holds each (assignment, owner) group of versions in counting order
(``services.versions``), so the counting version of a group is one index seek and ranking
never sorts or reads the table. ``ix_submission_assignment_deadline`` lets
``refresh_verdicts`` find rows judged against another deadline without reading every row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_submission_counting",
        "submission",
        [
            "assignment",
            "owner",
            sa.literal_column("chosen DESC"),
            "late",
            sa.literal_column("arrived_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_submission_assignment_deadline",
        "submission",
        ["assignment", "deadline"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_submission_assignment_deadline", table_name="submission")
    op.drop_index("ix_submission_counting", table_name="submission")
