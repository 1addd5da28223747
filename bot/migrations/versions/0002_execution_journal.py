"""Execution as a journal (attempt, executor, lease, sent), reminders, one open request per record.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NEW_COLUMNS = ("attempt", "executor", "started_at", "lease_until", "sent_at", "reminded_at")


def upgrade() -> None:
    with op.batch_alter_table("approval_requests") as table:
        table.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("executor", sa.String(128)))
        table.add_column(sa.Column("started_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("sent_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True)))
    # The primary key is the constraint: a record can be claimed by one open request only.
    op.create_table(
        "approval_claims",
        sa.Column("record", sa.String(200), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("approval_requests.id", name="fk_approval_claims_request_id"),
            nullable=False,
        ),
    )
    op.create_index("ix_approval_claims_request_id", "approval_claims", ["request_id"])


def downgrade() -> None:
    op.drop_table("approval_claims")
    with op.batch_alter_table("approval_requests") as table:
        for name in _NEW_COLUMNS:
            table.drop_column(name)
