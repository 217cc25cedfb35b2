"""retryStrategy as the engine's retry policy: limit, backoff delays with factor and cap,
retryPolicy by failure kind, and the retry expression over lastRetry.*."""

from __future__ import annotations

import pytest

from legato.core.states import StateType
from legato.engine.states import State
from legato.errors import ManifestError
from legato.manifests.argo.model import Backoff, RetryStrategy
from legato.workflows.leaf import StepErrored, StepFailed, retry_policy


def _failed(exc: BaseException) -> State:
    return State(StateType.FAILED, exception=exc)


def test_limit_and_backoff_become_the_policy() -> None:
    strategy = RetryStrategy(limit="{{inputs.parameters.n}}",
                             backoff=Backoff(duration="2s", factor="3", cap="10s"))
    policy, _ = retry_policy(strategy, {"inputs.parameters.n": "4"}, "step")
    assert policy.retries == 4
    assert policy.delays == (2.0, 6.0, 10.0, 10.0)


@pytest.mark.parametrize(("policy_name", "failed", "errored"), [
    ("OnFailure", True, False), ("OnError", False, True), ("Always", True, True),
])
def test_retry_policy_picks_failures_or_errors(policy_name: str, failed: bool,
                                               errored: bool) -> None:
    _, condition = retry_policy(RetryStrategy(limit=1, retry_policy=policy_name), {}, "step")
    assert condition is not None
    assert condition(None, None, _failed(StepFailed("exit 1", 1, {}))) is failed
    assert condition(None, None, _failed(StepErrored("no image"))) is errored


def test_retry_expression_reads_last_retry() -> None:
    strategy = RetryStrategy(limit=3, retry_policy="Always",
                             expression="asInt(lastRetry.exitCode) == 2")
    _, condition = retry_policy(strategy, {}, "step")
    assert condition is not None
    assert condition(None, None, _failed(StepFailed("exit 2", 2, {}))) is True
    assert condition(None, None, _failed(StepFailed("exit 1", 1, {}))) is False


def test_bad_limit_and_policy_are_manifest_errors() -> None:
    with pytest.raises(ManifestError, match="not a whole number"):
        retry_policy(RetryStrategy(limit="many"), {}, "step")
    with pytest.raises(ManifestError, match="retryPolicy 'Sometimes' is unknown"):
        retry_policy(RetryStrategy(limit=1, retry_policy="Sometimes"), {}, "step")
