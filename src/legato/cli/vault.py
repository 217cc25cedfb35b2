"""`legato secrets set|ls|show|rm|rotate-key|new-key` and `legato variables get|set|ls|rm`:
secrets (values go in, never come out) and JSON variables, on the configured backend (the
local database, or the server named by LEGATO_API_URL)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from legato.core.secrets import SecretInfo, VariableRecord
from legato.errors import ParameterError
from legato.sdk import runtime

from .errors import cli_errors
from .output import echo_json, format_time, make_console


def _secret_dict(info: SecretInfo) -> dict[str, Any]:
    return {"name": info.name, "created": info.created.isoformat(),
            "updated": info.updated.isoformat()}


def _variable_dict(record: VariableRecord) -> dict[str, Any]:
    return {"name": record.name, "value": record.value, "created": record.created.isoformat(),
            "updated": record.updated.isoformat()}


@click.group("secrets")
def secrets_group() -> None:
    """Secrets: encrypted values flows load with Secret.load(NAME).get()."""


@secrets_group.command("set")
@click.argument("name")
@click.option("--value-stdin", is_flag=True,
              help="Read the value from standard input (a trailing newline is dropped).")
@click.option("--overwrite/--no-overwrite", default=True, show_default=True,
              help="Replace the value of an existing secret.")
def secrets_set(name: str, value_stdin: bool, overwrite: bool) -> None:
    """Store a secret, encrypted. The value is read from stdin or asked for (hidden); it is
    never an argument, so it stays out of shell history and process listings.

    Example: printf %s "$DB_PASSWORD" | legato secrets set db-password --value-stdin
    """
    with cli_errors():
        if value_stdin:
            value = sys.stdin.read()
            value = value[:-1] if value.endswith("\n") else value
        else:
            value = click.prompt(f"value of secret {name}", hide_input=True,
                                 confirmation_prompt=True)
        if not value:
            raise ParameterError(f"secret {name!r} got an empty value; give a value to store.")
        info = runtime.get_backend().write_secret(name, value, overwrite=overwrite)
    click.echo(f"secret {info.name} stored (updated {format_time(info.updated)})")


@secrets_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def secrets_ls(as_json: bool) -> None:
    """List secrets by name with their dates (never their values).

    Example: legato secrets ls --json
    """
    with cli_errors():
        infos = runtime.get_backend().list_secrets(limit=100_000)
    if as_json:
        echo_json([_secret_dict(i) for i in infos])
        return
    if not infos:
        click.echo("no secrets stored; add one with `legato secrets set NAME`")
        return
    table = Table(box=None, header_style="bold")
    for column in ("SECRET", "CREATED", "UPDATED"):
        table.add_column(column)
    for info in infos:
        table.add_row(escape(info.name), format_time(info.created), format_time(info.updated))
    make_console().print(table)


@secrets_group.command("rm")
@click.argument("name")
def secrets_rm(name: str) -> None:
    """Delete a secret; flows that load it fail afterwards.

    Example: legato secrets rm db-password
    """
    with cli_errors():
        runtime.get_backend().delete_secret(name)
    click.echo(f"secret {name} deleted")


@secrets_group.command("new-key")
def secrets_new_key() -> None:
    """Print a new random key for LEGATO_SECRET_KEY(S).

    Example: export LEGATO_SECRET_KEYS="$(legato secrets new-key),$LEGATO_SECRET_KEY"
    """
    # Imported here: other commands start without loading cryptography.
    from legato.orchestration.keyring import new_key

    click.echo(new_key())


@secrets_group.command("rotate-key")
def secrets_rotate_key() -> None:
    """Re-encrypt every secret in the database with the newest key of LEGATO_SECRET_KEYS
    (all or none). Afterwards the older keys can be dropped.

    Example: LEGATO_SECRET_KEYS="$NEW,$OLD" legato secrets rotate-key
    """
    from legato.orchestration.local import create_local_backend
    from legato.settings import Settings

    with cli_errors():
        backend = create_local_backend(Settings.from_env())
        try:
            count = backend.vault.rotate_keys()
        finally:
            backend.close()
    click.echo(f"{count} secret(s) re-encrypted with the newest key")


@click.group("variables")
def variables_group() -> None:
    """Variables: named JSON values flows read with Variable.get(NAME, default)."""


def _parse_value(text: str, as_string: bool) -> Any:
    if as_string:
        return text
    try:
        return json.loads(text)
    except ValueError:
        # A bare word is a string: `legato variables set env prod`.
        return text


@variables_group.command("set")
@click.argument("name")
@click.argument("value")
@click.option("--string", "as_string", is_flag=True,
              help="Store VALUE as a string even if it reads as JSON (e.g. \"42\").")
@click.option("--overwrite/--no-overwrite", default=True, show_default=True,
              help="Replace the value of an existing variable.")
def variables_set(name: str, value: str, as_string: bool, overwrite: bool) -> None:
    """Store a variable. VALUE is JSON (42, true, [1, 2], {"a": 1}); anything else is stored
    as a string.

    Example: legato variables set batch_size 500
    """
    with cli_errors():
        record = runtime.get_backend().write_variable(
            name, _parse_value(value, as_string), overwrite=overwrite)
    click.echo(f"variable {record.name} = {json.dumps(record.value)}")


@variables_group.command("get")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the variable as a JSON object.")
def variables_get(name: str, as_json: bool) -> None:
    """Print a variable's value as JSON.

    Example: legato variables get batch_size
    """
    with cli_errors():
        record = runtime.get_backend().read_variable(name)
    if as_json:
        echo_json(_variable_dict(record))
    else:
        click.echo(json.dumps(record.value))


@variables_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def variables_ls(as_json: bool) -> None:
    """List variables by name with their values.

    Example: legato variables ls --json
    """
    with cli_errors():
        records = runtime.get_backend().list_variables(limit=100_000)
    if as_json:
        echo_json([_variable_dict(r) for r in records])
        return
    if not records:
        click.echo("no variables stored; add one with `legato variables set NAME VALUE`")
        return
    table = Table(box=None, header_style="bold")
    for column in ("VARIABLE", "VALUE", "UPDATED"):
        table.add_column(column)
    for record in records:
        shown = json.dumps(record.value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        table.add_row(escape(record.name), escape(shown), format_time(record.updated))
    make_console().print(table)


@variables_group.command("rm")
@click.argument("name")
def variables_rm(name: str) -> None:
    """Delete a variable.

    Example: legato variables rm batch_size
    """
    with cli_errors():
        runtime.get_backend().delete_variable(name)
    click.echo(f"variable {name} deleted")
