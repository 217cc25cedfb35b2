"""The smallest flow: one task, one parameter, one log line.

Run it with `legato run examples/hello.py:hello -p name=you` or `python examples/hello.py`.
"""

from __future__ import annotations

from legato import flow, get_run_logger, task


@task
def greet(name: str) -> str:
    return f"Hello, {name}!"


@flow
def hello(name: str = "world") -> str:
    greeting = greet(name)
    get_run_logger().info("greeting: %s", greeting)
    return greeting


if __name__ == "__main__":
    print(hello())
