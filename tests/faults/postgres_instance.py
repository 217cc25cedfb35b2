"""A PostgreSQL server of the test's own (initdb into a temporary directory, on a free port of
127.0.0.1), so a fault test can stop and restart it without touching the machine's service."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg


def pg_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (Debian keeps them out of PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresInstance:
    """One throwaway cluster; `stop(immediate=True)` is a crash, `start()` recovers it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="legato-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        self.data = self.root / "data"
        subprocess.run(_as_postgres([pg_bin("initdb"), "-D", str(self.data), "-A", "trust",
                                     "-U", "postgres", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                                     "-l", str(self.root / "server.log"), "-w", "start"]),
                       check=True, capture_output=True, timeout=60)

    def stop(self, *, immediate: bool = False) -> None:
        mode = "immediate" if immediate else "fast"
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                                     "stop"]), check=False, capture_output=True, timeout=60)

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        self.stop(immediate=True)
        shutil.rmtree(self.root, ignore_errors=True)
