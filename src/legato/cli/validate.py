"""`legato validate FILE...`: checks Argo workflow manifests (YAML, schema, semantics) and
prints every problem as `file:line:col: key: message; fix`; exit status 2 when any is found."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from legato.errors import LegatoError
from legato.manifests.argo import validate_files
from legato.manifests.argo.build import build_manifest
from legato.manifests.argo.loader import load_text
from legato.manifests.argo.model import Manifest
from legato.settings import Settings

from .errors import EXIT_USAGE


class RegisteredTemplates:
    """The templates registered with a server, asked only when a templateRef names one that
    no file holds; an unreachable server counts as knowing none (noted once on stderr)."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.found: dict[tuple[str, bool], Manifest | None] = {}
        self.failed = False

    def find(self, name: str, cluster_scope: bool) -> Manifest | None:
        key = (name, cluster_scope)
        if key not in self.found:
            self.found[key] = self._fetch(name, cluster_scope)
        return self.found[key]

    def _fetch(self, name: str, cluster_scope: bool) -> Manifest | None:
        # Imported on a miss only: `legato validate` stays quick to start.
        from legato.client.workflow_templates import TemplatesClient

        try:
            with TemplatesClient(self.api_url, api_key=Settings.from_env().api_key) as client:
                record = client.read_workflow_template(name, cluster_scope=cluster_scope)
        except LegatoError as exc:
            self._note(exc)
            return None
        if record is None:
            return None
        documents, _ = load_text(record.source, f"<{record.kind} {record.name}>")
        return next((m for m in map(build_manifest, documents) if m is not None
                     and m.kind == record.kind and m.name == name), None)

    def names(self, cluster_scope: bool) -> list[str]:
        from legato.client.workflow_templates import TemplatesClient

        try:
            with TemplatesClient(self.api_url, api_key=Settings.from_env().api_key) as client:
                return [t.name for t in client.list_all(cluster_scope=cluster_scope)]
        except LegatoError as exc:
            self._note(exc)
            return []

    def _note(self, error: LegatoError) -> None:
        if not self.failed:
            self.failed = True
            click.echo(f"note: registered templates were not checked: {error}", err=True)


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--api-url", default=None, metavar="URL",
              help="Also look templateRefs up among the templates registered with this server "
                   "(default LEGATO_API_URL, if set).")
def validate_command(files: tuple[Path, ...], as_json: bool, api_url: str | None) -> None:
    """Check Argo Workflow, WorkflowTemplate and CronWorkflow manifests without running them.

    A folder stands for its YAML files. Templates named by templateRef are looked up in the
    given files, then among the templates registered with the server (when --api-url or
    LEGATO_API_URL is given), then in the other YAML files next to each workflow.
    """
    server = api_url or Settings.from_env().api_url
    checked = validate_files(files, RegisteredTemplates(server) if server else None)
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
