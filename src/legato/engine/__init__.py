"""Runs a flow in-process: task runs, futures, task runners, results, logs, and the
write-behind recorder. Talks to durable state only through the Backend protocol."""
