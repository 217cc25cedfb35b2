// Turns a run's task runs and edges into the nodes the graph draws: the runs of a mapped task
// collapse into one node with per-state counts (unless expanded), edges follow the nodes.
import type { TaskRun } from "./api";

export interface GraphNode {
  id: string;
  label: string;
  state: string;
  counts: Record<string, number>;
  taskIds: string[];
  mappedKey: string | null;
  childFlowRunId: string | null;
}

export interface GraphModel {
  nodes: GraphNode[];
  edges: [number, number][];
  nodeOfTask: Map<string, number>;
}

const MAPPED_SUFFIX = /\[\d+\]$/;

// The state a collapsed node shows: the most urgent among its runs.
const URGENCY = [
  "FAILED", "CRASHED", "CANCELLING", "RUNNING", "AWAITING_RETRY", "PAUSED", "SUSPENDED", "PENDING",
  "SCHEDULED", "CANCELLED", "COMPLETED", "CACHED", "SKIPPED",
];

export function summaryState(counts: Record<string, number>): string {
  for (const state of URGENCY) if (counts[state]) return state;
  return Object.keys(counts)[0] ?? "PENDING";
}

export function mappedKeyOf(task: Pick<TaskRun, "task_key" | "map_index">): string | null {
  return task.map_index === null || task.map_index === undefined ? null : task.task_key.replace(MAPPED_SUFFIX, "");
}

export function buildGraph(
  tasks: ReadonlyArray<TaskRun>,
  edges: ReadonlyArray<readonly [string, string]>,
  expanded: ReadonlySet<string> = new Set(),
): GraphModel {
  const nodes: GraphNode[] = [];
  const nodeOfTask = new Map<string, number>();
  const nodeOfGroup = new Map<string, number>();
  for (const task of tasks) {
    const key = mappedKeyOf(task);
    if (key !== null && !expanded.has(key)) {
      let index = nodeOfGroup.get(key);
      if (index === undefined) {
        index = nodes.length;
        nodeOfGroup.set(key, index);
        nodes.push({ id: `map:${key}`, label: key, state: task.state, counts: {}, taskIds: [], mappedKey: key, childFlowRunId: null });
      }
      const node = nodes[index];
      node.counts[task.state] = (node.counts[task.state] ?? 0) + 1;
      node.taskIds.push(task.id);
      nodeOfTask.set(task.id, index);
    } else {
      nodeOfTask.set(task.id, nodes.length);
      nodes.push({
        id: task.id, label: task.task_key, state: task.state, counts: { [task.state]: 1 }, taskIds: [task.id],
        mappedKey: key, childFlowRunId: task.child_flow_run_id ?? null,
      });
    }
  }
  for (const node of nodes) if (node.taskIds.length > 1 || node.id.startsWith("map:")) node.state = summaryState(node.counts);
  const seen = new Set<number>();
  const graphEdges: [number, number][] = [];
  for (const [up, down] of edges) {
    const from = nodeOfTask.get(up);
    const to = nodeOfTask.get(down);
    if (from === undefined || to === undefined || from === to) continue;
    const id = from * 1_000_003 + to;
    if (seen.has(id)) continue;
    seen.add(id);
    graphEdges.push([from, to]);
  }
  return { nodes, edges: graphEdges, nodeOfTask };
}
