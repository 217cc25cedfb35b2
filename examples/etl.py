"""Extract, transform in parallel with `.map()`, load: the usual shape of a data pipeline.

`legato run examples/etl.py:etl -p n=100` squares 0..n-1 in parallel and returns their sum.
"""

from __future__ import annotations

from legato import flow, get_run_logger, task, unmapped


@task
def extract(n: int) -> list[int]:
    return list(range(n))


@task(retries=2, retry_delay_seconds=0)
def transform(value: int, factor: int) -> int:
    return value * value * factor


@task
def load(values: list[int]) -> int:
    total = sum(values)
    get_run_logger().info("loaded %d rows, total %d", len(values), total)
    return total


@flow
def etl(n: int = 10, factor: int = 1) -> int:
    rows = extract(n)
    transformed = transform.map(rows, factor=unmapped(factor))
    return load([future.result() for future in transformed])


if __name__ == "__main__":
    print(etl(n=10))
