"""Hostile requests against a live API server on 127.0.0.1: schemathesis generates requests
for every operation of the published OpenAPI document (valid and invalid); none may get a
5xx or an answer outside its documented schema. Then hand-made attacks: path traversal,
oversized bodies, a 100,000-wide fan-out parameter, markup in names (Promise 7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from legato.orchestration.local import create_local_backend
from legato.settings import Settings
from tests.integration.live_server import ServerThread


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    home = tmp_path_factory.mktemp("hostile")
    backend = create_local_backend(Settings.from_env({"LEGATO_HOME": str(home)}))
    server = ServerThread(backend)
    server.start()
    yield server
    server.stop()
    backend.close()


# Every check on a single response, except positive_data_acceptance: some operations refuse
# schema-valid combinations with a 422 that names the fix (task-durations needs one filter).
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@pytest.fixture(scope="module")
def api_schema(live: ServerThread) -> Any:
    return schemathesis.openapi.from_url(f"{live.url}/openapi.json")


def test_no_operation_answers_5xx_or_off_schema(api_schema: Any) -> None:
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(timeout=30)
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                response.status_code, response.text[:300])
            case.validate_response(response, checks=CHECKS)

        check()
        checked.append(operation.label)
    assert len(checked) >= 30, checked


def test_path_traversal_in_ids_is_refused_without_touching_files(
    live: ServerThread, tmp_path: Path
) -> None:
    for path in ("/flow-runs/..%2F..%2Fetc%2Fpasswd/logs", "/flow-runs/../../etc/passwd",
                 "/flow-versions/%2e%2e%2f%2e%2e%2fsecret", "/runs/..%2f..%2f/state-events",
                 "/flow-runs/..%5c..%5cwindows/task-runs"):
        response = httpx.get(f"{live.url}{path}", timeout=10)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert "root:" not in response.text


def test_an_oversized_body_is_a_413_problem(live: ServerThread) -> None:
    body = b'{"name": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = httpx.post(f"{live.url}/events", content=body, timeout=30,
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_100000_wide_fan_out_parameter_is_refused_or_stored_whole(live: ServerThread) -> None:
    wide = {"flow_name": "fan", "name": "wide", "entrypoint": "fan.py:fan",
            "parameters": {"items": list(range(100_000))}}
    response = httpx.post(f"{live.url}/deployments", json=wide, timeout=30)
    assert response.status_code in (201, 413, 422), response.text[:300]
    if response.status_code == 201:
        stored = httpx.get(f"{live.url}/deployments/{response.json()['id']}", timeout=30).json()
        assert stored["parameters"]["items"] == list(range(100_000))
    else:
        assert response.headers["content-type"] == "application/problem+json"
        names = httpx.get(f"{live.url}/deployments", timeout=10).json()["items"]
        assert "wide" not in [d["name"] for d in names]


def test_markup_in_names_is_stored_as_text_and_returned_as_json(live: ServerThread) -> None:
    hostile = "<script>alert(1)</script>"
    created = httpx.post(f"{live.url}/deployments", timeout=10, json={
        "flow_name": hostile, "name": "xss", "entrypoint": "x.py:x",
        "description": hostile})
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/json")
    assert created.json()["flow_name"] == hostile


TRAVERSALS = ("..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "..%5c..%5cwindows%5cwin.ini", "....%2F%2F....%2F%2Fetc%2Fpasswd",
              "%252e%252e%252fetc%252fpasswd", "..%00.log")


def test_path_traversal_in_every_path_parameter_of_every_read_is_refused(
    live: ServerThread,
) -> None:
    """Every GET with a path parameter (logs, log download, artifacts, inputs, task runs,
    graphs, versions, diffs, ...) refuses ids that climb out, and never serves a file."""
    document = httpx.get(f"{live.url}/openapi.json", timeout=10).json()
    prefix = "/api/v1"
    checked = []
    for template, operations in document["paths"].items():
        if "get" not in operations or "{" not in template:
            continue
        for payload in TRAVERSALS:
            path = template.removeprefix(prefix)
            for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
                path = path.replace(f"{{{name}}}", payload)
            response = httpx.get(f"{live.url}{path}", timeout=10)
            assert response.status_code in (404, 422), (template, payload, response.status_code)
            assert response.headers["content-type"] == "application/problem+json", template
            assert "root:" not in response.text and "[fonts]" not in response.text
        checked.append(template)
    for must in ("/flow-runs/{flow_run_id}/logs", "/flow-runs/{flow_run_id}/logs/download",
                 "/flow-runs/{flow_run_id}/artifacts", "/flow-runs/{flow_run_id}",
                 "/task-runs/{task_run_id}", "/flow-runs/{flow_run_id}/inputs/{key}"):
        assert f"{prefix}{must}" in checked, must
    by_key = httpx.get(f"{live.url}/artifacts", params={"key": "../../etc/passwd"}, timeout=10)
    assert by_key.status_code == 200 and by_key.json() == {"items": []}
