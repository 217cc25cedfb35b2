"""Public API for artifacts, laid out as in Prefect:
`from legato.artifacts import create_table_artifact`."""

from legato.sdk.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

__all__ = ["create_link_artifact", "create_markdown_artifact", "create_table_artifact"]
