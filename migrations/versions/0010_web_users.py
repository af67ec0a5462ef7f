"""web users: who may log in to the web workspace, with password and API token hashes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tdl_inbox.adapters.db.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("token_created_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("name", name=op.f("uq_web_user_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_user_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("web_user")
