"""Fixtures for server tests: the API app over a LocalBackend on a temp SQLite file, called
in-process through httpx's ASGI transport (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from legato.orchestration.local import LocalBackend, create_local_backend
from legato.server.app import create_app
from legato.settings import Settings

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
