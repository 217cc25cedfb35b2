"""Request and response bodies of the run actions the UI offers: retry (from a chosen task),
mark a task run, bulk cancel/retry/delete."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from legato.schemas.fields import Id, Key, Text
from legato.schemas.records import WireModel

MAX_BULK = 500


class RetryBody(WireModel):
    """Retry a finished flow run; with `from_task_key`, that task and everything downstream
    of it re-run (other committed results are reused), else only what failed."""

    from_task_key: Key | None = None


class MarkTaskRunBody(WireModel):
    """Force a task run to COMPLETED or FAILED; `message` is kept as the reason."""

    state: Literal["COMPLETED", "FAILED"]
    message: Text | None = None


class BulkBody(WireModel):
    """One action on many flow runs; each is tried on its own."""

    action: Literal["cancel", "retry", "delete"]
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)


class BulkItemResult(WireModel):
    """The outcome for one flow run: ok, or why not (the problem's detail)."""

    id: Id
    ok: bool
    detail: str | None = None


class BulkResultModel(WireModel):
    """Outcomes in the order of the request's ids."""

    results: list[BulkItemResult]
