"""Initial schema: flows, flow versions, flow runs, task runs, state events, edges, logs,
cache.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Types are spelled out here rather than imported from legato.store.tables so this
# revision keeps creating the same schema when tables.py moves on.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(name: str, *, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(36), nullable=nullable)


def _result_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("result_serializer", sa.String(16)),
        sa.Column("result_storage", sa.String(16)),
        sa.Column("result_data", sa.LargeBinary()),
        sa.Column("result_path", sa.Text()),
    ]


def upgrade() -> None:
    op.create_table(
        "flows",
        _id("id", nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
        sa.UniqueConstraint("name", name="uq_flows_name"),
    )
    op.create_table(
        "flow_versions",
        _id("id", nullable=False),
        _id("flow_id", nullable=False),
        sa.Column("source_hash", sa.String(128), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entrypoint", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flow_versions"),
        sa.ForeignKeyConstraint(["flow_id"], ["flows.id"], name="fk_flow_versions_flow_id_flows"),
        sa.UniqueConstraint("flow_id", "source_hash", name="uq_flow_versions_flow_id_source_hash"),
    )
    op.create_table(
        "flow_runs",
        _id("id", nullable=False),
        _id("flow_id", nullable=False),
        _id("flow_version_id"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("parameters", _JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_message", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.Column("start_time", _TS),
        sa.Column("end_time", _TS),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("entrypoint", sa.Text()),
        sa.Column("tags", _JSON, nullable=False),
        _id("parent_flow_run_id"),
        _id("parent_task_run_id"),
        *_result_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_flow_runs"),
        sa.ForeignKeyConstraint(["flow_id"], ["flows.id"], name="fk_flow_runs_flow_id_flows"),
        sa.ForeignKeyConstraint(
            ["flow_version_id"],
            ["flow_versions.id"],
            name="fk_flow_runs_flow_version_id_flow_versions",
        ),
    )
    op.create_index("ix_flow_runs_created_id", "flow_runs", ["created", "id"])
    op.create_index("ix_flow_runs_state_created", "flow_runs", ["state", "created"])
    op.create_index("ix_flow_runs_flow_id_created", "flow_runs", ["flow_id", "created"])
    op.create_index("ix_flow_runs_parent_flow_run_id", "flow_runs", ["parent_flow_run_id"])

    op.create_table(
        "task_runs",
        _id("id", nullable=False),
        _id("flow_run_id", nullable=False),
        sa.Column("task_key", sa.String(512), nullable=False),
        sa.Column("task_name", sa.String(255), nullable=False),
        sa.Column("map_index", sa.Integer()),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_message", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.Column("start_time", _TS),
        sa.Column("end_time", _TS),
        *_result_columns(),
        sa.Column("cache_key", sa.String(512)),
        _id("child_flow_run_id"),
        sa.PrimaryKeyConstraint("id", name="pk_task_runs"),
        sa.ForeignKeyConstraint(
            ["flow_run_id"], ["flow_runs.id"], name="fk_task_runs_flow_run_id_flow_runs"
        ),
        sa.UniqueConstraint("flow_run_id", "task_key", name="uq_task_runs_flow_run_id_task_key"),
    )
    op.create_table(
        "state_events",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        _id("run_id", nullable=False),
        sa.Column("run_kind", sa.String(8), nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("timestamp", _TS, nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_state_events"),
    )
    op.create_index("ix_state_events_run_id", "state_events", ["run_id"])
    op.create_table(
        "task_edges",
        _id("flow_run_id", nullable=False),
        _id("upstream_id", nullable=False),
        _id("downstream_id", nullable=False),
        sa.PrimaryKeyConstraint(
            "flow_run_id", "upstream_id", "downstream_id", name="pk_task_edges"
        ),
    )
    op.create_table(
        "logs",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        _id("flow_run_id", nullable=False),
        _id("task_run_id"),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("logger", sa.String(255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_logs"),
    )
    op.create_index("ix_logs_flow_run_id_id", "logs", ["flow_run_id", "id"])
    op.create_table(
        "cache",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("serializer", sa.String(16), nullable=False),
        sa.Column("storage", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary()),
        sa.Column("path", sa.Text()),
        sa.Column("created", _TS, nullable=False),
        sa.Column("expires", _TS),
        sa.PrimaryKeyConstraint("key", name="pk_cache"),
    )


def downgrade() -> None:
    for table in (
        "cache",
        "logs",
        "task_edges",
        "state_events",
        "task_runs",
        "flow_runs",
        "flow_versions",
        "flows",
    ):
        op.drop_table(table)
