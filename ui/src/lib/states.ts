// State colours and groupings shared by every view (graph, Gantt, grid, badges).
import type { StateName } from "./api";

export const STATE_COLORS: Record<string, string> = {
  PENDING: "#9aa5b1",
  SCHEDULED: "#b08cf0",
  RUNNING: "#3b82f6",
  COMPLETED: "#22a55b",
  CACHED: "#5fbf8a",
  FAILED: "#e5484d",
  CRASHED: "#c2410c",
  CANCELLING: "#d4a017",
  CANCELLED: "#8b8d98",
  AWAITING_RETRY: "#f59e0b",
  PAUSED: "#0ea5b7",
  SUSPENDED: "#0e7490",
  SKIPPED: "#c4c8cf",
};

export const ALL_STATES: StateName[] = [
  "SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CRASHED", "CANCELLING", "CANCELLED",
  "AWAITING_RETRY", "PAUSED", "SKIPPED", "CACHED",
];

export const FINAL_STATES = new Set<string>(["COMPLETED", "FAILED", "CRASHED", "CANCELLED", "SKIPPED", "CACHED"]);

export function stateColor(state: string): string {
  return STATE_COLORS[state] ?? "#9aa5b1";
}

export function isFinal(state: string): boolean {
  return FINAL_STATES.has(state);
}
