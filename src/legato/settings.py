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
        return cls(
            home=home,
            database_url=database_url,
            results_url=results_url,
            inline_result_limit=inline_limit,
            backend_factory=env.get("LEGATO_BACKEND_FACTORY", LOCAL_BACKEND_FACTORY),
            api_url=env.get("LEGATO_API_URL") or None,
            log_level=level,
        )
