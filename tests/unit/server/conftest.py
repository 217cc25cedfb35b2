"""Fixtures for server tests: the API app over a LocalBackend on a temp SQLite file, called
in-process through httpx's ASGI transport (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from legato._clock import FakeClock
from legato.orchestration.local import LocalBackend, create_local_backend
from legato.server.app import create_app
from legato.settings import Settings
from legato.store.database import Database
from tests.unit.store.databases import (
    any_db,
    empty_sqlite_url,
    postgres_admin_url,
    postgres_session_url,
    postgres_url,
    sqlite_url,
)

__all__ = [
    "any_db",
    "empty_sqlite_url",
    "postgres_admin_url",
    "postgres_session_url",
    "postgres_url",
    "sqlite_url",
]

MAX_BODY = 64 * 1024


class Api:
    """Synchronous calls into an ASGI app; each call runs in its own event loop."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(call())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    """A request body streamed without Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    local = create_local_backend(Settings.from_env({"LEGATO_HOME": str(tmp_path)}))
    yield local
    local.close()


@pytest.fixture
def api(backend: LocalBackend) -> Api:
    return Api(create_app(backend, max_body_bytes=MAX_BODY))


VIEWS_T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Views:
    """An app over a LocalBackend with a fake clock, for the UI's read views."""

    api: Api
    backend: LocalBackend
    clock: FakeClock

    def get_json(self, path: str, **params: Any) -> Any:
        response = self.api.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def views(any_db: Database) -> Views:
    """The API on SQLite and on PostgreSQL (each test runs on both)."""
    clock = FakeClock(VIEWS_T0)
    backend = LocalBackend(any_db, clock=clock)
    return Views(Api(create_app(backend, db=any_db, clock=clock)), backend, clock)
