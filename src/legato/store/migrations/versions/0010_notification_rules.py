"""Notification rules: which runs (deployment, tags, states) are reported to which apprise
URLs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notification_rules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("urls", _JSON, nullable=False),
        sa.Column("states", _JSON, nullable=False),
        sa.Column("deployment", sa.String(512)),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notification_rules"),
    )
    op.create_index("ix_notification_rules_created_id", "notification_rules", ["created", "id"])


def downgrade() -> None:
    op.drop_index("ix_notification_rules_created_id", table_name="notification_rules")
    op.drop_table("notification_rules")
