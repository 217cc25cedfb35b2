"""Hostile parameter values reach YAML steps as data: a value full of shell syntax is passed
to the command as one argv item and one environment value, never run (Promise 8)."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.e2e.cli import Legato

MANIFEST = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hostile-
spec:
  entrypoint: echo
  arguments:
    parameters:
      - name: message
        value: hello
  templates:
    - name: echo
      inputs:
        parameters:
          - name: message
      container:
        image: busybox
        command: [sh, -c, 'printf "arg=%s env=%s\\n" "$0" "$MESSAGE"']
        args: ["{{inputs.parameters.message}}"]
        env:
          - name: MESSAGE
            value: "{{inputs.parameters.message}}"
"""


def test_shell_syntax_in_a_parameter_is_echoed_not_executed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    manifest = tmp_path / "hostile.yaml"
    manifest.write_text(MANIFEST)
    # Outside the prefixes a step's paths are rewritten under (/tmp, /var/tmp, ...).
    marker = Path("/dev/shm") / f"legato-pwned-{uuid.uuid4().hex}"
    hostile = f"$(touch {marker}); touch {marker} && `touch {marker}` | touch {marker}"
    try:
        done = Legato(home)("run", str(manifest), "-p", f"message={hostile}")
        assert done.returncode == 0, done.stdout + done.stderr
        assert not marker.exists(), "a parameter value was executed by a shell"
        assert f"arg={hostile} env={hostile}" in done.stdout + done.stderr
    finally:
        marker.unlink(missing_ok=True)
