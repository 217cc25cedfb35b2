"""GET /schedules/describe: words and next slots, and bad expressions as 422 problems."""

from __future__ import annotations

from .conftest import Api


def test_describe_gives_words_and_five_next_runs(api: Api) -> None:
    response = api.get("/api/v1/schedules/describe",
                       params={"cron": "15 * * * *", "timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["text"] == "every hour at :15, Europe/Berlin"
    assert len(document["next_runs"]) == 5
    assert all(moment[14:16] == "15" for moment in document["next_runs"])
    interval = api.get("/api/v1/schedules/describe", params={"interval": 3600}).json()
    assert interval["text"] == "every hour, UTC"


def test_bad_schedules_are_problems_naming_the_field(api: Api) -> None:
    bad_cron = api.get("/api/v1/schedules/describe", params={"cron": "61 * * * *"})
    assert bad_cron.status_code == 422 and bad_cron.json()["errors"][0]["field"] == "cron"
    bad_zone = api.get("/api/v1/schedules/describe",
                       params={"cron": "@daily", "timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422
    neither = api.get("/api/v1/schedules/describe")
    assert neither.status_code == 422 and "exactly one" in neither.json()["detail"]
