"""How the CLI turns Legato errors into one-line messages and exit statuses: 2 for anything the
user can fix by changing the command (bad parameters, missing file, unknown run), 1 for failed
runs and for other errors (an unreachable database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from legato.errors import (
    AuthError,
    ConfigError,
    Conflict,
    DefinitionError,
    LegatoError,
    ManifestError,
    NotFound,
    ParameterError,
    UserCodeError,
)

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2

USAGE_ERRORS: tuple[type[Exception], ...] = (
    ParameterError,
    UserCodeError,
    DefinitionError,
    ManifestError,
    ConfigError,
    NotFound,
    Conflict,
    AuthError,
)


class UsageFailure(click.ClickException):
    """A one-sentence error the user can fix; click prints it to stderr and exits 2."""

    exit_code = EXIT_USAGE


@contextmanager
def cli_errors() -> Iterator[None]:
    """Report Legato errors as `Error: <message>` on stderr, without a traceback: exit status 2
    for usage errors, 1 for the rest."""
    try:
        yield
    except USAGE_ERRORS as exc:
        raise UsageFailure(_one_line(exc)) from exc
    except LegatoError as exc:
        raise click.ClickException(_one_line(exc)) from exc


def _one_line(exc: Exception) -> str:
    message = str(exc).strip() or type(exc).__name__
    if (
        isinstance(exc, ParameterError)
        and exc.errors
        and not any(field in message for field, _ in exc.errors)
    ):
        details = "; ".join(f"{field}: {problem}" for field, problem in exc.errors)
        message = f"{message} ({details})"
    return message
