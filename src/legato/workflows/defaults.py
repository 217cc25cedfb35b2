"""`spec.templateDefaults`: fields a template does not set itself are taken from the
workflow's defaults (retryStrategy, timeout, activeDeadlineSeconds), as Argo merges them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from legato.manifests.argo.build import ModelBuilder
from legato.manifests.argo.model import Template
from legato.manifests.argo.problems import NO_POSITION, KeyPath, Position


class _RawBuilder(ModelBuilder):
    """The model builder for a fragment without a source document (no positions)."""

    def __init__(self) -> None:  # no document: positions are not needed here
        pass

    def pos(self, path: KeyPath) -> Position:
        return NO_POSITION


def with_defaults(template: Template, defaults: Mapping[str, Any] | None) -> Template:
    """The template with the workflow's templateDefaults filled in where it has none."""
    if not defaults:
        return template
    changes: dict[str, Any] = {}
    if template.retry_strategy is None and isinstance(defaults.get("retryStrategy"), dict):
        changes["retry_strategy"] = _RawBuilder().retry(defaults["retryStrategy"], ())
    if template.timeout is None and defaults.get("timeout") is not None:
        changes["timeout"] = str(defaults["timeout"])
    if template.active_deadline_seconds is None and \
            defaults.get("activeDeadlineSeconds") is not None:
        changes["active_deadline_seconds"] = str(defaults["activeDeadlineSeconds"])
    return dataclasses.replace(template, **changes) if changes else template
