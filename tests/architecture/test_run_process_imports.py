"""A cold run's process (`python -m legato.workers.execute`, launched by the subprocess
launcher against a server's API) loads only what it needs before its flow's first line: not
httpx (its client speaks through http.client), click, rich, pygments, asyncio for a
synchronous flow, cloudpickle before anything pickles, pydantic or the wire models, nor the
server's or the store's libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NOT_IN_A_RUN_PROCESS = (
    "httpx",
    "httpcore",
    "h11",
    "certifi",
    "click",
    "rich",
    "pygments",
    "asyncio",
    "cloudpickle",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "yaml",
    "dask",
    "pydantic",
    "pydantic_core",
    "legato.schemas",
)

# What the run's process does before the flow's first line, short of talking to a server:
# import the entry point, build the HTTP backend and result writer from the environment,
# decode the claimed run its launcher handed over, and load its pinned flow.
PROBE = """
import json, sys
from datetime import UTC, datetime

from legato.core.records import FlowRunRecord, FlowVersionRecord
from legato.core.states import StateType
from legato.sdk import runtime
from legato.workers import execute
from legato.workers.handover import decode_start, encode_start

now = datetime.now(UTC)
run = FlowRunRecord(id="r1", flow_name="ping", name="bold-wren", parameters={"n": 1},
                    state=StateType.RUNNING, state_message=None, created=now, updated=now,
                    start_time=now, end_time=None, run_count=1, flow_version_id="v1",
                    entrypoint="flows.py:ping")
version = FlowVersionRecord(id="v1", flow_name="ping", source_hash="h", created=now,
                            source="from legato import flow\\n@flow\\ndef ping(n: int) -> int:"
                                   "\\n    return n\\n", entrypoint="flows.py:ping")
run, version = decode_start(encode_start(run, version))
runtime.get_backend()
runtime.get_results()
flow = runtime.load_pinned_flow(run.entrypoint, version.source, version.source_hash)
flow.validate_parameters(dict(run.parameters))
print(json.dumps(sorted(sys.modules)))
"""


def modules_of_a_run_process(home: Path) -> set[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEGATO_")}
    # A plain-http API that nothing listens on: building the backend opens no connection.
    env.update(LEGATO_HOME=str(home), LEGATO_API_URL="http://127.0.0.1:9/api/v1")
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                               env=env, check=True)
    names: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return set(names)


def test_a_run_process_does_not_import_what_it_does_not_use(tmp_path: Path) -> None:
    loaded = modules_of_a_run_process(tmp_path)
    assert {"legato.workers.execute", "legato.client.http", "http.client"} <= loaded
    unwanted = {name for name in loaded
                if any(name == banned or name.startswith(f"{banned}.")
                       for banned in NOT_IN_A_RUN_PROCESS)}
    assert not unwanted, f"a run's process imported {sorted(unwanted)}"
