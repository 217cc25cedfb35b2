"""Views of the web UI: an index for the runs list filtered by deployment, and the
artifacts table (tables, markdown and links that runs record).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_index(
        "ix_flow_runs_deployment_id_created_id", "flow_runs", ["deployment_id", "created", "id"]
    )
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("flow_run_id", sa.String(36), nullable=False),
        sa.Column("task_run_id", sa.String(36)),
        sa.Column("key", sa.String(255)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
    )
    op.create_index("ix_artifacts_flow_run_id_created", "artifacts", ["flow_run_id", "created"])
    op.create_index("ix_artifacts_key_created", "artifacts", ["key", "created"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_key_created", table_name="artifacts")
    op.drop_index("ix_artifacts_flow_run_id_created", table_name="artifacts")
    op.drop_table("artifacts")
    op.drop_index("ix_flow_runs_deployment_id_created_id", table_name="flow_runs")
