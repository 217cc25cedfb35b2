"""The database schema as SQLAlchemy Core tables: the single description the queries in
`legato.store` are written against. Migrations under `migrations/` must produce exactly
this schema (a test compares them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

ID_LENGTH = 36

# Constraint names are fixed so migrations and the metadata agree on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone was given to a timestamp column (a programming error)."""

    def __init__(self, value: datetime) -> None:
        super().__init__(
            f"naive datetime {value.isoformat()} cannot be stored; "
            "pass a timezone-aware datetime such as datetime.now(UTC)."
        )


class _SQLiteUTCText(sqlite.DATETIME):
    """SQLite's DATETIME column type with no value processing: UTCDateTime already hands it
    ready-made text, so the per-value work stays in C (isoformat / fromisoformat)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect.

    PostgreSQL stores `timestamptz`. SQLite has no time zones: values are stored as UTC
    ISO-8601 text of fixed width ("2026-01-01 12:00:00.000000+00:00"), which sorts in time
    order and reads back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteUTCText())  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise NaiveDatetimeError(value)
        if dialect.name != "sqlite":
            return value
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        if moment.tzinfo is not UTC:
            return moment.astimezone(UTC)
        return moment


def json_type() -> TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""
    return JSON().with_variant(JSONB(), "postgresql")


def _id(name: str, *args: Any, **kwargs: Any) -> Column[str]:
    return Column(name, String(ID_LENGTH), *args, **kwargs)


def _result_columns() -> list[Column[Any]]:
    return [
        Column("result_serializer", String(16)),
        Column("result_storage", String(16)),
        Column("result_data", LargeBinary),
        Column("result_path", Text),
    ]


flows = Table(
    "flows",
    metadata,
    _id("id", primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
)

flow_versions = Table(
    "flow_versions",
    metadata,
    _id("id", primary_key=True),
    _id("flow_id", ForeignKey("flows.id"), nullable=False),
    Column("source_hash", String(128), nullable=False),
    Column("source", Text, nullable=False),
    Column("entrypoint", Text),
    Column("created", UTCDateTime, nullable=False),
    UniqueConstraint("flow_id", "source_hash"),
)

flow_runs = Table(
    "flow_runs",
    metadata,
    _id("id", primary_key=True),
    _id("flow_id", ForeignKey("flows.id"), nullable=False),
    _id("flow_version_id", ForeignKey("flow_versions.id")),
    Column("name", String(255), nullable=False),
    Column("parameters", json_type(), nullable=False),
    Column("state", String(32), nullable=False),
    Column("state_message", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("start_time", UTCDateTime),
    Column("end_time", UTCDateTime),
    Column("run_count", Integer, nullable=False, default=0),
    Column("entrypoint", Text),
    Column("tags", json_type(), nullable=False),
    # No foreign keys to parents: a parent task run may still sit in the engine's
    # write-behind queue when its child flow run is created.
    _id("parent_flow_run_id"),
    _id("parent_task_run_id"),
    *_result_columns(),
    # Added by revision 0002 (deployments). No foreign keys: runs outlive their deployment.
    _id("deployment_id"),
    _id("schedule_id"),
    Column("scheduled_time", UTCDateTime),
    Column("idempotency_key", String(255)),
    Column("is_backfill", Boolean, nullable=False, default=False, server_default=false()),
    Column("late", Boolean, nullable=False, default=False, server_default=false()),
    # Added by revision 0003 (workers): the fencing epoch of the run's current or last lease,
    # and how many times the monitor found the run's holder dead.
    Column("lease_epoch", Integer, nullable=False, default=0, server_default=text("0")),
    Column("crash_count", Integer, nullable=False, default=0, server_default=text("0")),
    # Added by revision 0006: this run's claim priority; NULL follows its deployment's.
    Column("priority", Integer),
    Index(None, "created", "id"),
    Index(None, "state", "created"),
    Index(None, "flow_id", "created"),
    Index(None, "parent_flow_run_id"),
    # A unique index (not a table constraint) so SQLite can add it without a table rebuild;
    # it is what makes a second run for one schedule slot impossible (Promise 4).
    Index(None, "idempotency_key", unique=True),
    Index(None, "deployment_id", "scheduled_time"),
    Index(None, "state", "late", "scheduled_time"),
    # Added by revision 0007: the runs list filtered by deployment, newest first.
    Index(None, "deployment_id", "created", "id"),
    # Added by revision 0011: free text over run names scans this index alone (newest
    # first, no table lookups) instead of every row.
    Index(None, "created", "id", "name"),
    # Revision 0013 adds a substring index of names that exists on one dialect each (pg_trgm
    # GIN, FTS5 trigram table): see legato.store.run_search.
)

deployments = Table(
    "deployments",
    metadata,
    _id("id", primary_key=True),
    Column("name", String(255), nullable=False),
    _id("flow_id", ForeignKey("flows.id"), nullable=False),
    _id("flow_version_id", ForeignKey("flow_versions.id")),
    Column("entrypoint", Text, nullable=False),
    Column("parameters", json_type(), nullable=False),
    Column("tags", json_type(), nullable=False),
    Column("work_queue", String(255), nullable=False),
    Column("paused", Boolean, nullable=False),
    Column("catchup", String(16), nullable=False),
    Column("catchup_window_seconds", Integer, nullable=False),
    Column("catchup_max_runs", Integer, nullable=False),
    Column("max_active_runs", Integer),
    Column("run_timeout_seconds", Float),
    Column("version", String(255)),
    Column("description", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    # Added by revision 0003: how often the monitor reschedules a run whose worker died.
    Column("crash_retries", Integer, nullable=False, default=0, server_default=text("0")),
    # Added by revision 0005: the flow's parameter JSON schema, when the deployer sent it.
    Column("parameter_schema", json_type()),
    # Added by revision 0006: the claim priority of its runs (higher is claimed first).
    Column("priority", Integer, nullable=False, default=0, server_default=text("0")),
    UniqueConstraint("flow_id", "name"),
    Index(None, "created", "id"),
)

schedules = Table(
    "schedules",
    metadata,
    _id("id", primary_key=True),
    _id("deployment_id", ForeignKey("deployments.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("expression", Text),
    Column("timezone", String(64), nullable=False),
    Column("interval_seconds", Integer),
    Column("anchor", UTCDateTime),
    Column("active", Boolean, nullable=False),
    # The first slot not yet handled; NULL until the scheduler has planned the schedule.
    Column("next_slot", UTCDateTime),
    # When the scheduler must look at this schedule next; NULL while it is inactive, its
    # deployment paused, or it is malformed. The tick reads only rows with due_at <= now.
    Column("due_at", UTCDateTime),
    Column("error", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Index(None, "due_at"),
    Index(None, "deployment_id", "position"),
)

task_runs = Table(
    "task_runs",
    metadata,
    _id("id", primary_key=True),
    _id("flow_run_id", ForeignKey("flow_runs.id"), nullable=False),
    Column("task_key", String(512), nullable=False),
    Column("task_name", String(255), nullable=False),
    Column("map_index", Integer),
    Column("state", String(32), nullable=False),
    Column("state_message", Text),
    Column("attempts", Integer, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("start_time", UTCDateTime),
    Column("end_time", UTCDateTime),
    *_result_columns(),
    Column("cache_key", String(512)),
    _id("child_flow_run_id"),
    UniqueConstraint("flow_run_id", "task_key"),
)

state_events = Table(
    "state_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    # Either a flow run or a task run id, so no foreign key.
    _id("run_id", nullable=False),
    Column("run_kind", String(8), nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("message", Text),
    Column("forced", Boolean, nullable=False, default=False),
    # A task run's creation and start (None -> PENDING -> RUNNING, no message, not forced)
    # folded into the row of its next transition: one row per quick task instead of
    # three. Reads expand them again (store/events.py).
    Column("pending_at", UTCDateTime),
    Column("running_at", UTCDateTime),
    Index(None, "run_id"),
)

task_edges = Table(
    "task_edges",
    metadata,
    _id("flow_run_id", nullable=False),
    _id("upstream_id", nullable=False),
    _id("downstream_id", nullable=False),
    PrimaryKeyConstraint("flow_run_id", "upstream_id", "downstream_id"),
)

logs = Table(
    "logs",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _id("flow_run_id", nullable=False),
    _id("task_run_id"),
    Column("level", Integer, nullable=False),
    Column("logger", String(255), nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Index(None, "flow_run_id", "id"),
)

cache = Table(
    "cache",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("serializer", String(16), nullable=False),
    Column("storage", String(16), nullable=False),
    Column("data", LargeBinary),
    Column("path", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime),
)

workers = Table(
    "workers",
    metadata,
    _id("id", primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("queues", json_type(), nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("pid", Integer),
    Column("host", String(255)),
)

# One row per flow run a worker holds; `epoch` equals the run's lease_epoch while it is held.
# No foreign keys: the monitor must be able to drop a lease whatever happened to its worker.
leases = Table(
    "leases",
    metadata,
    _id("flow_run_id", primary_key=True),
    _id("worker_id", nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    # Added by revision 0006: when the run's deployment timeout ends this attempt (the
    # monitor then asks its worker to stop it); NULL without a timeout or once handled.
    Column("timeout_at", UTCDateTime),
    Index(None, "expires_at"),
    Index(None, "timeout_at"),
)

# Added by revision 0004: the pause points of flow runs and the input each was resumed with.
# No foreign key: like leases, these rows are handled whatever happened to their run.
run_inputs = Table(
    "run_inputs",
    metadata,
    _id("flow_run_id", nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("schema", json_type()),
    Column("description", Text),
    Column("value", json_type()),
    Column("deadline", UTCDateTime, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("responded", UTCDateTime),
    PrimaryKeyConstraint("flow_run_id", "key"),
    Index(None, "status", "deadline"),
)

# Added by revision 0006. Queues are implicit until stored: a queue without a row has
# priority 0, no concurrency limit and is not paused.
work_queues = Table(
    "work_queues",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("concurrency_limit", Integer),
    Column("paused", Boolean, nullable=False),
    Column("description", Text),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# Concurrency limits by tag; the tag "*" limits every flow run.
concurrency_limits = Table(
    "concurrency_limits",
    metadata,
    Column("tag", String(255), primary_key=True),
    Column("slot_limit", Integer, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# One row per slot a holder (a flow run) takes against a limit, keyed "tag:<tag>",
# "deployment:<id>" or "queue:<name>". A slot is a lease: it expires with its run's lease
# and counts only until then. No foreign keys, as for leases.
concurrency_slots = Table(
    "concurrency_slots",
    metadata,
    Column("key", String(300), nullable=False),
    _id("holder_id", nullable=False),
    _id("flow_run_id", nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("key", "holder_id"),
    Index(None, "flow_run_id"),
    Index(None, "expires_at"),
)

# Added by revision 0007: what runs record for people (tables, markdown, links). No foreign
# keys: artifacts arrive in write batches that may precede their task run's row.
artifacts = Table(
    "artifacts",
    metadata,
    _id("id", primary_key=True),
    _id("flow_run_id", nullable=False),
    _id("task_run_id"),
    Column("key", String(255)),
    Column("kind", String(16), nullable=False),
    Column("description", Text),
    Column("data", json_type(), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Index(None, "flow_run_id", "created"),
    Index(None, "key", "created"),
)

# Added by revision 0008: events (flow-run state changes, asset updates, webhooks, custom
# events). `seq` orders them as stored and is the cursor the trigger and notification loops
# follow; `id` is the public identity a sender may choose, so a retried webhook is stored once.
events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _id("id", nullable=False),
    Column("name", String(255), nullable=False),
    Column("occurred", UTCDateTime, nullable=False),
    Column("received", UTCDateTime, nullable=False),
    Column("resource", String(512), nullable=False),
    Column("payload", json_type(), nullable=False),
    Column("related", json_type(), nullable=False),
    Index(None, "id", unique=True),
    Index(None, "name", "seq"),
    Index(None, "received"),
)

# How far each background consumer of `events` has read (by seq).
event_cursors = Table(
    "event_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# Added by revision 0009: deployment triggers. `spec` is the trigger's dict form
# (core.triggers); `state` holds what an all-of asset trigger has seen since it last fired.
triggers = Table(
    "triggers",
    metadata,
    _id("id", primary_key=True),
    _id("deployment_id", ForeignKey("deployments.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("spec", json_type(), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("state", json_type(), nullable=False),
    Column("last_fired", UTCDateTime),
    Column("fired_count", Integer, nullable=False, default=0, server_default=text("0")),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Index(None, "deployment_id", "position"),
)

# Added by revision 0010: notification rules. `urls` hold credentials (apprise URLs): they are
# only ever shown masked.
notification_rules = Table(
    "notification_rules",
    metadata,
    _id("id", primary_key=True),
    Column("name", String(255)),
    Column("urls", json_type(), nullable=False),
    Column("states", json_type(), nullable=False),
    Column("deployment", String(512)),
    Column("tags", json_type(), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Index(None, "created", "id"),
)


# Added by revision 0012: access control, the audit log, secrets and variables.
users = Table(
    "users",
    metadata,
    _id("id", primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    # scrypt$N$r$p$salt$key (legato.core.credentials); never sent anywhere.
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# Only the SHA-256 digest of a token is stored; `prefix` tells tokens apart in listings.
api_tokens = Table(
    "api_tokens",
    metadata,
    _id("id", primary_key=True),
    _id("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime),
    Column("revoked", UTCDateTime),
    Column("last_used", UTCDateTime),
    Index(None, "user_id"),
)

# Browser sessions after signing in, keyed by the digest of the cookie's value.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    _id("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_digest", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime, nullable=False),
    Index(None, "expires"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(1024)),
    Column("source", String(255)),
    Column("detail", json_type()),
    Index(None, "at"),
)

# Fernet tokens (AES-128-CBC + HMAC-SHA256) of secret values; names are plain.
secrets = Table(
    "secrets",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

variables = Table(
    "variables",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value", json_type()),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# Added by revision 0014: Argo WorkflowTemplates and ClusterWorkflowTemplates registered with
# the server for templateRef (the manifest text they were applied from, versioned).
workflow_templates = Table(
    "workflow_templates",
    metadata,
    Column("kind", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("kind", "name"),
)
