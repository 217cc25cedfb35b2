"""Legato's benchmark suite: engine workloads timed against plain-Python and durable-SQLite
floors, each measurement in a fresh subprocess. Run it with `python -m benchmarks`."""
