"""The State objects people get back from `return_state=True`, futures and flow calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from legato.core.states import SUCCESS_STATES, TERMINAL_STATES, StateType
from legato.errors import LegatoError

_UNSET: Any = object()


class State:
    """A run's state with, when final, its result or its exception.

    >>> State(StateType.COMPLETED, data=3).result()
    3
    """

    __slots__ = ("_data", "_exception", "_loader", "flow_run_id", "message", "task_run_id",
                 "timestamp", "type")

    def __init__(
        self,
        type: StateType,
        *,
        message: str | None = None,
        data: Any = _UNSET,
        exception: BaseException | None = None,
        loader: Callable[[], Any] | None = None,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        self.type = type
        self.message = message
        self._data = data
        self._exception = exception
        self._loader = loader
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.timestamp = timestamp

    @property
    def name(self) -> str:
        return self.type.value.replace("_", " ").title().replace(" ", "")

    def is_completed(self) -> bool:
        return self.type in SUCCESS_STATES

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_skipped(self) -> bool:
        return self.type is StateType.SKIPPED

    def is_final(self) -> bool:
        return self.type in TERMINAL_STATES

    def result(self, raise_on_failure: bool = True) -> Any:
        """The run's return value; for a failed run, raise its exception (or return it
        when `raise_on_failure=False`)."""
        if self.type in SUCCESS_STATES:
            if self._data is _UNSET and self._loader is not None:
                self._data = self._loader()
                self._loader = None
            return None if self._data is _UNSET else self._data
        exc = self._exception or _state_error(self)
        if raise_on_failure:
            raise exc
        return exc

    def __repr__(self) -> str:
        msg = f", message={self.message!r}" if self.message else ""
        return f"{self.name}({self.type.value}{msg})"


def _state_error(state: State) -> LegatoError:
    if not state.is_final():
        return LegatoError(
            f"the run is {state.type.value} and has no result yet; wait for it to finish."
        )
    return LegatoError(f"the run ended {state.type.value}: {state.message or 'no reason given'}")
