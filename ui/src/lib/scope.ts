// What a grid, calendar or duration page covers: one deployment, one flow, or (calendar only)
// every run; its API query and the URLs of its sibling views.

export type Scope = { kind: "deployment"; id: string } | { kind: "flow"; name: string } | { kind: "all" };

export type ViewName = "grid" | "calendar" | "durations";

export function scopeBase(scope: Scope): string {
  if (scope.kind === "deployment") return `/deployments/${encodeURIComponent(scope.id)}`;
  if (scope.kind === "flow") return `/flows/${encodeURIComponent(scope.name)}`;
  return "";
}

export function viewPath(scope: Scope, view: ViewName): string {
  return `${scopeBase(scope)}/${view}`;
}

/** The API query naming the scope (the task-durations and calendar routes take both). */
export function scopeQuery(scope: Scope): { deployment_id?: string; flow_name?: string } {
  if (scope.kind === "deployment") return { deployment_id: scope.id };
  if (scope.kind === "flow") return { flow_name: scope.name };
  return {};
}

/** The runs list filtered to this scope (extra filters appended). */
export function runsLink(scope: Scope, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...scopeQuery(scope), ...extra });
  const text = params.toString();
  return `/runs${text ? `?${text}` : ""}`;
}
