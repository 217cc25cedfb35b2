"""HttpBackend against a scripted transport: problem+json back into the error tree, which
failures are retried (and how often), idempotency keys on batches, paging, local refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from legato._clock import FakeClock
from legato.client.http import HttpBackend, create_http_backend
from legato.client.session import api_base_url
from legato.core.ids import new_id
from legato.core.records import LogRow, NewFlowRun, WriteBatch
from legato.core.states import StateType as S
from legato.errors import (
    BackendUnavailable,
    ConfigError,
    Conflict,
    LegatoError,
    NotFound,
    ParameterError,
    StateTransitionError,
)
from legato.settings import HTTP_BACKEND_FACTORY, LOCAL_BACKEND_FACTORY, Settings

T0 = datetime(2026, 3, 1, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def problem(status: int, slug: str, detail: str, **extra: Any) -> httpx.Response:
    body = {"type": f"urn:legato:problem:{slug}", "title": slug, "status": status}
    return httpx.Response(
        status,
        content=orjson.dumps({**body, "detail": detail, **extra}),
        headers={"content-type": "application/problem+json"},
    )


class Script:
    """A transport that answers with the given responses in order and records requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def backend_for(script: Script, clock: FakeClock | None = None, retries: int = 3) -> HttpBackend:
    return HttpBackend(
        "http://api.test",
        retries=retries,
        clock=clock or FakeClock(),
        transport=httpx.MockTransport(script),
    )


def run_json(run_id: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "flow_name": "etl",
        "name": "n",
        "parameters": {},
        "state": "PENDING",
        "state_message": None,
        "created": T0.isoformat(),
        "updated": T0.isoformat(),
        "start_time": None,
        "end_time": None,
        "run_count": 0,
    }


def test_api_url_gets_the_api_prefix_once() -> None:
    assert api_base_url("http://h:4200/") == "http://h:4200/api/v1"
    assert api_base_url("https://h/api/v1") == "https://h/api/v1"
    with pytest.raises(ConfigError, match="LEGATO_API_URL"):
        api_base_url("h:4200")


def test_settings_pick_the_http_factory_when_a_server_url_is_set() -> None:
    assert Settings.from_env({"LEGATO_API_URL": "http://h"}).backend_factory == HTTP_BACKEND_FACTORY
    assert Settings.from_env({}).backend_factory == LOCAL_BACKEND_FACTORY
    explicit = {"LEGATO_API_URL": "http://h", "LEGATO_BACKEND_FACTORY": "m:f"}
    assert Settings.from_env(explicit).backend_factory == "m:f"
    with pytest.raises(ConfigError, match="LEGATO_SERVER_PORT"):
        Settings.from_env({"LEGATO_SERVER_PORT": "70000"})


def test_create_http_backend_needs_an_api_url() -> None:
    with pytest.raises(ConfigError, match="LEGATO_API_URL"):
        create_http_backend(Settings.from_env({}))
    backend = create_http_backend(Settings.from_env({"LEGATO_API_URL": "http://h:1"}))
    assert repr(backend) == "HttpBackend('http://h:1/api/v1')"
    backend.close()


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (problem(404, "not-found", "flow run 'x' does not exist."), NotFound, "flow run 'x'"),
        (problem(409, "conflict", "flow run 'x' already exists."), Conflict, "already exists"),
        (problem(409, "state-transition", "run is COMPLETED."), StateTransitionError, "COMPLETED"),
        (problem(500, "internal-error", "the server failed."), LegatoError, "HTTP 500"),
        (httpx.Response(404, text="<html>nginx</html>"), NotFound, "HTTP 404"),
    ],
)
def test_problems_become_legato_errors(
    answer: httpx.Response, error: type[LegatoError], text: str
) -> None:
    backend = backend_for(Script(answer))
    with pytest.raises(error, match=text):
        backend.read_flow_run(new_id())


def test_invalid_request_keeps_the_field_errors() -> None:
    errors = [{"field": "body.state", "detail": "Input should be 'PENDING'"}]
    backend = backend_for(Script(problem(422, "invalid-request", "1 field is bad.", errors=errors)))
    with pytest.raises(ParameterError) as caught:
        backend.set_flow_run_state(new_id(), S.RUNNING)
    assert caught.value.errors == [("body.state", "Input should be 'PENDING'")]


def test_refused_batch_runs_are_kept_on_the_error() -> None:
    refusal = problem(409, "state-transition", "1 run refused.", refused={"t1": "bad"})
    backend = backend_for(Script(refusal))
    with pytest.raises(StateTransitionError) as caught:
        backend.write(WriteBatch(logs=[LogRow(new_id(), None, 20, "l", "m", T0)]))
    assert caught.value.refused == {"t1": "bad"}  # type: ignore[attr-defined]


def test_reads_are_retried_with_backoff_then_give_up_as_unavailable() -> None:
    clock = FakeClock()
    script = Script(
        httpx.ReadTimeout("slow"),
        problem(503, "backend-unavailable", "database is locked."),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
    )
    with pytest.raises(BackendUnavailable, match="cannot reach the Legato API"):
        backend_for(script, clock, retries=3).read_flow_run(new_id())
    assert len(script.requests) == 4
    assert clock.sleeps == [0.1, 0.2, 0.4]


def test_a_read_succeeds_after_a_transient_failure() -> None:
    run_id = new_id()
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json=run_json(run_id)))
    assert backend_for(script).read_flow_run(run_id).id == run_id


def test_a_state_change_whose_response_was_lost_is_not_sent_twice() -> None:
    script = Script(httpx.ReadTimeout("lost"), httpx.Response(200, json=run_json(new_id())))
    with pytest.raises(BackendUnavailable):
        backend_for(script).set_flow_run_state(new_id(), S.RUNNING)
    assert len(script.requests) == 1


def test_a_create_that_never_reached_the_server_is_retried() -> None:
    new = NewFlowRun(new_id(), "etl", "n", {}, S.PENDING, T0)
    answer = httpx.Response(201, json=run_json(new.id))
    script = Script(httpx.ConnectError("refused"), problem(503, "backend-unavailable", "x"), answer)
    assert backend_for(script).create_flow_run(new).id == new.id
    assert len(script.requests) == 3


def test_a_retried_batch_carries_the_same_idempotency_key() -> None:
    script = Script(httpx.ReadTimeout("lost"), httpx.Response(204))
    backend_for(script).write(WriteBatch(logs=[LogRow(new_id(), None, 20, "l", "m", T0)]))
    keys = [request.headers["Idempotency-Key"] for request in script.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_values_that_cannot_travel_are_refused_before_sending() -> None:
    script = Script()
    backend = backend_for(script)
    with pytest.raises(ParameterError, match="JSON"):
        backend.create_flow_run(NewFlowRun(new_id(), "etl", "n", {"x": object()}, S.PENDING, T0))
    naive = datetime(2026, 1, 1)  # naive on purpose
    with pytest.raises(ParameterError, match="created"):
        backend.create_flow_run(NewFlowRun(new_id(), "etl", "n", {}, S.PENDING, naive))
    assert script.requests == []


def test_ids_are_escaped_into_one_path_segment() -> None:
    script = Script(problem(422, "invalid-request", "bad id."))
    with pytest.raises(ParameterError):
        backend_for(script).read_flow_run("../health")
    assert script.requests[0].url.raw_path == b"/api/v1/flow-runs/..%2Fhealth"


def test_list_flow_runs_follows_pages_up_to_the_limit() -> None:
    ids = [new_id() for _ in range(3)]
    script = Script(
        httpx.Response(200, json={"items": [run_json(i) for i in ids[:2]], "next_offset": 2}),
        httpx.Response(200, json={"items": [run_json(ids[2])], "next_offset": None}),
    )
    runs = backend_for(script).list_flow_runs(states=[S.PENDING, S.RUNNING], limit=600)
    assert [r.id for r in runs] == ids
    first = script.requests[0].url.params
    assert first.get_list("state") == ["PENDING", "RUNNING"] and first["limit"] == "500"
    assert script.requests[1].url.params["offset"] == "2"


def test_a_body_the_client_cannot_read_is_a_version_mismatch() -> None:
    with pytest.raises(ConfigError, match="same Legato version"):
        backend_for(Script(httpx.Response(200, json={"id": 1}))).read_flow_run(new_id())


def test_closed_backend_refuses_calls_without_sending() -> None:
    script = Script()
    backend = backend_for(script)
    backend.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        backend.list_flow_runs()
    assert script.requests == []
