"""Alembic environment for Legato's single migration chain (SQLite and PostgreSQL).

Only `legato.store.migrate` runs it: it passes an open connection, already inside the
transaction (and lock) that the whole upgrade runs in."""

from __future__ import annotations

from alembic import context

from legato.errors import ConfigError
from legato.store.tables import metadata

_connection = context.config.attributes.get("connection")
if _connection is None:
    raise ConfigError(
        "Legato migrations need an open connection; run them with "
        "legato.store.migrate.upgrade(url) or `legato db upgrade`, not the alembic CLI."
    )

context.configure(
    connection=_connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=_connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
