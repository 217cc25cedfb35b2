"""A covering index (created, id, name) on flow_runs: the runs list's free-text search reads
run names from it newest first without visiting the table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_flow_runs_created_id_name", "flow_runs", ["created", "id", "name"]
    )


def downgrade() -> None:
    op.drop_index("ix_flow_runs_created_id_name", table_name="flow_runs")
