"""Run inputs: the pause points of flow runs (pause_flow_run / suspend_flow_run) and the
input each was resumed with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "run_inputs",
        sa.Column("flow_run_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schema", _JSON),
        sa.Column("description", sa.Text()),
        sa.Column("value", _JSON),
        sa.Column("deadline", _TS, nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("responded", _TS),
        sa.PrimaryKeyConstraint("flow_run_id", "key", name="pk_run_inputs"),
    )
    op.create_index("ix_run_inputs_status_deadline", "run_inputs", ["status", "deadline"])


def downgrade() -> None:
    op.drop_index("ix_run_inputs_status_deadline", table_name="run_inputs")
    op.drop_table("run_inputs")
