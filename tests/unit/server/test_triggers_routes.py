"""PUT/GET /deployments/{id}/triggers and GET /triggers: the whole list replaced (unchanged
triggers keep their id), every bad field reported, unknown deployments 404, deleting a
deployment removes its triggers."""

from __future__ import annotations

from legato.orchestration.local import LocalBackend

from .conftest import Api
from .test_deployments import create


def test_triggers_are_put_listed_and_kept_when_unchanged(api: Api, backend: LocalBackend) -> None:
    deployment = create(api)
    path = f"/api/v1/deployments/{deployment['id']}/triggers"
    first = api.request("PUT", path, json={"triggers": [
        {"deployment": "etl/nightly", "states": ["completed"]},
        {"event": "orders.*", "parameters": {"name": "{{ event.payload.who }}"}}]})
    assert first.status_code == 200, first.text
    items = first.json()["items"]
    assert [i["description"] for i in items] == [
        "when deployment etl/nightly is completed", "when event orders.* arrives"]
    again = api.request("PUT", path, json={"triggers": [
        {"deployment": "etl/nightly", "states": ["completed"]}]}).json()["items"]
    assert [i["id"] for i in again] == [items[0]["id"]]
    listed = api.get("/api/v1/triggers").json()["items"]
    assert [(i["flow_name"], i["deployment_name"]) for i in listed] == [("hello", "hourly")]
    assert api.get(path).json()["items"] == again
    assert api.request("DELETE", f"/api/v1/deployments/{deployment['id']}").status_code == 204
    assert api.get("/api/v1/triggers").json()["items"] == []


def test_bad_triggers_are_422_with_every_field_and_nothing_changes(api: Api) -> None:
    deployment = create(api)
    path = f"/api/v1/deployments/{deployment['id']}/triggers"
    response = api.request("PUT", path, json={"triggers": [
        {"event": "ok"}, {"flow": "etl", "states": ["done"]}, {"colour": "red"}]})
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["triggers.1.states", "triggers.2.colour"]
    assert api.get(path).json()["items"] == []


def test_unknown_deployment_is_404(api: Api) -> None:
    response = api.request("PUT", "/api/v1/deployments/nope/triggers", json={"triggers": []})
    assert response.status_code == 404
    assert api.get("/api/v1/deployments/nope/triggers").status_code == 404
