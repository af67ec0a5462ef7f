"""feedback: which grades were mailed to their students, and the students' regrade requests

``published_grade`` holds one row per grade row that was mailed (a regrade is a new grade row,
so publishing it adds a row); ``regrade_request`` one row per reply to a grade mail.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tdl_inbox.adapters.db.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_grade",
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grade.id"], name=op.f("fk_published_grade_grade_id_grade")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_published_grade_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_published_grade_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("grade_id", name=op.f("pk_published_grade")),
    )
    op.create_index(op.f("ix_published_grade_submission_id"), "published_grade", ["submission_id"])
    op.create_table(
        "regrade_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("routed_to", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("grade_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_regrade_request_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["message.id"], name=op.f("fk_regrade_request_message_pk_message")
        ),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grade.id"], name=op.f("fk_regrade_request_grade_id_grade")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regrade_request")),
        sa.UniqueConstraint("message_pk", name=op.f("uq_regrade_request_message_pk")),
    )
    op.create_index(op.f("ix_regrade_request_submission_id"), "regrade_request", ["submission_id"])
    op.create_index(op.f("ix_regrade_request_state"), "regrade_request", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_regrade_request_state"), table_name="regrade_request")
    op.drop_index(op.f("ix_regrade_request_submission_id"), table_name="regrade_request")
    op.drop_table("regrade_request")
    op.drop_index(op.f("ix_published_grade_submission_id"), table_name="published_grade")
    op.drop_table("published_grade")
