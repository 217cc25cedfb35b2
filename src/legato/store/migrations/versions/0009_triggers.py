"""Deployment triggers: run a deployment when a flow run reaches a state, an event arrives or
assets are updated.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "triggers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("deployment_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", _JSON, nullable=False),
        sa.Column("last_fired", _TS),
        sa.Column("fired_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triggers"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name="fk_triggers_deployment_id_deployments"),
    )
    op.create_index("ix_triggers_deployment_id_position", "triggers",
                    ["deployment_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_triggers_deployment_id_position", table_name="triggers")
    op.drop_table("triggers")
