"""WorkflowTemplates and ClusterWorkflowTemplates registered with the server, through the one
door: a manifest text is checked as `legato validate` checks it (templateRefs may point at
templates already registered) and each template in it is stored, versioned; read, list and
delete. The server's routes and LocalBackend call these."""

from __future__ import annotations

import hashlib
from datetime import datetime

from legato.core.workflow_templates import (
    TEMPLATE_KINDS,
    WorkflowTemplateRecord,
    template_kind,
)
from legato.errors import Conflict, ManifestError, NotFound, ParameterError
from legato.manifests.argo.build import build_manifest
from legato.manifests.argo.loader import load_text
from legato.manifests.argo.model import Manifest
from legato.manifests.argo.problems import raise_for
from legato.manifests.argo.validate import validate_text
from legato.store import workflow_templates as rows
from legato.store.database import Database

MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_PAGE = 500


def not_found(name: str, cluster_scope: bool) -> NotFound:
    kind = template_kind(cluster_scope)
    return NotFound(f"{kind} {name!r} is not registered; list them with legato templates ls.")


def manifests_of(record: WorkflowTemplateRecord) -> list[Manifest]:
    """The manifests of a stored template's text (checked when it was applied)."""
    documents, _ = load_text(record.source, f"<{record.kind} {record.name}>")
    return [m for m in map(build_manifest, documents) if m is not None]


class StoredTemplateResolver:
    """`manifests.argo.resolve.TemplateResolver` over the registered templates."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, name: str, cluster_scope: bool) -> Manifest | None:
        kind = template_kind(cluster_scope)
        with self.db.reading() as conn:
            record = rows.read(conn, kind, name)
        if record is None:
            return None
        return next((m for m in manifests_of(record) if m.kind == kind and m.name == name), None)

    def names(self, cluster_scope: bool) -> list[str]:
        with self.db.reading() as conn:
            found = rows.list_page(conn, kind=template_kind(cluster_scope), after=None,
                                   limit=MAX_PAGE)
        return [r.name for r in found]


def check_templates(db: Database, source: str, filename: str) -> list[Manifest]:
    """The templates of a manifest text; ManifestError with every problem at file:line:col
    (the checks of `legato validate`) or when the text holds anything but templates."""
    if len(source.encode()) > MAX_SOURCE_BYTES:
        raise ManifestError(f"{filename}:1:1: the manifest is over {MAX_SOURCE_BYTES} bytes; "
                            "split it into several files.")
    checked = validate_text(source, filename, StoredTemplateResolver(db))
    raise_for(checked.problems)
    others = [m for m in checked.manifests if m.kind not in TEMPLATE_KINDS]
    if others:
        first = others[0]
        raise ManifestError(f"{first.pos}: kind: a {first.kind} cannot be registered as a "
                            "template; register WorkflowTemplates and ClusterWorkflowTemplates "
                            "(run or deploy a Workflow instead).")
    if not checked.manifests:
        raise ManifestError(f"{filename}:1:1: the file holds no WorkflowTemplate; write one "
                            "with kind: WorkflowTemplate.")
    return checked.manifests


def apply_templates(db: Database, source: str, filename: str, *, now: datetime,
                    replace: bool) -> list[tuple[WorkflowTemplateRecord, str]]:
    """Store every template of the manifest text: (record, "created" | "updated" |
    "unchanged") each. Without `replace`, a template already registered is a Conflict and
    nothing is stored.

    >>> [(r.name, what) for r, what in apply_templates(db, text, "t.yaml", now=now,
    ...                                               replace=True)]
    [('shared', 'created')]
    """
    templates = check_templates(db, source, filename)
    digest = hashlib.sha256(source.encode()).hexdigest()
    results: list[tuple[WorkflowTemplateRecord, str]] = []
    with db.writing() as conn:
        for manifest in templates:
            current = rows.read(conn, manifest.kind, manifest.name, for_update=True)
            if current is None:
                record = WorkflowTemplateRecord(manifest.kind, manifest.name, source, digest, 1,
                                                now, now)
                rows.insert(conn, record)
                results.append((record, "created"))
            elif not replace:
                raise Conflict(f"{manifest.pos}: {manifest.kind} {manifest.name!r} is registered "
                               f"already (version {current.version}); replace it with legato "
                               "templates apply.")
            elif current.source_hash == digest:
                results.append((current, "unchanged"))
            else:
                version = current.version + 1
                rows.replace(conn, manifest.kind, manifest.name, source, digest, version, now)
                results.append((WorkflowTemplateRecord(
                    manifest.kind, manifest.name, source, digest, version, current.created,
                    now), "updated"))
    return results


def read_template(db: Database, name: str, *, cluster_scope: bool = False,
                  ) -> WorkflowTemplateRecord | None:
    with db.reading() as conn:
        return rows.read(conn, template_kind(cluster_scope), name)


def list_templates(db: Database, *, cluster_scope: bool | None = None,
                   after: tuple[str, str] | None = None,
                   limit: int = 100) -> list[WorkflowTemplateRecord]:
    """Registered templates by kind then name, one page after the (kind, name) `after`."""
    if not 1 <= limit <= MAX_PAGE:
        raise ParameterError(f"list of workflow templates got limit={limit}; use 1 to "
                             f"{MAX_PAGE}.")
    kind = None if cluster_scope is None else template_kind(cluster_scope)
    with db.reading() as conn:
        return rows.list_page(conn, kind=kind, after=after, limit=limit)


def delete_template(db: Database, name: str, *, cluster_scope: bool = False) -> None:
    """Forget a template; deployed workflows keep the copy pinned in their version."""
    with db.writing() as conn:
        if not rows.remove(conn, template_kind(cluster_scope), name):
            raise not_found(name, cluster_scope)
