"""Legato's settings, read once from the environment at the edges (CLI, server factory,
default backend) and passed inward as plain values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from legato.errors import ConfigError

DEFAULT_INLINE_RESULT_LIMIT = 8 * 1024
LOCAL_BACKEND_FACTORY = "legato.orchestration.local:create_local_backend"
HTTP_BACKEND_FACTORY = "legato.client.http:create_http_backend"
DEFAULT_SERVER_HOST = "127.0.0.1"
DEFAULT_SERVER_PORT = 4200
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_SCHEDULER_INTERVAL_SECONDS = 5.0
DEFAULT_MONITOR_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Settings:
    """Everything Legato can be configured with; see `Settings.from_env`."""

    home: Path
    database_url: str
    results_url: str
    inline_result_limit: int = DEFAULT_INLINE_RESULT_LIMIT
    backend_factory: str = LOCAL_BACKEND_FACTORY
    api_url: str | None = None
    log_level: str = "INFO"
    server_host: str = DEFAULT_SERVER_HOST
    server_port: int = DEFAULT_SERVER_PORT
    server_max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    scheduler_interval_seconds: float = DEFAULT_SCHEDULER_INTERVAL_SECONDS
    monitor_interval_seconds: float = DEFAULT_MONITOR_INTERVAL_SECONDS
    # Where people open the web UI; notification messages link runs under it.
    ui_url: str | None = None
    # Sent as `Authorization: Bearer` by API clients and workers (LEGATO_API_KEY).
    api_key: str | None = field(default=None, repr=False)
    # Whether the server requires credentials (LEGATO_AUTH; `legato server --auth`).
    auth: bool = False
    # Fernet keys for secrets, newest first: LEGATO_SECRET_KEYS (comma-separated) for
    # rotation, else LEGATO_SECRET_KEY; empty means a key file in `home`.
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from LEGATO_* variables.

        >>> Settings.from_env({"LEGATO_HOME": "/tmp/lg"}).database_url
        'sqlite:////tmp/lg/legato.db'
        """
        env = os.environ if env is None else env
        home = Path(env.get("LEGATO_HOME") or Path.home() / ".legato").expanduser()
        database_url = env.get("LEGATO_DATABASE_URL") or f"sqlite:///{home / 'legato.db'}"
        results_url = env.get("LEGATO_RESULTS_URL") or str(home / "results")
        raw_limit = env.get("LEGATO_INLINE_RESULT_LIMIT", str(DEFAULT_INLINE_RESULT_LIMIT))
        try:
            inline_limit = int(raw_limit)
        except ValueError:
            raise ConfigError(
                f"LEGATO_INLINE_RESULT_LIMIT={raw_limit!r} is not an integer; "
                "set it to a number of bytes such as 8192."
            ) from None
        if inline_limit < 0:
            raise ConfigError(
                f"LEGATO_INLINE_RESULT_LIMIT={inline_limit} is negative; set it to 0 or more bytes."
            )
        level = env.get("LEGATO_LOG_LEVEL", "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(
                f"LEGATO_LOG_LEVEL={level!r} is not a log level; use DEBUG, INFO, WARNING or ERROR."
            )
        api_url = env.get("LEGATO_API_URL") or None
        # A process pointed at a server talks to it, unless a factory is named explicitly.
        default_factory = HTTP_BACKEND_FACTORY if api_url else LOCAL_BACKEND_FACTORY
        return cls(
            home=home,
            database_url=database_url,
            results_url=results_url,
            inline_result_limit=inline_limit,
            backend_factory=env.get("LEGATO_BACKEND_FACTORY") or default_factory,
            api_url=api_url,
            log_level=level,
            server_host=env.get("LEGATO_SERVER_HOST") or DEFAULT_SERVER_HOST,
            server_port=_int_setting(env, "LEGATO_SERVER_PORT", DEFAULT_SERVER_PORT, 0, 65535),
            server_max_body_bytes=_int_setting(
                env, "LEGATO_SERVER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1, 2**40
            ),
            scheduler_interval_seconds=_float_setting(
                env, "LEGATO_SCHEDULER_INTERVAL", DEFAULT_SCHEDULER_INTERVAL_SECONDS, 0.01, 3600.0
            ),
            monitor_interval_seconds=_float_setting(
                env, "LEGATO_MONITOR_INTERVAL", DEFAULT_MONITOR_INTERVAL_SECONDS, 0.01, 3600.0
            ),
            ui_url=env.get("LEGATO_UI_URL") or None,
            api_key=(env.get("LEGATO_API_KEY") or "").strip() or None,
            auth=_bool_setting(env, "LEGATO_AUTH"),
            secret_keys=_secret_keys(env),
        )


def ui_url_of(settings: Settings) -> str:
    """LEGATO_UI_URL, else the server's own address (the UI is served by `legato server`)."""
    if settings.ui_url:
        return settings.ui_url.rstrip("/")
    return f"http://{settings.server_host}:{settings.server_port}"


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer; set it to a whole number.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; set it between {low} and {high}.")
    return value


def _float_setting(
    env: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = env.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to seconds such as 5.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; set it between {low} and {high}.")
    return value


def _bool_setting(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "false").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; set it to true or false.")


def _secret_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    many = env.get("LEGATO_SECRET_KEYS") or ""
    keys = tuple(key.strip() for key in many.split(",") if key.strip())
    if keys:
        return keys
    one = (env.get("LEGATO_SECRET_KEY") or "").strip()
    return (one,) if one else ()
