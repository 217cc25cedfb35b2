"""Deployments keep their flow's parameter JSON schema, so the server can check the
parameters of runs made from them and the UI can build a run form.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Spelled out rather than imported from legato.store.tables, as in 0001.
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("deployments", sa.Column("parameter_schema", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("parameter_schema")
