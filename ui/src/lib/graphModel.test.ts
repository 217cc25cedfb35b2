import { describe, expect, it } from "vitest";
import type { TaskRun } from "./api";
import { buildGraph, summaryState } from "./graphModel";

function task(id: string, key: string, state: string, mapIndex: number | null = null): TaskRun {
  return {
    id, flow_run_id: "f", task_key: key, task_name: key.split("-")[0], map_index: mapIndex, state: state as TaskRun["state"],
    state_message: null, attempts: 1, created: "", updated: "", start_time: null, end_time: null,
  };
}

const TASKS = [
  task("e", "extract-0", "COMPLETED"),
  task("t0", "transform-0[0]", "COMPLETED", 0),
  task("t1", "transform-0[1]", "FAILED", 1),
  task("t2", "transform-0[2]", "COMPLETED", 2),
  task("l", "load-0", "PENDING"),
];
const EDGES: [string, string][] = [["e", "t0"], ["e", "t1"], ["e", "t2"], ["t0", "l"], ["t1", "l"], ["t2", "l"]];

describe("buildGraph", () => {
  it("collapses a mapped task into one node with counts and the most urgent state", () => {
    const graph = buildGraph(TASKS, EDGES);
    expect(graph.nodes.map((n) => n.label)).toEqual(["extract-0", "transform-0", "load-0"]);
    const mapped = graph.nodes[1];
    expect(mapped.counts).toEqual({ COMPLETED: 2, FAILED: 1 });
    expect(mapped.state).toBe("FAILED");
    expect(graph.edges).toEqual([[0, 1], [1, 2]]);
  });

  it("shows each mapped run when its task is expanded", () => {
    const graph = buildGraph(TASKS, EDGES, new Set(["transform-0"]));
    expect(graph.nodes).toHaveLength(5);
    expect(graph.edges).toHaveLength(6);
    expect(graph.nodes[2]).toMatchObject({ label: "transform-0[1]", state: "FAILED", mappedKey: "transform-0" });
  });

  it("summarises all-completed groups as completed", () => {
    expect(summaryState({ COMPLETED: 3, CACHED: 1 })).toBe("COMPLETED");
  });
});
