"""Result serialization (orjson when the value is JSON-native, else cloudpickle) and the
result store (fsspec; a local directory by default) for results too big to keep inline.
A result holding a registered secret is stored masked (serializer MASKED), never as is."""

from __future__ import annotations

import threading
from typing import Any

import orjson

from legato.core.records import ResultRef
from legato.engine import pickling
from legato.engine.masking import bytes_hold_secret, holds_secret, mask_json, masking_active
from legato.errors import ResultError

_SCALARS = (type(None), bool, int, float, str)
_MAX_DEPTH = 64
NONE_REF = ResultRef("json", "inline", b"null")
# A result that held a secret: `data` is the JSON value with secrets masked, or None when the
# value was pickled (a pickle cannot be masked, so nothing of it is kept).
MASKED = "masked"
HIDDEN = "result hidden: it contains a secret"


def hidden_error(where: str) -> ResultError:
    """The error for reading back a result that was stored masked."""
    return ResultError(
        f"result {where} was stored masked because it contains a secret, so its value cannot "
        "be read back; run the task again to compute it, or return the secret's name instead "
        "of its value."
    )


def is_masked(ref: ResultRef | None) -> bool:
    """Whether a stored result is the masked stand-in of a value that held a secret."""
    return ref is not None and ref.serializer == MASKED


def _is_json_native(value: Any, depth: int = 0) -> bool:
    """True when orjson round-trips the value to an equal value of the same types."""
    kind = type(value)
    if kind in _SCALARS:
        return not (kind is float and value != value)  # NaN would come back as null
    if depth > _MAX_DEPTH:
        return False
    if kind is list:
        return all(_is_json_native(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_json_native(v, depth + 1) for k, v in value.items())
    return False


def serialize(value: Any) -> tuple[str, bytes]:
    """Return (serializer name, bytes) for a value.

    >>> serialize({"a": [1, 2]})
    ('json', b'{"a":[1,2]}')
    """
    if _is_json_native(value):
        try:
            return "json", orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):  # e.g. an int beyond 64 bits
            pass
    try:
        return "pickle", pickling.cloudpickle().dumps(value)
    except Exception as exc:
        raise ResultError(
            f"result of type {type(value).__name__} cannot be serialized ({exc}); return a "
            "JSON-compatible or picklable value."
        ) from exc


def deserialize(serializer: str, data: bytes, where: str) -> Any:
    """Inverse of `serialize`; `where` names the result in error messages."""
    try:
        if serializer == "json":
            return orjson.loads(data)
        if serializer == "pickle":
            return pickling.cloudpickle().loads(data)
    except Exception as exc:
        raise ResultError(
            f"result {where} is corrupt ({type(exc).__name__}: {exc}); delete it and run the "
            "task again (retry a failed run, or start a new run) to rewrite it."
        ) from exc
    if serializer == MASKED:
        raise hidden_error(where)
    raise ResultError(
        f"result {where} uses unknown serializer {serializer!r}; it was written by a newer "
        "Legato — upgrade, or retry the run to rewrite it."
    )


class ResultStore:
    """Results too big to keep inline, stored under a base URL or directory with fsspec."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._fs: Any = None
        self._root = ""
        self._lock = threading.Lock()

    def _filesystem(self) -> tuple[Any, str]:
        with self._lock:
            if self._fs is None:
                from fsspec.core import url_to_fs  # deferred: fsspec import is not free

                self._fs, self._root = url_to_fs(self.base_url)
                if getattr(self._fs, "protocol", None) in ("file", ("file", "local")):
                    self._fs.makedirs(self._root, exist_ok=True)
            return self._fs, self._root

    def write(self, key: str, data: bytes) -> str:
        """Store bytes under a relative key; return the full path to keep in the reference."""
        fs, root = self._filesystem()
        path = f"{root}/{key}"
        parent = path.rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as fh:
            fh.write(data)
        return path

    def read(self, path: str) -> bytes:
        """Bytes stored at a path written by `write`."""
        fs, _ = self._filesystem()
        try:
            with fs.open(path, "rb") as fh:
                data: bytes = fh.read()
                return data
        except FileNotFoundError:
            raise ResultError(
                f"result file {path} is missing; restore it or retry the run so the task that "
                "produced it runs again."
            ) from None

    def exists(self, url: str) -> bool:
        """Whether a path or URL exists (used for Luigi-style `outputs=`)."""
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(url)
        return bool(fs.exists(path))


class ResultWriter:
    """Turns values into ResultRefs: inline below `inline_limit` bytes, else in the store."""

    def __init__(self, store: ResultStore, inline_limit: int) -> None:
        self.store = store
        self.inline_limit = inline_limit

    def write(self, value: Any, key: str) -> ResultRef:
        if value is None:
            return NONE_REF
        kind = type(value)
        # Fast path for the commonest results: machine-size ints, bools and short strings.
        if (kind is int and -(2**63) <= value < 2**63) or kind is bool or (
                kind is str and len(value) <= 1024):
            data = orjson.dumps(value)
            serializer = "json"
        else:
            serializer, data = serialize(value)
        if masking_active() and (holds_secret(value) if serializer == "json"
                                 else bytes_hold_secret(data)):
            if serializer != "json":
                return ResultRef(MASKED, "inline", None)
            serializer, data = MASKED, orjson.dumps(mask_json(value))
        if len(data) <= self.inline_limit:
            return ResultRef(serializer, "inline", data)
        path = self.store.write(f"{key}.{serializer}", data)
        return ResultRef(serializer, "store", None, path)

    def read(self, ref: ResultRef, where: str = "") -> Any:
        if ref.serializer == MASKED:
            raise hidden_error(where or ref.path or "(inline)")
        if ref.storage == "inline":
            return deserialize(ref.serializer, ref.data or b"", where or "(inline)")
        if ref.path is None:
            raise ResultError(f"result {where} has no path; retry the run to rewrite it.")
        return deserialize(ref.serializer, self.store.read(ref.path), where or ref.path)

    def read_masked(self, ref: ResultRef) -> Any:
        """The masked JSON value kept for a result that held a secret (to show people), or
        None when the value was a pickle and nothing of it was kept."""
        assert ref.serializer == MASKED
        if ref.storage == "inline":
            return None if ref.data is None else orjson.loads(ref.data)
        if ref.path is None:
            return None
        return orjson.loads(self.store.read(ref.path))
