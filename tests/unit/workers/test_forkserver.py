"""The warm parent's preload: what every forked run process inherits ready-made."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import gc, json
from legato.sdk import runtime
from legato.workers import forkserver
forkserver.preload()
import logging
print(json.dumps({"backend": type(runtime._backend).__name__,
                  "results": runtime._results is not None,
                  "frozen": gc.get_freeze_count(),
                  "run_handlers": len(logging.getLogger("legato.runs").handlers)}))
"""


def preloaded(extra: dict[str, str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    done = subprocess.run([sys.executable, "-c", PROBE], env={**env, **extra},
                          capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_with_a_server_url_the_children_inherit_a_built_http_backend_and_a_frozen_heap(
) -> None:
    # Nothing listens there: building the backend must not connect.
    got = preloaded({"LEGATO_API_URL": "http://127.0.0.1:9/api/v1"})
    assert got["backend"] == "HttpBackend"
    assert got["results"] is True
    assert isinstance(got["frozen"], int) and got["frozen"] > 10_000
    assert got["run_handlers"] == 1  # run logging is set up once, before any fork


def test_without_a_server_url_no_database_backend_is_opened_in_the_parent(tmp_path: object) -> None:
    got = preloaded({"LEGATO_HOME": str(tmp_path)})
    assert got["backend"] == "NoneType"
