"""Request body size limit, as plain ASGI middleware: a declared Content-Length over the limit
is refused before reading, and a streamed body is counted as it arrives."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legato.schemas.api import PROBLEM_CONTENT_TYPE, ProblemModel

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


def too_large_detail(limit: int) -> str:
    """The one-sentence reason for a 413."""
    return (
        f"the request body is larger than the server's limit of {limit} bytes; send smaller "
        "batches or raise LEGATO_SERVER_MAX_BODY_BYTES on the server."
    )


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 problem+json."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the app's body read: FastAPI passes HTTPException through
                    # to the problem handlers.
                    raise HTTPException(413, too_large_detail(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = ProblemModel(
            type="urn:legato:problem:payload-too-large",
            title="Payload too large",
            status=413,
            detail=too_large_detail(self.max_bytes),
            instance=scope.get("path"),
        ).model_dump_json(exclude_none=True)
        payload = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
