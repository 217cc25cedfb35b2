"""The task functions every workload calls, the workloads as plain Python (floor 1), and the
same loops with the minimum durable SQL per task on SQLite (floor 2, the "durable floor")."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

W2_HOPS = 200
W3_LAYERS = 10
W3_WIDTH = 50


def noop(i: int) -> int:
    return i


def total(values: list[int]) -> int:
    return sum(values)


def inc(x: int) -> int:
    return x + 1


def add(a: int, b: int) -> int:
    return a + b


# Floor 1: plain Python calling the same functions.


def plain_w1(n: int) -> int:
    return total([noop(i) for i in range(n)])


def plain_w2(hops: int = W2_HOPS) -> int:
    x = 0
    for _ in range(hops):
        x = inc(x)
    return x


def plain_w3(layers: int = W3_LAYERS, width: int = W3_WIDTH) -> int:
    prev = [add(j, 1) for j in range(width)]
    for _ in range(layers - 1):
        prev = [add(prev[j], prev[(j + 1) % width]) for j in range(width)]
    return sum(prev)


# Floor 2: the same loops plus, per task, one INSERT and two UPDATEs, each committed alone.


class DurableFloor:
    """A task_runs table on SQLite (WAL, synchronous=NORMAL) written like a naive engine."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS task_runs"
            " (id TEXT PRIMARY KEY, state TEXT NOT NULL, result TEXT, ts REAL NOT NULL)"
        )
        self.db.commit()
        self.count = 0

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        run_id = f"task-{self.count:09d}"
        db = self.db
        db.execute(
            "INSERT INTO task_runs (id, state, ts) VALUES (?, 'PENDING', ?)", (run_id, time.time())
        )
        db.commit()
        db.execute(
            "UPDATE task_runs SET state = 'RUNNING', ts = ? WHERE id = ?", (time.time(), run_id)
        )
        db.commit()
        result = fn(*args)
        db.execute(
            "UPDATE task_runs SET state = 'COMPLETED', result = ?, ts = ? WHERE id = ?",
            (json.dumps(result), time.time(), run_id),
        )
        db.commit()
        return result

    def w1(self, n: int) -> int:
        call = self.call
        return call(total, [call(noop, i) for i in range(n)])

    def w2(self, hops: int = W2_HOPS) -> int:
        x = 0
        for _ in range(hops):
            x = self.call(inc, x)
        return x

    def w3(self, layers: int = W3_LAYERS, width: int = W3_WIDTH) -> int:
        call = self.call
        prev = [call(add, j, 1) for j in range(width)]
        for _ in range(layers - 1):
            prev = [call(add, prev[j], prev[(j + 1) % width]) for j in range(width)]
        return sum(prev)

    def close(self) -> None:
        self.db.close()
