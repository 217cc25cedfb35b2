"""A task run's creation and start events can be stored in the row of its next transition
(state_events.pending_at and running_at), so a task that runs straight through costs one
audit row instead of three. Existing rows keep both columns NULL and read as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("state_events", sa.Column("pending_at", _TS, nullable=True))
    op.add_column("state_events", sa.Column("running_at", _TS, nullable=True))


def downgrade() -> None:
    # Unfold: the folded row becomes the PENDING event and the RUNNING event and the row's
    # own transition are appended after it, so each run still reads in order by id.
    folded = "FROM state_events WHERE running_at IS NOT NULL ORDER BY id"
    columns = "run_id, run_kind, from_state, to_state, timestamp, message, forced"
    op.execute(f"INSERT INTO state_events ({columns}) "
               f"SELECT run_id, run_kind, 'PENDING', 'RUNNING', running_at, NULL, false {folded}")
    op.execute(f"INSERT INTO state_events ({columns}) SELECT {columns} {folded}")
    op.execute("UPDATE state_events SET from_state = NULL, to_state = 'PENDING', "
               "timestamp = pending_at, message = NULL, forced = false "
               "WHERE running_at IS NOT NULL")
    with op.batch_alter_table("state_events") as batch:
        batch.drop_column("running_at")
        batch.drop_column("pending_at")
