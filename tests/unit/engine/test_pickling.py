"""A flow loaded from a file is pickled by value, as process-pool and Dask workers need,
although cloudpickle is loaded only when something first pickles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOAD_AND_PICKLE = """
import sys
from legato.engine import pickling
from legato.sdk.runtime import load_flow

flow = load_flow(sys.argv[1] + ":double")
assert "cloudpickle" not in sys.modules, "loading a flow imported cloudpickle"
with open(sys.argv[2], "wb") as out:
    out.write(pickling.cloudpickle().dumps(flow.fn))
"""

UNPICKLE_AND_CALL = """
import sys
import cloudpickle

with open(sys.argv[1], "rb") as pickled:
    fn = cloudpickle.loads(pickled.read())
print(fn(21))
"""


def test_a_flow_from_a_file_is_pickled_by_value_once_cloudpickle_is_first_used(
    tmp_path: Path
) -> None:
    source = tmp_path / "flows.py"
    source.write_text("from legato import flow\n\n\n@flow\ndef double(x: int) -> int:\n"
                      "    return 2 * x\n")
    pickled = tmp_path / "double.pickle"
    subprocess.run([sys.executable, "-c", LOAD_AND_PICKLE, str(source), str(pickled)],
                   check=True, cwd=tmp_path)
    # Elsewhere, where that file's module cannot be imported by any name.
    other = tmp_path / "elsewhere"
    other.mkdir()
    called = subprocess.run([sys.executable, "-c", UNPICKLE_AND_CALL, str(pickled)],
                            check=True, cwd=other, capture_output=True, text=True)
    assert called.stdout.strip() == "42"
