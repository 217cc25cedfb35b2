// The one door to the REST API: JSON requests under /api/v1, problem+json errors turned into
// ApiError (shown to people as the problem's own sentence), the CSRF cookie echoed on writes,
// and a 401 sends the person to the sign-in page, which brings them back to this URL.
import { takePrefetched } from "./prefetch";
import { navigate } from "./router";

export const API = "/api/v1";

export type StateName =
  | "PENDING" | "SCHEDULED" | "RUNNING" | "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLING"
  | "CANCELLED" | "AWAITING_RETRY" | "PAUSED" | "SKIPPED" | "CACHED" | "SUSPENDED";

export interface FlowRun {
  id: string;
  flow_name: string;
  name: string;
  parameters: Record<string, unknown>;
  state: StateName;
  state_message: string | null;
  created: string;
  updated: string;
  start_time: string | null;
  end_time: string | null;
  run_count: number;
  flow_version_id?: string | null;
  entrypoint?: string | null;
  tags?: string[];
  parent_flow_run_id?: string | null;
  parent_task_run_id?: string | null;
  result?: { serializer: string; storage: string; data?: string | null; path?: string | null } | null;
  deployment_id?: string | null;
}

export interface TaskRun {
  id: string;
  flow_run_id: string;
  task_key: string;
  task_name: string;
  map_index: number | null;
  state: StateName;
  state_message: string | null;
  attempts: number;
  created: string;
  updated: string;
  start_time: string | null;
  end_time: string | null;
  result?: FlowRun["result"];
  child_flow_run_id?: string | null;
}

export interface LogLine {
  id: number;
  flow_run_id: string;
  task_run_id: string | null;
  level: number;
  logger: string;
  message: string;
  timestamp: string;
}

export interface StateEvent {
  id: number;
  run_id: string;
  run_kind: string;
  from_state: StateName | null;
  to_state: StateName;
  timestamp: string;
  message: string | null;
  forced: boolean;
}

export interface Schedule {
  id: string;
  kind: string;
  cron: string | null;
  interval: number | null;
  rrule: string | null;
  timezone: string;
  active: boolean;
  next_slot: string | null;
  error: string | null;
}

export interface Deployment {
  id: string;
  flow_name: string;
  name: string;
  entrypoint: string;
  flow_version_id: string | null;
  parameters: Record<string, unknown>;
  parameter_schema?: JsonSchema | null;
  tags: string[];
  work_queue: string;
  paused: boolean;
  schedules: Schedule[];
  schedule_text?: string | null;
  next_runs?: string[];
  description: string | null;
  version: string | null;
  created: string;
  updated: string;
}

export interface DeploymentRun {
  id: string;
  deployment_id: string;
  scheduled_time: string | null;
  state: StateName;
  state_message: string | null;
  parameters: Record<string, unknown>;
  created: string;
  late: boolean;
  is_backfill: boolean;
}

export interface InputRequest {
  flow_run_id: string;
  key: string;
  kind: string;
  status: string;
  deadline: string;
  input_schema: JsonSchema | null;
  description: string | null;
}

export interface Worker {
  id: string;
  name: string;
  queues: string[];
  heartbeat_at: string;
  status: string;
  pid: number | null;
  host: string | null;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
}

export interface Page<T> {
  items: T[];
  next_offset?: number | null;
  next_cursor?: string | null;
  next_after_id?: number | null;
}

/** An API failure carrying the problem+json document's title and detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly problemType: string = "about:blank",
  ) {
    super(detail || title);
  }
}

/** `caught` as an ApiError: itself when it is one, else a status-0 error carrying its text. */
export function asApiError(caught: unknown): ApiError {
  return caught instanceof ApiError ? caught : new ApiError(0, "Error", String(caught));
}

type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function csrfToken(): string | null {
  const match = document.cookie.match(/(?:^|;\s*)legato_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

function toSignIn(): void {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === "/signin") return;
  navigate(`/signin?next=${encodeURIComponent(here)}`, true);
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response: Response;
  try {
    const url = API + path + queryString(query);
    response = await ((method === "GET" ? takePrefetched(url) : undefined) ?? fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }));
  } catch (error) {
    throw new ApiError(0, "Server unreachable", `The Legato server could not be reached (${String(error)}).`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.status === 401 && path !== "/auth/login") toSignIn();
  if (!response.ok) {
    const problem = (parsed ?? {}) as { title?: string; detail?: string; type?: string };
    throw new ApiError(
      response.status,
      problem.title ?? response.statusText ?? "Error",
      problem.detail ?? (text.slice(0, 300) || `HTTP ${response.status}`),
      problem.type,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, undefined, query),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
};

/** Every item of an offset-paginated list (task runs, edges), page after page. */
export async function fetchAll<T>(path: string, query: Query = {}, pageSize = 500): Promise<T[]> {
  const items: T[] = [];
  let offset: number | null | undefined = 0;
  while (offset !== null && offset !== undefined) {
    const page: Page<T> = await api.get<Page<T>>(path, { ...query, limit: pageSize, offset });
    items.push(...page.items);
    offset = page.next_offset;
  }
  return items;
}
