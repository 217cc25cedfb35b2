"""Serves the built web UI (ui/ compiled by Vite into legato/server/static) at /: files as they
are, hashed assets cached for a year, any other path outside /api answered with index.html so
client-side routes can be shared and reloaded."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from legato.schemas.api import API_PREFIX

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Vite names everything under assets/ by its content hash, so a file there never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_API_ROOT = "/" + API_PREFIX.strip("/").split("/")[0]

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Legato</title>
</head><body><h1>The Legato web UI is not built</h1><p>This installation has the API at
<a href="{api}/docs">{api}/docs</a> but no UI assets. In a source checkout run
<code>make ui</code> (Node.js 20 and npm), then reload.</p></body></html>"""


def _file_under(root: Path, relative: str) -> Path | None:
    """The regular file `relative` inside `root`, or None (also for paths that escape it)."""
    if not relative or "\x00" in relative:
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def ui_response(root: Path, path: str) -> Response | None:
    """What GET `path` (without the leading slash) answers from the UI; None means 404."""
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT.format(api=API_PREFIX), status_code=503,
                            headers={"Cache-Control": REVALIDATE})
    first = path.split("/", 1)[0]
    found = _file_under(root, path)
    if found is not None and found != index:
        cache = IMMUTABLE if first == "assets" else REVALIDATE
        return FileResponse(found, headers={"Cache-Control": cache})
    if first == "assets" or "." in path.rsplit("/", 1)[-1]:
        # A missing file is a 404, not the app: a stale asset link must not get HTML.
        return None
    return FileResponse(index, headers={"Cache-Control": REVALIDATE})


def install_ui(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Answer requests no route matched with the UI. Being the router's fallback rather than a
    catch-all route, it can never shadow an API route, whenever that route is added."""
    root = static_dir.resolve()
    not_found: ASGIApp = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        is_api = path == _API_ROOT or path.startswith(_API_ROOT + "/")
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or is_api:
            await not_found(scope, receive, send)
            return
        response = ui_response(root, path.lstrip("/"))
        if response is None:
            raise HTTPException(status_code=404)
        await response(scope, receive, send)

    app.router.default = fallback
