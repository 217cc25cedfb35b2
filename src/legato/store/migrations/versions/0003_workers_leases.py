"""Workers and leases: registered worker processes, one lease per claimed flow run, the
fencing epoch and crash count of flow runs, and crash retries of deployments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id(name: str, *, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(36), nullable=nullable)


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    op.create_table(
        "workers",
        _id("id", nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("queues", _JSON, nullable=False),
        sa.Column("heartbeat_at", _TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pid", sa.Integer()),
        sa.Column("host", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
        sa.UniqueConstraint("name", name="uq_workers_name"),
    )
    op.create_table(
        "leases",
        _id("flow_run_id", nullable=False),
        _id("worker_id", nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("heartbeat_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("flow_run_id", name="pk_leases"),
    )
    op.create_index("ix_leases_expires_at", "leases", ["expires_at"])
    # Plain ADD COLUMN with a server default: no SQLite table rebuild.
    op.add_column("flow_runs", _counter("lease_epoch"))
    op.add_column("flow_runs", _counter("crash_count"))
    op.add_column("deployments", _counter("crash_retries"))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("crash_retries")
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("crash_count")
        batch.drop_column("lease_epoch")
    op.drop_index("ix_leases_expires_at", table_name="leases")
    op.drop_table("leases")
    op.drop_table("workers")
