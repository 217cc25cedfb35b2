"""Retry policy: attempt counting, delays per retry (the last repeats), caps, jitter, the
exponential_backoff helper and validation of decorator options."""

from __future__ import annotations

import random

import pytest

from legato.core.retry import RetryPolicy, build_retry_policy, exponential_backoff
from legato.errors import DefinitionError


def test_policy_allows_one_attempt_plus_the_retries() -> None:
    policy = RetryPolicy(retries=2)
    assert [policy.allows(n) for n in (1, 2, 3, 4)] == [True, True, True, False]
    assert RetryPolicy().allows(1)
    assert not RetryPolicy().allows(2)


def test_retry_waits_for_each_listed_delay_and_repeats_the_last() -> None:
    policy = RetryPolicy(retries=5, delays=(1, 5, 30))
    assert [policy.delay_before(a) for a in range(2, 8)] == [1.0, 5.0, 30.0, 30.0, 30.0, 30.0]


def test_delay_before_the_first_attempt_is_the_first_delay() -> None:
    # attempt numbers below 2 clamp to the first delay instead of indexing backwards
    assert RetryPolicy(retries=1, delays=(7, 9)).delay_before(1) == 7.0


def test_max_delay_caps_every_delay() -> None:
    policy = RetryPolicy(retries=3, delays=(1, 50, 500), max_delay=20)
    assert [policy.delay_before(a) for a in (2, 3, 4)] == [1.0, 20.0, 20.0]


def test_jitter_stays_within_bounds_and_is_reproducible_with_a_seed() -> None:
    policy = RetryPolicy(retries=1, delays=(10,), jitter_factor=0.5)
    rng = random.Random(1234)
    delays = [policy.delay_before(2, rng) for _ in range(500)]
    assert all(10.0 <= d <= 15.0 for d in delays)
    assert len(set(delays)) > 400  # jitter actually varies the delay
    again = random.Random(1234)
    assert [policy.delay_before(2, again) for _ in range(500)] == delays


def test_jitter_is_applied_before_the_cap() -> None:
    policy = RetryPolicy(retries=1, delays=(10,), jitter_factor=1.0, max_delay=12)
    rng = random.Random(7)
    delays = [policy.delay_before(2, rng) for _ in range(200)]
    assert max(delays) == 12.0
    assert min(delays) >= 10.0


def test_exponential_backoff_doubles_per_retry() -> None:
    assert exponential_backoff(3)(4) == [3.0, 6.0, 12.0, 24.0]


def test_exponential_backoff_caps_at_max_delay() -> None:
    assert exponential_backoff(10, max_delay=50)(5) == [10.0, 20.0, 40.0, 50.0, 50.0]


def test_exponential_backoff_rejects_negative_factor_or_cap() -> None:
    with pytest.raises(DefinitionError, match=">= 0"):
        exponential_backoff(-1)
    with pytest.raises(DefinitionError, match="max_delay"):
        exponential_backoff(1, max_delay=-5)


def test_build_retry_policy_from_callable_delays() -> None:
    policy = build_retry_policy("@task 'x'", 3, exponential_backoff(2))
    assert policy.retries == 3
    assert policy.delays == (2.0, 4.0, 8.0)


@pytest.mark.parametrize(("given", "delays"), [
    (None, (0.0,)),
    (5, (5.0,)),
    (2.5, (2.5,)),
    ([1, 5], (1.0, 5.0)),
    ((), (0.0,)),
])
def test_build_retry_policy_normalises_delays(given: object, delays: tuple[float, ...]) -> None:
    assert build_retry_policy("@task 'x'", 1, given).delays == delays  # type: ignore[arg-type]


def test_build_retry_policy_treats_none_retries_as_zero() -> None:
    assert build_retry_policy("@task 'x'", None, None).retries == 0


@pytest.mark.parametrize("retries", [-1, True, 1.5, "2"])
def test_build_retry_policy_rejects_bad_retries_naming_the_owner(retries: object) -> None:
    with pytest.raises(DefinitionError) as info:
        build_retry_policy("@task 'load'", retries, None)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("@task 'load' got retries=")
    assert "retries must be" in message


@pytest.mark.parametrize("delay", ["5", [1, -2], -1, {"a": 1}])
def test_build_retry_policy_rejects_bad_delays(delay: object) -> None:
    with pytest.raises(DefinitionError, match="@task 'load' got retry_delay_seconds="):
        build_retry_policy("@task 'load'", 1, delay)  # type: ignore[arg-type]


def test_build_retry_policy_rejects_negative_cap_and_jitter() -> None:
    with pytest.raises(DefinitionError, match="retry_max_delay"):
        build_retry_policy("@task 'load'", 1, 1, max_delay=-1)
    with pytest.raises(DefinitionError, match="retry_jitter_factor"):
        build_retry_policy("@task 'load'", 1, 1, jitter_factor=-0.1)
