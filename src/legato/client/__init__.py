"""The Python client of Legato's REST API: `http.HttpBackend` speaks the Backend protocol to a
server, so flows and workers run against it exactly as they do in-process."""

import sys


def _import_httpx_without_its_command_line() -> None:
    """Import httpx without `httpx._main`, its command-line client, which its package imports
    eagerly and which loads click, rich and pygments when they are installed: about 50 ms of
    every run's process, for a command line no Legato process uses. A later explicit
    `import httpx._main` still works; `httpx.main` is then httpx's own placeholder."""
    if "httpx" in sys.modules:
        return
    sys.modules["httpx._main"] = None  # type: ignore[assignment]  # makes that import fail
    try:
        import httpx  # noqa: F401  # here, so that the block above applies to it
    finally:
        del sys.modules["httpx._main"]


_import_httpx_without_its_command_line()
