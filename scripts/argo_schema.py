"""Regenerates src/legato/manifests/argo/schema.json from Argo Workflows' published JSON Schema
(api/jsonschema/schema.json of argoproj/argo-workflows, Apache-2.0).

Keeps only the definitions the four workflow kinds reach, drops prose and Kubernetes hints, and
patches the quirks that reject manifests Argo itself accepts (see docs/adr on manifests).
Usage: python scripts/argo_schema.py PATH/TO/schema.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOTS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
PREFIX = "io.argoproj.workflow.v1alpha1."
OUT = Path(__file__).resolve().parent.parent / "src/legato/manifests/argo/schema.json"
DROP = {"description", "title", "format", "discriminator", "fields-to-discriminateBy"}
SCALAR = {"type": ["string", "integer", "number", "boolean"]}


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items()
                if k not in DROP and not k.startswith("x-kubernetes")}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def reachable(defs: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = [PREFIX + root for root in ROOTS]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)

        def refs(node: Any) -> None:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    todo.append(ref.rsplit("/", 1)[1])
                for value in node.values():
                    refs(value)
            elif isinstance(node, list):
                for value in node:
                    refs(value)

        refs(defs[name])
    return seen


def patch(defs: dict[str, Any]) -> None:
    # Manifests write numbers where the Go types accept both (limits, ports, deadlines).
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["string", "integer"]}
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
        "type": ["string", "integer", "number"]}
    # Parameter values are Argo's AnyString: a number or boolean becomes its text.
    parameter = defs[PREFIX + "Parameter"]["properties"]
    parameter["value"] = parameter["default"] = SCALAR
    parameter["enum"] = {"type": "array", "items": SCALAR}
    defs[PREFIX + "ValueFrom"]["properties"]["default"] = SCALAR
    # Argo 3.x spellings its documentation still shows: one schedule, one mutex/semaphore,
    # withSequence's printf format.
    cron = defs[PREFIX + "CronWorkflowSpec"]
    cron["properties"]["schedule"] = {"type": "string"}
    cron["required"] = ["workflowSpec"]
    defs[PREFIX + "Sequence"]["properties"]["format"] = {"type": "string"}
    sync = defs[PREFIX + "Synchronization"]["properties"]
    sync["mutex"] = {"$ref": f"#/definitions/{PREFIX}Mutex"}
    sync["semaphore"] = {"$ref": f"#/definitions/{PREFIX}SemaphoreRef"}


def main(source: str) -> None:
    schema = json.loads(Path(source).read_text())
    defs = schema["definitions"]
    keep = reachable(defs)
    out = {name: strip(defs[name]) for name in sorted(keep)}
    patch(out)
    document = {
        "$comment": "Derived from Argo Workflows' published JSON Schema (Apache-2.0) by "
                    "scripts/argo_schema.py; do not edit by hand.",
        "definitions": out,
    }
    OUT.write_text(json.dumps(document, indent=None, separators=(",", ":"), sort_keys=True)
                   + "\n")
    print(f"{OUT}: {len(out)} definitions, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
