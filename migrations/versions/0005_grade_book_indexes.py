"""indexes for the grade book

``ix_submission_id_assignment_owner`` answers "which (assignment, owner) group is submission N
in" from a narrow index instead of the submission row: the grade book asks it for every current
grade, and those rows lie all over the table. ``ix_submission_student_id_owner`` replaces
``ix_submission_student_id`` (same leading column) and lets the grade book group the
submissions not linked to the roster by owner without reading their rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_submission_id_assignment_owner",
        "submission",
        ["id", "assignment", "owner"],
        unique=False,
    )
    op.create_index(
        "ix_submission_student_id_owner", "submission", ["student_id", "owner"], unique=False
    )
    op.drop_index("ix_submission_student_id", table_name="submission")


def downgrade() -> None:
    op.create_index("ix_submission_student_id", "submission", ["student_id"], unique=False)
    op.drop_index("ix_submission_student_id_owner", table_name="submission")
    op.drop_index("ix_submission_id_assignment_owner", table_name="submission")
