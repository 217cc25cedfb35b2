// Loading a run's graph: the compact /graph endpoint when the server has it, else task runs
// and edges page by page. Results of JSON serializer are decoded for display (never pickles).
import { api, ApiError, fetchAll, type TaskRun } from "./api";

interface CompactTask {
  id: string;
  task_key: string;
  name?: string;
  state: TaskRun["state"];
  start?: string | null;
  end?: string | null;
  map_index?: number | null;
  subflow_run_id?: string | null;
  attempts?: number;
}

export interface RunGraphData {
  tasks: TaskRun[];
  edges: [string, string][];
}

let compactGraph: boolean | null = null;

export async function loadRunGraph(runId: string): Promise<RunGraphData> {
  if (compactGraph !== false) {
    try {
      const graph = await api.get<{ tasks: CompactTask[]; edges: [string, string][] }>(`/flow-runs/${runId}/graph`);
      compactGraph = true;
      return {
        tasks: graph.tasks.map((t) => ({
          id: t.id, flow_run_id: runId, task_key: t.task_key, task_name: t.name ?? t.task_key, map_index: t.map_index ?? null,
          state: t.state, state_message: null, attempts: t.attempts ?? 0, created: "", updated: "", start_time: t.start ?? null,
          end_time: t.end ?? null, child_flow_run_id: t.subflow_run_id ?? null,
        })),
        edges: graph.edges,
      };
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405) || compactGraph) throw error;
      compactGraph = false;
    }
  }
  const [tasks, edges] = await Promise.all([
    fetchAll<TaskRun>(`/flow-runs/${runId}/task-runs`),
    fetchAll<{ upstream_id: string; downstream_id: string }>(`/flow-runs/${runId}/edges`),
  ]);
  return { tasks, edges: edges.map((e) => [e.upstream_id, e.downstream_id]) };
}

/** A readable form of an inline JSON result; other serializers are described, not decoded.
 * A "masked" result held a secret: only its masked JSON (if any) was stored. */
export function describeResult(result: TaskRun["result"] | undefined): string {
  if (!result) return "no result";
  if (result.serializer === "masked") {
    if (result.storage !== "store" && result.data) {
      const shown = decodeJson(result.data);
      if (shown !== null) return `result hidden: it contains a secret; masked:\n${shown}`;
    }
    return "result hidden: it contains a secret";
  }
  if (result.storage === "store") return `stored at ${result.path ?? "?"} (${result.serializer})`;
  if (result.serializer !== "json" || !result.data) return `${result.serializer} result (${result.data ? Math.floor((result.data.length * 3) / 4) : 0} bytes), not shown`;
  return decodeJson(result.data) ?? "unreadable JSON result";
}

function decodeJson(data: string): string | null {
  try {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    return JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 2);
  } catch {
    return null;
  }
}
