"""An httpx transport (such as `httpx.MockTransport`, which tests script) behind the session's
`Transport` protocol. Only imported when one is handed to `ApiSession`."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from legato.client.transport import ApiResponse, TransportError

# Transport errors raised before the request reached the server: safe to send again.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpxTransport:
    """Sends through an httpx transport to the origin of `base_url`."""

    def __init__(self, inner: httpx.BaseTransport, base_url: str, timeout: float) -> None:
        url = httpx.URL(base_url)
        self.inner = inner
        self.origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.timeout = httpx.Timeout(timeout)

    def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> ApiResponse:
        request = httpx.Request(
            method, self.origin + target, headers=headers, content=body,
            extensions={"timeout": self.timeout.as_dict()},
        )
        try:
            response = self.inner.handle_request(request)
            try:
                content = response.read()
            finally:
                response.close()
        except httpx.TransportError as error:
            raise TransportError(
                type(error).__name__, str(error), sent=not isinstance(error, NOT_SENT)
            ) from error
        return ApiResponse(method, request.url.path, response.status_code,
                           dict(response.headers.items()), content)

    def close(self) -> None:
        self.inner.close()
