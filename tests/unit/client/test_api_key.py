"""API clients send LEGATO_API_KEY as a bearer token, are not retried when refused, and
turn 401/403/429 problems into the auth errors; settings never show the key."""

from __future__ import annotations

import httpx
import orjson
import pytest

from legato._clock import FakeClock
from legato.client.deployments import DeploymentsClient
from legato.client.http import HttpBackend, create_http_backend
from legato.client.httpx_transport import HttpxTransport
from legato.core.ids import new_id
from legato.errors import ConfigError, PermissionDenied, TooManyAttempts, Unauthenticated
from legato.settings import Settings


class Recorder:
    def __init__(self, status: int = 401, **extra: object) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.extra = extra

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        slug = {401: "unauthenticated", 403: "forbidden", 429: "too-many-attempts"}[self.status]
        body = {"type": f"urn:legato:problem:{slug}", "title": slug, "status": self.status,
                "detail": "refused for a reason.", **self.extra}
        return httpx.Response(self.status, content=orjson.dumps(body),
                              headers={"content-type": "application/problem+json"})


@pytest.mark.parametrize(("status", "error"), [(401, Unauthenticated), (403, PermissionDenied)])
def test_backend_sends_the_key_and_does_not_retry_a_refusal(
    status: int, error: type[Exception]
) -> None:
    recorder = Recorder(status)
    backend = HttpBackend("http://api.test", api_key="lgt_secret", clock=FakeClock(),
                          transport=httpx.MockTransport(recorder))
    with pytest.raises(error, match="refused for a reason"):
        backend.read_flow_run(new_id())
    assert len(recorder.requests) == 1
    assert recorder.requests[0].headers["authorization"] == "Bearer lgt_secret"
    backend.close()


def test_too_many_attempts_carries_the_wait() -> None:
    recorder = Recorder(429, retry_after=42)
    backend = HttpBackend("http://api.test", transport=httpx.MockTransport(recorder))
    with pytest.raises(TooManyAttempts) as caught:
        backend.list_workers()
    assert caught.value.retry_after == 42
    assert "authorization" not in recorder.requests[0].headers
    backend.close()


def test_deployments_client_sends_the_key() -> None:
    recorder = Recorder(401)
    client = DeploymentsClient("http://api.test", api_key="lgt_k")
    client.session._transport = HttpxTransport(httpx.MockTransport(recorder), "http://api.test", 5)
    with pytest.raises(Unauthenticated):
        client.list_deployments()
    assert recorder.requests[0].headers["authorization"] == "Bearer lgt_k"
    client.close()


def test_settings_read_the_key_auth_and_secret_keys_without_showing_them() -> None:
    settings = Settings.from_env({
        "LEGATO_API_URL": "http://h:1", "LEGATO_API_KEY": " lgt_k ", "LEGATO_AUTH": "true",
        "LEGATO_SECRET_KEYS": "new, old", "LEGATO_SECRET_KEY": "ignored",
    })
    assert (settings.api_key, settings.auth, settings.secret_keys) == ("lgt_k", True,
                                                                       ("new", "old"))
    assert "lgt_k" not in repr(settings) and "old" not in repr(settings)
    assert Settings.from_env({"LEGATO_SECRET_KEY": "one"}).secret_keys == ("one",)
    with pytest.raises(ConfigError, match="LEGATO_AUTH='maybe' is not a boolean"):
        Settings.from_env({"LEGATO_AUTH": "maybe"})
    backend = create_http_backend(settings)
    assert backend.session._headers["Authorization"] == "Bearer lgt_k"
    backend.close()
