"""`legato users ...` and `legato tokens ...`: manage users and API tokens directly on the
configured database (like `legato db upgrade`), so the first admin can be created before
any server runs. Every change is audited as the local account that ran the command."""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from legato.core.auth import Principal, PrincipalKind, Role, TokenRecord, UserRecord
from legato.settings import Settings

from .errors import cli_errors
from .output import echo_json, format_time, make_console

if TYPE_CHECKING:
    from legato.orchestration.accounts import AccountService

ROLE_CHOICE = click.Choice([role.value for role in Role])


def local_principal() -> Principal:
    """Who the audit log records for a command run on this machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Principal(f"{user}@{socket.gethostname()}", Role.ADMIN, PrincipalKind.LOCAL,
                     source="cli")


@contextmanager
def account_service() -> Iterator[AccountService]:
    """The accounts service on the configured database, migrated first if needed."""
    # Imported here so that other commands start without loading SQLAlchemy.
    from legato.orchestration.accounts import AccountService
    from legato.store import migrate
    from legato.store.database import Database, ensure_sqlite_directory

    with cli_errors():
        settings = Settings.from_env()
        ensure_sqlite_directory(settings.database_url)
        db = Database(settings.database_url)
        try:
            migrate.upgrade(db)
            yield AccountService(db)
        finally:
            db.dispose()


def read_password(password_stdin: bool) -> str:
    """A new password from the first line of stdin, or typed twice at a hidden prompt."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def user_dict(user: UserRecord) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role.value,
            "disabled": user.disabled, "created": user.created.isoformat(),
            "updated": user.updated.isoformat()}


def token_dict(token: TokenRecord) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return None if moment is None else str(moment.isoformat())

    return {"id": token.id, "user": token.username, "name": token.name,
            "role": token.role.value, "prefix": token.prefix, "created": iso(token.created),
            "expires": iso(token.expires), "revoked": iso(token.revoked),
            "last_used": iso(token.last_used)}


password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@click.group("users")
def users_group() -> None:
    """Manage users (on the configured database)."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, default="viewer", show_default=True)
@password_stdin_option
def create_user_command(username: str, role: str, password_stdin: bool) -> None:
    """Create a user; asks for the password twice unless --password-stdin.

    Example: legato users create admin --role admin
    """
    password = read_password(password_stdin)
    with account_service() as accounts:
        user = accounts.create_user(username, password, Role(role), by=local_principal())
    click.echo(f"created {user.role.value} {user.username}")


@users_group.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_users_command(as_json: bool) -> None:
    """List users by name."""
    with account_service() as accounts:
        users = accounts.list_users()
    if as_json:
        echo_json([user_dict(u) for u in users])
        return
    if not users:
        click.echo("no users; create one with `legato users create admin --role admin`")
        return
    table = Table(box=None, header_style="bold")
    for column in ("USERNAME", "ROLE", "STATUS", "CREATED"):
        table.add_column(column)
    for u in users:
        status = "[dim]disabled[/]" if u.disabled else "[green]enabled[/]"
        table.add_row(u.username, u.role.value, status, format_time(u.created))
    make_console().print(table)


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
def set_role_command(username: str, role: str) -> None:
    """Change a user's role.

    Example: legato users set-role alice operator
    """
    with account_service() as accounts:
        user = accounts.set_role(username, Role(role), by=local_principal())
    click.echo(f"{user.username} is now {user.role.value}")


@users_group.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    with account_service() as accounts:
        accounts.set_disabled(username, True, by=local_principal())
    click.echo(f"disabled {username}")


@users_group.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable a disabled user again."""
    with account_service() as accounts:
        accounts.set_disabled(username, False, by=local_principal())
    click.echo(f"enabled {username}")


@users_group.command("passwd")
@click.argument("username")
@password_stdin_option
def passwd_command(username: str, password_stdin: bool) -> None:
    """Set a user's password; their browser sessions end."""
    password = read_password(password_stdin)
    with account_service() as accounts:
        accounts.set_password(username, password, by=local_principal())
    click.echo(f"password of {username} changed")


@click.group("tokens")
def tokens_group() -> None:
    """Manage API tokens (on the configured database)."""


@tokens_group.command("create")
@click.option("--user", "username", required=True, help="The user the token acts for.")
@click.option("--role", type=ROLE_CHOICE, required=True,
              help="The token's role (at most the user's).")
@click.option("--expires", default="30d", show_default=True,
              help="Lifetime such as 12h, 30d or 2w, or 'never'.")
@click.option("--name", default="", help="What the token is for, shown in listings.")
@click.option("--json", "as_json", is_flag=True, help="Print the token and its secret as JSON.")
def create_token_command(username: str, role: str, expires: str, name: str,
                         as_json: bool) -> None:
    """Create an API token and print its secret, which is shown only this once.

    Example: legato tokens create --user ci --role operator --expires 30d
    """
    from legato.core.auth import parse_duration

    with account_service() as accounts, cli_errors():
        lifetime = None if expires.strip().lower() == "never" else parse_duration(expires)
        new = accounts.create_token(username, Role(role), by=local_principal(), name=name,
                                    expires_in=lifetime)
    if as_json:
        echo_json({**token_dict(new.record), "secret": new.secret})
        return
    until = format_time(new.record.expires) if new.record.expires else "never"
    click.echo(f"token {new.record.id} for {username} ({role}, expires {until}):")
    click.echo(new.secret)
    click.echo("Store it now: it is not shown again. Use it as LEGATO_API_KEY.", err=True)


@tokens_group.command("ls")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_tokens_command(username: str | None, as_json: bool) -> None:
    """List API tokens, newest first (never their secrets)."""
    with account_service() as accounts:
        tokens = accounts.list_tokens(username)
    if as_json:
        echo_json([token_dict(t) for t in tokens])
        return
    if not tokens:
        click.echo("no tokens")
        return
    table = Table(box=None, header_style="bold")
    for column in ("ID", "USER", "ROLE", "NAME", "PREFIX", "EXPIRES", "STATUS"):
        table.add_column(column)
    for t in tokens:
        status = "[red]revoked[/]" if t.revoked else "[green]active[/]"
        table.add_row(t.id, t.username, t.role.value, t.name or "-", t.prefix,
                      format_time(t.expires) if t.expires else "never", status)
    make_console().print(table)


@tokens_group.command("revoke")
@click.argument("token_id")
def revoke_token_command(token_id: str) -> None:
    """Revoke a token at once."""
    with account_service() as accounts:
        accounts.revoke_token(token_id, by=local_principal())
    click.echo(f"revoked {token_id}")
