// Task durations across the recent runs of a deployment or a flow: a chart per chosen task
// (?task=KEY in the URL) and a table of every task's median, p95, max and newest duration,
// sortable, so the slow and the slowing tasks stand out.
import { useMemo } from "react";
import { DurationChart } from "../components/DurationChart";
import { Loading, ProblemBox } from "../components/common";
import { ViewScope } from "../components/ViewScope";
import { api } from "../lib/api";
import { durationStats, type DurationStats } from "../lib/durations";
import { formatDuration } from "../lib/format";
import type { GridRun } from "../lib/grid";
import { usePoll } from "../lib/hooks";
import { navigate, setQuery, useLocation } from "../lib/router";
import { scopeQuery, type Scope } from "../lib/scope";

interface DurationsDoc {
  runs: GridRun[];
  tasks: { task_key: string; durations: (number | null)[] }[];
}

type SortKey = "task" | "median" | "p95" | "max" | "last";

const seconds = (s: number | null) => formatDuration(s === null ? null : s * 1000);

export function DurationsPage({ scope }: { scope: Exclude<Scope, { kind: "all" }> }) {
  const { query } = useLocation();
  const limit = Number(query.get("runs")) || 100;
  const doc = usePoll(() => api.get<DurationsDoc>("/task-durations", { ...scopeQuery(scope), limit }), [JSON.stringify(scope), limit]);
  const sort = (query.get("sort") as SortKey) || "median";
  const rows = useMemo(() => {
    const all = (doc.data?.tasks ?? []).map((t) => ({ ...t, stats: durationStats(t.durations) }));
    const value = (s: DurationStats) => (sort === "task" ? 0 : s[sort] ?? -1);
    return sort === "task" ? all : all.sort((a, b) => value(b.stats) - value(a.stats));
  }, [doc.data, sort]);
  const chosen = query.get("task") ?? rows[0]?.task_key ?? null;
  const series = rows.find((r) => r.task_key === chosen) ?? null;
  const runs = doc.data?.runs ?? [];
  const header = (key: SortKey, text: string) => (
    <th aria-sort={sort === key ? "descending" : "none"}>
      <button className="link" onClick={() => setQuery({ sort: key === "median" ? null : key })}>{text}</button>
    </th>
  );
  return (
    <div className="page">
      <ViewScope scope={scope} view="durations">
        <label>
          Task{" "}
          <select aria-label="Task" value={chosen ?? ""} onChange={(e) => setQuery({ task: e.target.value })}>
            {rows.map((r) => <option key={r.task_key} value={r.task_key}>{r.task_key}</option>)}
          </select>
        </label>
      </ViewScope>
      <ProblemBox error={doc.error} onRetry={doc.reload} />
      {!doc.data && !doc.error ? <Loading what="task durations" /> : null}
      {doc.data && rows.length === 0 ? <p className="muted">No task has run yet.</p> : null}
      {series ? (
        <div className="card">
          <DurationChart title={series.task_key} runs={runs} durations={series.durations} width={960} height={220} onOpen={(i) => navigate(`/runs/${runs[i].id}?task_key=${encodeURIComponent(series.task_key)}`)} />
        </div>
      ) : null}
      {rows.length ? (
        <table className="table" data-testid="durations-table">
          <thead><tr>{header("task", "Task")}<th>Runs</th>{header("median", "Median")}{header("p95", "p95")}{header("max", "Max")}{header("last", "Newest")}</tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.task_key} className={r.task_key === chosen ? "selected" : undefined}>
                <td><button className="link" onClick={() => setQuery({ task: r.task_key })}>{r.task_key}</button></td>
                <td>{r.stats.count}</td>
                <td>{seconds(r.stats.median)}</td>
                <td>{seconds(r.stats.p95)}</td>
                <td>{seconds(r.stats.max)}</td>
                <td>{seconds(r.stats.last)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
