"""Limits: work queues (priority, concurrency limit, paused), concurrency limits by tag,
the slots runs hold against limits (leases with an expiry), run and deployment priorities,
and the timeout deadline of a run's lease.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "work_queues",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer()),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_work_queues"),
    )
    op.create_table(
        "concurrency_limits",
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("slot_limit", sa.Integer(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tag", name="pk_concurrency_limits"),
    )
    op.create_table(
        "concurrency_slots",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("holder_id", sa.String(36), nullable=False),
        sa.Column("flow_run_id", sa.String(36), nullable=False),
        sa.Column("acquired_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", "holder_id", name="pk_concurrency_slots"),
    )
    op.create_index("ix_concurrency_slots_flow_run_id", "concurrency_slots", ["flow_run_id"])
    op.create_index("ix_concurrency_slots_expires_at", "concurrency_slots", ["expires_at"])
    # Plain ADD COLUMN (nullable or with a server default): no SQLite table rebuild.
    op.add_column("flow_runs", sa.Column("priority", sa.Integer()))
    op.add_column(
        "deployments",
        sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("leases", sa.Column("timeout_at", _TS))
    op.create_index("ix_leases_timeout_at", "leases", ["timeout_at"])


def downgrade() -> None:
    op.drop_index("ix_leases_timeout_at", table_name="leases")
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("timeout_at")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("priority")
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("priority")
    op.drop_index("ix_concurrency_slots_expires_at", table_name="concurrency_slots")
    op.drop_index("ix_concurrency_slots_flow_run_id", table_name="concurrency_slots")
    op.drop_table("concurrency_slots")
    op.drop_table("concurrency_limits")
    op.drop_table("work_queues")
