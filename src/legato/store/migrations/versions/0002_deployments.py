"""Deployments and schedules; flow runs learn which deployment, schedule and slot made them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id(name: str, *, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(36), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deployments",
        _id("id", nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        _id("flow_id", nullable=False),
        _id("flow_version_id"),
        sa.Column("entrypoint", sa.Text(), nullable=False),
        sa.Column("parameters", _JSON, nullable=False),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("work_queue", sa.String(255), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("catchup", sa.String(16), nullable=False),
        sa.Column("catchup_window_seconds", sa.Integer(), nullable=False),
        sa.Column("catchup_max_runs", sa.Integer(), nullable=False),
        sa.Column("max_active_runs", sa.Integer()),
        sa.Column("run_timeout_seconds", sa.Float()),
        sa.Column("version", sa.String(255)),
        sa.Column("description", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.ForeignKeyConstraint(["flow_id"], ["flows.id"], name="fk_deployments_flow_id_flows"),
        sa.ForeignKeyConstraint(
            ["flow_version_id"],
            ["flow_versions.id"],
            name="fk_deployments_flow_version_id_flow_versions",
        ),
        sa.UniqueConstraint("flow_id", "name", name="uq_deployments_flow_id_name"),
    )
    op.create_index("ix_deployments_created_id", "deployments", ["created", "id"])
    op.create_table(
        "schedules",
        _id("id", nullable=False),
        _id("deployment_id", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("expression", sa.Text()),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("interval_seconds", sa.Integer()),
        sa.Column("anchor", _TS),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_slot", _TS),
        sa.Column("due_at", _TS),
        sa.Column("error", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.ForeignKeyConstraint(
            ["deployment_id"], ["deployments.id"], name="fk_schedules_deployment_id_deployments"
        ),
    )
    op.create_index("ix_schedules_due_at", "schedules", ["due_at"])
    op.create_index(
        "ix_schedules_deployment_id_position", "schedules", ["deployment_id", "position"]
    )
    # Plain ADD COLUMN works on both dialects (no SQLite table rebuild): the new columns are
    # nullable or have a server default, and no foreign key is added to flow_runs.
    op.add_column("flow_runs", _id("deployment_id"))
    op.add_column("flow_runs", _id("schedule_id"))
    op.add_column("flow_runs", sa.Column("scheduled_time", _TS))
    op.add_column("flow_runs", sa.Column("idempotency_key", sa.String(255)))
    for flag in ("is_backfill", "late"):
        op.add_column(
            "flow_runs",
            sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.create_index(
        "ix_flow_runs_idempotency_key", "flow_runs", ["idempotency_key"], unique=True
    )
    op.create_index(
        "ix_flow_runs_deployment_id_scheduled_time",
        "flow_runs",
        ["deployment_id", "scheduled_time"],
    )
    op.create_index(
        "ix_flow_runs_state_late_scheduled_time", "flow_runs", ["state", "late", "scheduled_time"]
    )


def downgrade() -> None:
    for index in (
        "ix_flow_runs_state_late_scheduled_time",
        "ix_flow_runs_deployment_id_scheduled_time",
        "ix_flow_runs_idempotency_key",
    ):
        op.drop_index(index, table_name="flow_runs")
    with op.batch_alter_table("flow_runs") as batch:
        for column in (
            "late", "is_backfill", "idempotency_key", "scheduled_time", "schedule_id",
            "deployment_id",
        ):
            batch.drop_column(column)
    op.drop_table("schedules")
    op.drop_table("deployments")
