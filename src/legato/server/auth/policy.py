"""Who may call what: the one table of the minimum role of every API operation, and the
exact paths that need no credentials. A route missing from the table needs admin (deny by
default) and fails tests/unit/server/auth/test_policy.py, which walks the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass

from legato.core.auth import Role
from legato.schemas.api import API_PREFIX


@dataclass(frozen=True, slots=True)
class Rule:
    """The minimum role of an operation (None: public) and the audit action it records when
    it succeeds (None: not audited here; the accounts service audits its own changes)."""

    role: Role | None
    audit: str | None = None


PUBLIC = Rule(None)
VIEW = Rule(Role.VIEWER)
OPERATE = Rule(Role.OPERATOR)
ADMIN = Rule(Role.ADMIN)


def _operate(action: str) -> Rule:
    return Rule(Role.OPERATOR, action)


_P = API_PREFIX
# (method, path template as in the OpenAPI document) -> rule.
ROUTE_RULES: dict[tuple[str, str], Rule] = {
    # health and sign-in answer without credentials
    ("GET", f"{_P}/health"): PUBLIC,
    ("GET", f"{_P}/ready"): PUBLIC,
    ("POST", f"{_P}/auth/login"): PUBLIC,
    ("POST", f"{_P}/auth/logout"): VIEW,
    ("GET", f"{_P}/auth/me"): VIEW,
    # flow versions, runs and what the engine records (flow processes hold operator tokens)
    ("POST", f"{_P}/flow-versions"): OPERATE,
    ("GET", f"{_P}/flow-versions/{{flow_version_id}}"): VIEW,
    ("POST", f"{_P}/flow-runs"): OPERATE,
    ("GET", f"{_P}/flow-runs"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}"): VIEW,
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/state"): OPERATE,
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/retry"): _operate("flow-run.retry"),
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/cancel"): _operate("flow-run.cancel"),
    ("POST", f"{_P}/write-batches"): OPERATE,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/task-runs"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/task-run-counts"): VIEW,
    ("GET", f"{_P}/runs/{{run_id}}/state-events"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/logs"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/edges"): VIEW,
    ("GET", f"{_P}/cache-entries"): VIEW,
    # events: emitting one may trigger deployments
    ("GET", f"{_P}/events"): VIEW,
    ("POST", f"{_P}/events"): OPERATE,
    # views for the UI
    ("GET", f"{_P}/flow-runs/compare"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/graph"): VIEW,
    ("GET", f"{_P}/deployments/{{deployment_id}}/grid"): VIEW,
    ("GET", f"{_P}/flows/{{flow_name}}/grid"): VIEW,
    ("GET", f"{_P}/task-durations"): VIEW,
    ("POST", f"{_P}/cache-entries"): OPERATE,
    # pauses: the flow's process pauses and expires, people resume
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/pause"): OPERATE,
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/resume"): _operate("flow-run.resume"),
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/pause/expire"): OPERATE,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/input-request"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/inputs/{{key}}"): VIEW,
    # deployments
    ("POST", f"{_P}/deployments"): _operate("deployment.create"),
    ("GET", f"{_P}/deployments"): VIEW,
    ("GET", f"{_P}/deployments/{{deployment_id}}"): VIEW,
    ("PATCH", f"{_P}/deployments/{{deployment_id}}"): _operate("deployment.update"),
    ("DELETE", f"{_P}/deployments/{{deployment_id}}"): _operate("deployment.delete"),
    ("POST", f"{_P}/deployments/{{deployment_id}}/pause"): _operate("deployment.pause"),
    ("POST", f"{_P}/deployments/{{deployment_id}}/resume"): _operate("deployment.resume"),
    ("POST", f"{_P}/deployments/{{deployment_id}}/runs"): _operate("deployment.trigger"),
    ("GET", f"{_P}/deployments/{{deployment_id}}/runs"): VIEW,
    ("POST", f"{_P}/deployments/{{deployment_id}}/backfill"): _operate("deployment.backfill"),
    # workers hold operator tokens
    ("GET", f"{_P}/workers"): VIEW,
    ("POST", f"{_P}/workers"): OPERATE,
    ("POST", f"{_P}/workers/{{worker_id}}/heartbeat"): OPERATE,
    ("POST", f"{_P}/workers/{{worker_id}}/claims"): OPERATE,
    ("POST", f"{_P}/flow-runs/{{flow_run_id}}/lease/heartbeat"): OPERATE,
    ("POST", f"{_P}/workers/{{worker_id}}/leases/heartbeat"): OPERATE,
    # task-run concurrency slots, taken by the engine of flows running against the server
    ("GET", f"{_P}/task-slots/limited-tags"): VIEW,
    ("POST", f"{_P}/task-slots"): OPERATE,
    ("POST", f"{_P}/task-slots/renew"): OPERATE,
    ("DELETE", f"{_P}/task-slots/{{task_run_id}}"): OPERATE,
    # run actions and read views of the UI
    ("DELETE", f"{_P}/flow-runs/{{flow_run_id}}"): _operate("flow-run.delete"),
    ("POST", f"{_P}/flow-runs/bulk"): _operate("flow-run.bulk"),
    ("GET", f"{_P}/task-runs/{{task_run_id}}"): VIEW,
    ("POST", f"{_P}/task-runs/{{task_run_id}}/state"): _operate("task-run.mark"),
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/logs/download"): VIEW,
    ("GET", f"{_P}/flow-runs/{{flow_run_id}}/artifacts"): VIEW,
    ("GET", f"{_P}/artifacts"): VIEW,
    ("GET", f"{_P}/dashboard"): VIEW,
    ("GET", f"{_P}/calendar"): VIEW,
    ("GET", f"{_P}/flows"): VIEW,
    ("GET", f"{_P}/flows/{{flow_name}}/versions"): VIEW,
    ("GET", f"{_P}/flow-versions/{{flow_version_id}}/diff/{{other_id}}"): VIEW,
    ("GET", f"{_P}/schedules/describe"): VIEW,
    # triggers, work queues and concurrency limits
    ("GET", f"{_P}/triggers"): VIEW,
    ("GET", f"{_P}/deployments/{{deployment_id}}/triggers"): VIEW,
    ("PUT", f"{_P}/deployments/{{deployment_id}}/triggers"): _operate("deployment.triggers"),
    ("PATCH", f"{_P}/triggers/{{trigger_id}}"): _operate("trigger.update"),
    ("GET", f"{_P}/work-queues"): VIEW,
    ("GET", f"{_P}/work-queues/{{name}}"): VIEW,
    ("POST", f"{_P}/work-queues"): _operate("work-queue.create"),
    ("PATCH", f"{_P}/work-queues/{{name}}"): _operate("work-queue.update"),
    ("GET", f"{_P}/concurrency-limits"): VIEW,
    ("GET", f"{_P}/concurrency-limits/{{tag}}"): VIEW,
    ("POST", f"{_P}/concurrency-limits"): _operate("concurrency-limit.set"),
    ("DELETE", f"{_P}/concurrency-limits/{{tag}}"): _operate("concurrency-limit.delete"),
    # YAML workflow mutexes and semaphores, taken by the process running a workflow
    ("POST", f"{_P}/sync/acquire"): OPERATE,
    ("POST", f"{_P}/sync/renew"): OPERATE,
    ("DELETE", f"{_P}/sync/holders/{{holder_id}}"): OPERATE,
    # Argo WorkflowTemplates registered for templateRef
    ("GET", f"{_P}/workflow-templates"): VIEW,
    ("GET", f"{_P}/workflow-templates/{{name}}"): VIEW,
    ("POST", f"{_P}/workflow-templates"): _operate("workflow-template.create"),
    ("PUT", f"{_P}/workflow-templates"): _operate("workflow-template.apply"),
    ("DELETE", f"{_P}/workflow-templates/{{name}}"): _operate("workflow-template.delete"),
    # notification rules hold credentials in their URLs: admins change them
    ("GET", f"{_P}/notifications"): VIEW,  # URLs are shown masked
    ("POST", f"{_P}/notifications"): Rule(Role.ADMIN, "notification.create"),
    ("DELETE", f"{_P}/notifications/{{rule_id}}"): Rule(Role.ADMIN, "notification.delete"),
    # secrets and variables (ADR 0021): values are written by operators and read back only
    # through .../value, by operators (flow runs and workers hold operator tokens), audited
    ("GET", f"{_P}/secrets"): VIEW,  # names and dates only
    ("GET", f"{_P}/secrets/{{name}}"): VIEW,
    ("PUT", f"{_P}/secrets/{{name}}"): _operate("secret.set"),
    ("DELETE", f"{_P}/secrets/{{name}}"): _operate("secret.delete"),
    ("POST", f"{_P}/secrets/{{name}}/value"): _operate("secret.read"),
    ("GET", f"{_P}/variables"): VIEW,
    ("GET", f"{_P}/variables/{{name}}"): VIEW,
    ("PUT", f"{_P}/variables/{{name}}"): _operate("variable.set"),
    ("DELETE", f"{_P}/variables/{{name}}"): _operate("variable.delete"),
    # administration: users, tokens and the audit log
    ("GET", f"{_P}/users"): ADMIN,
    ("POST", f"{_P}/users"): ADMIN,
    ("PATCH", f"{_P}/users/{{username}}"): ADMIN,
    ("GET", f"{_P}/tokens"): ADMIN,
    ("POST", f"{_P}/tokens"): ADMIN,
    ("POST", f"{_P}/tokens/{{token_id}}/revoke"): ADMIN,
    ("GET", f"{_P}/audit"): ADMIN,
}

# Paths outside the OpenAPI document (the document itself, the docs page, unknown paths)
# have no rule here: the middleware lets any valid credentials through, i.e. a viewer.

# Exact paths anyone may request (the UI's shell must load to show its sign-in page).
PUBLIC_PATHS = frozenset(
    {f"{_P}/health", f"{_P}/ready", f"{_P}/auth/login", "/", "/index.html", "/favicon.ico"}
)
# The UI's static assets, which hold no data: fingerprinted files under these folders.
PUBLIC_ASSET_PREFIXES = ("/assets/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_public_path(path: str) -> bool:
    """Whether a request for `path` needs no credentials (exact paths and static assets).

    >>> is_public_path("/api/v1/health"), is_public_path("/api/v1/health/")
    (True, False)
    """
    if path in PUBLIC_PATHS:
        return True
    if ".." in path:
        return False
    # Outside the API there is only the UI's shell and its assets, which hold no data; a
    # deep link (/runs/<id>) must load the shell so that it can ask the person to sign in.
    return path.startswith(PUBLIC_ASSET_PREFIXES) or not (
        path == _P or path.startswith(f"{_P}/")
    )


def rule_for(method: str, template: str) -> Rule:
    """The rule of an operation; unknown operations need admin, so a route someone forgot
    to list is closed rather than open."""
    method = "GET" if method == "HEAD" else method
    return ROUTE_RULES.get((method, template), ADMIN)
