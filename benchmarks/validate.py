"""`legato validate` on a generated Argo manifest of 1,000 templates: a DAG entrypoint whose 999
tasks each call their own script or container template with a parameter, each task depending
on the one or two before it. Wall time of the whole command (interpreter start included), median
of 5. Run `python -m benchmarks.validate [--templates N]`; target <= 1 s for 1,000."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
TEMPLATES = 1_000
TARGET_S = 1.0
REPEAT = 5


def generate(templates: int) -> str:
    """A valid Workflow with `templates` templates (one DAG plus templates - 1 workers)."""
    lines = [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: Workflow",
        "metadata:",
        "  generateName: bench-validate-",
        "spec:",
        "  entrypoint: main",
        "  arguments:",
        "    parameters:",
        "      - name: greeting",
        "        value: hello",
        "  templates:",
        "    - name: main",
        "      dag:",
        "        tasks:",
    ]
    for i in range(1, templates):
        lines += [
            f"          - name: t{i}",
            f"            template: w{i}",
            "            arguments:",
            "              parameters:",
            "                - name: message",
            '                  value: "{{workflow.parameters.greeting}} ' + str(i) + '"',
        ]
        if i > 2:
            lines.append(f'            depends: "t{i - 1} && (t{i - 2}.Succeeded || '
                         f't{i - 2}.Skipped)"')
        elif i == 2:
            lines.append("            dependencies: [t1]")
    for i in range(1, templates):
        lines += [
            f"    - name: w{i}",
            "      inputs:",
            "        parameters:",
            "          - name: message",
            "      retryStrategy: {limit: 2}",
        ]
        if i % 2:
            lines += [
                "      script:",
                "        image: python:3.12",
                "        command: [python]",
                "        source: |",
                '          print("{{inputs.parameters.message}}")',
            ]
        else:
            lines += [
                "      container:",
                "        image: busybox",
                '        command: [echo, "{{inputs.parameters.message}}"]',
            ]
    return "\n".join(lines) + "\n"


def measure_validate(templates: int = TEMPLATES, repeat: int = REPEAT) -> dict[str, Any]:
    """Median wall seconds of `python -m legato validate` on the generated manifest."""
    with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp:
        manifest = Path(tmp) / "workflow.yaml"
        manifest.write_text(generate(templates))
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            proc = subprocess.run([PYTHON, "-m", "legato", "validate", str(manifest)],
                                  cwd=tmp, capture_output=True, text=True, timeout=120)
            samples.append(time.perf_counter() - start)
            if proc.returncode != 0:
                lines = (proc.stdout + proc.stderr).strip().splitlines()
                return {"error": lines[0] if lines else f"exit status {proc.returncode}"}
    seconds = statistics.median(samples)
    print(f"  legato validate, {templates:,} templates: {seconds:.3f} s", file=sys.stderr)
    return {"seconds": seconds, "samples": samples, "templates": templates,
            "bytes": len(generate(templates))}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.validate", description=__doc__)
    parser.add_argument("--templates", type=int, default=TEMPLATES)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    result = measure_validate(args.templates, args.repeat)
    if "error" in result:
        print(f"error: {result['error']}")
        return 1
    verdict = "PASS" if result["seconds"] <= TARGET_S else "FAIL"
    print(f"legato validate on {args.templates:,} templates ({result['bytes']:,} bytes): "
          f"median {result['seconds']:.3f} s of {args.repeat} (target <= {TARGET_S:g} s) "
          f"{verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
