"""Command line: `python -m benchmarks [--quick] [--only W1,...]` with W1, W2, W3, IMPORT,
DISPATCH, THROUGHPUT, TICK, VALIDATE, API and YAML."""

from __future__ import annotations

import argparse
import sys

from benchmarks import api_latency
from benchmarks.runner import run

CHOICES = {"W1", "W2", "W3", "IMPORT", "DISPATCH", "THROUGHPUT", "TICK", "VALIDATE", "API",
           "YAML"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="W1 only at N=1,000; fewer dispatch samples and runs")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated subset of W1, W2, W3, IMPORT, DISPATCH, THROUGHPUT, TICK, "
        "VALIDATE, YAML (default: all but API, which runs only when named)",
    )
    args = parser.parse_args()
    only = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    if only - CHOICES:
        parser.error(
            f"unknown benchmark(s) {sorted(only - CHOICES)}; choose from {sorted(CHOICES)}"
        )
    status = 0
    if "API" in only:
        only = only - {"API"}
        status = api_latency.run(args.quick)
        if not only:
            return status
    return max(status, run(only, args.quick))


if __name__ == "__main__":
    sys.exit(main())
