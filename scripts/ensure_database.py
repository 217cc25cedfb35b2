"""Create the PostgreSQL database named by a URL if it does not exist yet (used by `make test`).

Usage: python scripts/ensure_database.py postgresql+psycopg://postgres@127.0.0.1:5432/legato_test
Without a reachable server it warns and exits 0, except under CI, where the tests need it.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main(url: str) -> int:
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgresql"):
        return 0
    database = parts.path.lstrip("/")
    # Connect to the maintenance database: the target may not exist yet.
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                print(f"created PostgreSQL database {database!r}")
    except psycopg.OperationalError as exc:
        where = parts.hostname or "localhost"
        print(f"PostgreSQL at {where} is not reachable ({exc}).", file=sys.stderr)
        if os.environ.get("CI"):
            return 1
        print("PostgreSQL tests will be skipped; start the server to run them.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
