"""`legato templates apply FILE... | ls | show NAME | rm NAME`: Argo WorkflowTemplates and
ClusterWorkflowTemplates registered with a server, where `templateRef` finds them when the
workflow's own files do not hold them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from legato.client.deploy import default_api_url
from legato.client.workflow_templates import TemplatesClient
from legato.errors import UserCodeError
from legato.settings import Settings

from .deployments import api_url_option
from .errors import cli_errors
from .output import echo_json, format_time, make_console

CLUSTER = click.option("--cluster", is_flag=True,
                       help="A ClusterWorkflowTemplate rather than a WorkflowTemplate.")


@contextmanager
def templates_client(api_url: str | None) -> Iterator[TemplatesClient]:
    with cli_errors(), TemplatesClient(default_api_url(api_url),
                                       api_key=Settings.from_env().api_key) as client:
        yield client


@click.group("templates")
def templates_group() -> None:
    """WorkflowTemplates registered with the server for templateRef."""


@templates_group.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--create-only", is_flag=True,
              help="Refuse to replace a template registered already.")
@api_url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def apply_command(files: tuple[str, ...], create_only: bool, api_url: str | None,
                  as_json: bool) -> None:
    """Register (or replace) the WorkflowTemplates of each file, checked as `legato
    validate` checks them; a changed template gets the next version.

    Example: legato templates apply examples/yaml/templates/shared-templates.yaml
    """
    results = []
    with templates_client(api_url) as client:
        for file in files:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except OSError as exc:
                raise UserCodeError(f"cannot read {file} ({exc.strerror}); check the path.") \
                    from None
            results.extend(client.apply(text, file, replace=not create_only).items)
    if as_json:
        echo_json([r.model_dump(mode="json") for r in results])
        return
    for applied in results:
        t = applied.template
        click.echo(f"{t.kind} {t.name}: {applied.change} (version {t.version})")


@templates_group.command("ls")
@CLUSTER
@click.option("--all", "show_all", is_flag=True, help="Both kinds.")
@api_url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(cluster: bool, show_all: bool, api_url: str | None, as_json: bool) -> None:
    """List registered templates (WorkflowTemplates; --cluster or --all for the others)."""
    with templates_client(api_url) as client:
        found = list(client.list_all(cluster_scope=None if show_all else cluster))
    if as_json:
        echo_json([t.model_dump(mode="json", exclude_none=True) for t in found])
        return
    table = Table("kind", "name", "version", "updated")
    for t in found:
        table.add_row(t.kind, escape(t.name), str(t.version), format_time(t.updated))
    make_console().print(table)


@templates_group.command("show")
@click.argument("name")
@CLUSTER
@api_url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(name: str, cluster: bool, api_url: str | None, as_json: bool) -> None:
    """Print a registered template's manifest text (as applied)."""
    with templates_client(api_url) as client:
        found = client.read(name, cluster_scope=cluster)
    if as_json:
        echo_json(found.model_dump(mode="json"))
        return
    click.echo(f"# {found.kind} {found.name}, version {found.version}")
    click.echo(found.source or "", nl=False)


@templates_group.command("rm")
@click.argument("name")
@CLUSTER
@api_url_option
def remove_command(name: str, cluster: bool, api_url: str | None) -> None:
    """Forget a registered template (deployed workflows keep their pinned copy)."""
    with templates_client(api_url) as client:
        client.delete(name, cluster_scope=cluster)
    click.echo(f"{'ClusterWorkflowTemplate' if cluster else 'WorkflowTemplate'} {name} removed")
