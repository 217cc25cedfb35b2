"""Schedule definitions without a parser: cron aliases, `@every` intervals, time zones and
interval checks, each failing with a message that names the expression and the fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato.core.deployments import DeploymentSpec, check_deployment, schedule_key
from legato.core.schedules import ScheduleKind, ScheduleSpec, parse_every
from legato.errors import DefinitionError


@pytest.mark.parametrize(
    ("alias", "expression"),
    [("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
     ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@HOURLY", "0 * * * *")],
)
def test_cron_aliases_expand_to_five_fields(alias: str, expression: str) -> None:
    spec = ScheduleSpec.cron(alias, "Europe/Berlin")
    assert (spec.kind, spec.expression, spec.timezone) == (ScheduleKind.CRON, expression,
                                                           "Europe/Berlin")


@pytest.mark.parametrize(("text", "seconds"),
                         [("@every 5m", 300), ("@every 90m", 5400), ("@every 2h", 7200),
                          ("@every 45s", 45), ("@every 1d", 86400)])
def test_every_alias_becomes_an_elapsed_time_interval(text: str, seconds: int) -> None:
    spec = ScheduleSpec.cron(text)
    assert spec.kind is ScheduleKind.INTERVAL
    assert spec.interval_seconds == seconds


@pytest.mark.parametrize("text", ["@every", "@every 0m", "@every 5 minutes", "@every -5m"])
def test_bad_every_alias_names_the_text_and_the_fix(text: str) -> None:
    with pytest.raises(DefinitionError, match=r"'@every 5m'|positive"):
        parse_every(text)


def test_unknown_time_zone_is_named() -> None:
    with pytest.raises(DefinitionError, match=r"'Mars/Olympus'.*IANA name"):
        ScheduleSpec.cron("0 * * * *", "Mars/Olympus")


@pytest.mark.parametrize("seconds", [0, -60, 1.5, True])
def test_interval_must_be_a_positive_whole_number(seconds: object) -> None:
    with pytest.raises(DefinitionError, match="greater than 0"):
        ScheduleSpec.interval(seconds)  # type: ignore[arg-type]


def test_interval_anchor_must_be_aware() -> None:
    with pytest.raises(DefinitionError, match="no time zone"):
        ScheduleSpec.interval(60, anchor=datetime(2026, 1, 1))


def test_default_interval_anchor_is_local_midnight_2020_in_the_zone() -> None:
    spec = ScheduleSpec.interval(3600, timezone="Europe/Berlin")
    assert spec.interval_anchor() == datetime(2019, 12, 31, 23, tzinfo=UTC)


def test_empty_expression_is_refused() -> None:
    with pytest.raises(DefinitionError, match="empty expression"):
        ScheduleSpec.rrule("   ")


def test_deployment_checks_name_counts_and_policy() -> None:
    good = DeploymentSpec(name="nightly", flow_name="etl", entrypoint="etl.py:etl")
    assert check_deployment(good) is good
    with pytest.raises(DefinitionError, match="empty name"):
        check_deployment(DeploymentSpec(name=" ", flow_name="etl", entrypoint="e.py:f"))
    with pytest.raises(DefinitionError, match="catchup_max_runs=0"):
        check_deployment(DeploymentSpec("d", "etl", "e.py:f", catchup_max_runs=0))
    with pytest.raises(DefinitionError, match=r"'sometimes'.*'latest' or 'all'"):
        check_deployment(DeploymentSpec("d", "etl", "e.py:f", catchup="sometimes"))  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="run_timeout_seconds"):
        check_deployment(DeploymentSpec("d", "etl", "e.py:f", run_timeout_seconds=0))


def test_schedule_key_names_the_schedule_and_the_slot() -> None:
    slot = datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert schedule_key("s1", slot) == "sched:s1:2026-03-08T07:00:00+00:00"
