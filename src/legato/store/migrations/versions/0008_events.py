"""Events: flow-run state changes, asset updates, webhooks and custom events, and the cursors
of the loops that read them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("occurred", _TS, nullable=False),
        sa.Column("received", _TS, nullable=False),
        sa.Column("resource", sa.String(512), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("related", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
    )
    op.create_index("ix_events_id", "events", ["id"], unique=True)
    op.create_index("ix_events_name_seq", "events", ["name", "seq"])
    op.create_index("ix_events_received", "events", ["received"])
    op.create_table(
        "event_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_event_cursors"),
    )


def downgrade() -> None:
    op.drop_table("event_cursors")
    op.drop_index("ix_events_received", table_name="events")
    op.drop_index("ix_events_name_seq", table_name="events")
    op.drop_index("ix_events_id", table_name="events")
    op.drop_table("events")
