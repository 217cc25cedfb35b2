"""Retry policy: how many attempts a task gets and how long to wait between them."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from legato.errors import DefinitionError


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` extra attempts; delays per retry (the last one repeats); optional cap and
    jitter. `delays[i]` is the wait before attempt i+2."""

    retries: int = 0
    delays: tuple[float, ...] = (0.0,)
    max_delay: float | None = None
    jitter_factor: float | None = None

    def delay_before(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before `attempt` (2 = the first retry).

        >>> RetryPolicy(retries=3, delays=(1, 2)).delay_before(4)
        2.0
        """
        index = min(max(attempt - 2, 0), len(self.delays) - 1)
        delay = float(self.delays[index])
        if self.jitter_factor:
            draw = rng.uniform if rng is not None else random.uniform
            delay = delay * (1 + draw(0, self.jitter_factor))
        if self.max_delay is not None:
            delay = min(delay, self.max_delay)
        return max(delay, 0.0)

    def allows(self, attempt: int) -> bool:
        """Whether an attempt with this number (1-based) may run."""
        return attempt <= self.retries + 1


def build_retry_policy(
    owner: str,
    retries: int | None,
    retry_delay_seconds: float | Sequence[float] | Callable[[int], Sequence[float]] | None,
    *,
    max_delay: float | None = None,
    jitter_factor: float | None = None,
) -> RetryPolicy:
    """Validate decorator options into a RetryPolicy; `owner` names the flow or task."""
    retries = 0 if retries is None else retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise DefinitionError(f"{owner} got retries={retries!r}; retries must be an integer >= 0.")
    if callable(retry_delay_seconds):
        retry_delay_seconds = list(retry_delay_seconds(retries))
    if retry_delay_seconds is None:
        delays: tuple[float, ...] = (0.0,)
    elif isinstance(retry_delay_seconds, (int, float)) and not isinstance(retry_delay_seconds, bool):
        delays = (float(retry_delay_seconds),)
    elif isinstance(retry_delay_seconds, Sequence) and not isinstance(retry_delay_seconds, str):
        delays = tuple(float(d) for d in retry_delay_seconds) or (0.0,)
    else:
        raise DefinitionError(
            f"{owner} got retry_delay_seconds={retry_delay_seconds!r}; "
            "give a number of seconds or a list of them."
        )
    if any(d < 0 for d in delays):
        raise DefinitionError(
            f"{owner} got retry_delay_seconds={retry_delay_seconds!r}; delays must be >= 0."
        )
    if max_delay is not None and max_delay < 0:
        raise DefinitionError(f"{owner} got retry_max_delay={max_delay!r}; it must be >= 0.")
    if jitter_factor is not None and jitter_factor < 0:
        raise DefinitionError(
            f"{owner} got retry_jitter_factor={jitter_factor!r}; it must be >= 0."
        )
    return RetryPolicy(retries, delays, max_delay, jitter_factor)


def exponential_backoff(
    backoff_factor: float, *, max_delay: float | None = None
) -> Callable[[int], list[float]]:
    """For `retry_delay_seconds=`: delays `factor * 2**i` for each retry, capped at
    `max_delay` seconds when given. Add jitter with the task's `retry_jitter_factor`.

    >>> exponential_backoff(10, max_delay=50)(4)
    [10.0, 20.0, 40.0, 50.0]
    """
    if backoff_factor < 0:
        raise DefinitionError(f"exponential_backoff got {backoff_factor}; it must be >= 0.")
    if max_delay is not None and max_delay < 0:
        raise DefinitionError(f"exponential_backoff got max_delay={max_delay}; it must be >= 0.")

    def delays(retries: int) -> list[float]:
        values = [float(backoff_factor * 2**i) for i in range(max(retries, 1))]
        return values if max_delay is None else [min(v, max_delay) for v in values]

    return delays
