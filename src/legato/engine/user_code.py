"""The user-code boundary: calls into flow and task functions, with timeouts, and
tracebacks trimmed so people see their own frames, not the engine's."""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from legato.errors import TaskTimeoutError

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


def trim_traceback(exc: BaseException) -> BaseException:
    """Drop leading engine frames from an exception raised by user code."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_ENGINE_DIR):
        tb = tb.tb_next
    if tb is not None:
        exc.__traceback__ = tb
    return exc


def call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
         is_async: bool) -> Any:
    """Call a user function; coroutines run to completion on a fresh event loop."""
    if is_async:
        import asyncio  # only async user code needs it; a run's process starts without it

        return asyncio.run(fn(*args, **kwargs))
    return fn(*args, **kwargs)


async def bounded(awaitable: Awaitable[Any], timeout: float, what: str) -> Any:
    """Await a coroutine, cancelling it after `timeout` seconds with TaskTimeoutError."""
    import asyncio  # only async user code needs it; a run's process starts without it

    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise TaskTimeoutError(
            f"{what} exceeded its timeout of {timeout:g} s and was cancelled; "
            "raise timeout_seconds or make it faster."
        ) from None


def call_with_timeout(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                      is_async: bool, timeout: float, what: str,
                      wrap: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """Call a user function, giving up after `timeout` seconds with TaskTimeoutError.

    Coroutines are cancelled at the deadline. A synchronous function cannot be interrupted
    in Python: it keeps running on its own daemon thread and its result is discarded."""
    if is_async:
        import asyncio  # only async user code needs it; a run's process starts without it

        return asyncio.run(bounded(fn(*args, **kwargs), timeout, what))
    box: dict[str, Any] = {}
    done = threading.Event()

    def _target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(
        target=(lambda: wrap(_target)) if wrap else _target, name=f"legato-timeout:{what}",
        daemon=True,
    )
    thread.start()
    if not done.wait(timeout):
        raise TaskTimeoutError(
            f"{what} exceeded its timeout of {timeout:g} s; Legato stopped waiting (its thread "
            "cannot be interrupted and finishes in the background); raise timeout_seconds."
        )
    if "error" in box:
        raise box["error"]
    return box.get("value")
