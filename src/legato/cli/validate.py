"""`legato validate FILE...`: checks Argo workflow manifests (YAML, schema, semantics) and
prints every problem as `file:line:col: key: message; fix`; exit status 2 when any is found."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from legato.manifests.argo import validate_files

from .errors import EXIT_USAGE


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def validate_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Check Argo Workflow, WorkflowTemplate and CronWorkflow manifests without running them.

    A folder stands for its YAML files. Templates named by templateRef are looked up in the
    given files, then in the other YAML files next to each workflow.
    """
    checked = validate_files(files)
    kinds = Counter(m.kind for m in checked.manifests)
    if as_json:
        # plain json, not .output: this command stays quick to start (no rich import)
        click.echo(json.dumps({
            "ok": checked.ok,
            "manifests": [
                {"file": m.file, "document": m.document, "kind": m.kind, "name": m.name}
                for m in checked.manifests
            ],
            "problems": [p.to_dict() for p in checked.problems],
        }))
    elif checked.ok:
        count = len(checked.manifests)
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        suffix = f" ({detail})" if len(kinds) > 1 else ""
        click.echo(f"ok: {count} workflow{'s' if count != 1 else ''}{suffix}")
    else:
        for problem in checked.problems:
            click.echo(str(problem))
        files_with = len({p.position.file for p in checked.problems})
        n = len(checked.problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''} in {files_with} "
                   f"file{'s' if files_with != 1 else ''}", err=True)
    if not checked.ok:
        sys.exit(EXIT_USAGE)
