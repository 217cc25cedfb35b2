// The runs list: filters in the URL (flow, deployment, state, tag, time range, free text),
// pagination (keyset cursor when the server gives one, else offset), bulk cancel/retry/delete.
import { useState } from "react";
import { Loading, ProblemBox, StateBadge } from "../components/common";
import { api, ApiError, type FlowRun, type Page } from "../lib/api";
import { durationOf, formatDuration, formatTime } from "../lib/format";
import { usePoll } from "../lib/hooks";
import { Link, setQuery, useLocation } from "../lib/router";
import { useCan } from "../lib/session";
import { ALL_STATES } from "../lib/states";

const PAGE = 50;

export function Runs() {
  const { query } = useLocation();
  const filters = {
    flow_name: query.get("flow_name") ?? "",
    deployment_id: query.get("deployment_id") ?? "",
    state: query.getAll("state"),
    tag: query.get("tag") ?? "",
    since: query.get("since") ?? "",
    until: query.get("until") ?? "",
    q: query.get("q") ?? "",
  };
  const cursor = query.get("cursor") ?? "";
  const offset = Number(query.get("offset") ?? "0") || 0;
  const key = query.toString();
  const runs = usePoll(
    () => api.get<Page<FlowRun>>("/flow-runs", { ...filters, since: toIso(filters.since), until: toIso(filters.until), limit: PAGE, cursor: cursor || undefined, offset: cursor ? undefined : offset || undefined }),
    [key],
    5000,
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkError, setBulkError] = useState<ApiError | null>(null);
  const canOperate = useCan("operator");
  const [bulkNote, setBulkNote] = useState<string | null>(null);
  const items = runs.data?.items ?? [];

  const bulk = async (action: "cancel" | "retry" | "delete") => {
    setBulkError(null);
    setBulkNote(null);
    const ids = [...selected];
    if (action === "delete" && !window.confirm(`Delete ${ids.length} runs with their task runs and logs?`)) return;
    try {
      const outcome = await api.post<{ results: { id: string; ok: boolean; detail?: string }[] }>("/flow-runs/bulk", { action, ids });
      const failed = outcome.results.filter((r) => !r.ok);
      setBulkNote(`${action}: ${outcome.results.length - failed.length} done${failed.length ? `, ${failed.length} refused (${failed.map((f) => f.detail).join("; ")})` : ""}.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && action !== "delete") {
        // Servers without the bulk endpoint: one request per run.
        const paths = ids.map((id) => `/flow-runs/${id}/${action}`);
        const settled = await Promise.allSettled(paths.map((p) => api.post(p)));
        const failed = settled.filter((s) => s.status === "rejected").length;
        setBulkNote(`${action}: ${ids.length - failed} done${failed ? `, ${failed} refused` : ""}.`);
      } else setBulkError(error instanceof ApiError ? error : new ApiError(0, "Error", String(error)));
    }
    setSelected(new Set());
    runs.reload();
  };

  const toggle = (id: string) =>
    setSelected((old) => {
      const next = new Set(old);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const nextPage = runs.data?.next_cursor ? { cursor: runs.data.next_cursor, offset: null } : runs.data?.next_offset ? { offset: String(runs.data.next_offset), cursor: null } : null;

  return (
    <div className="page">
      <h1>Runs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <input aria-label="Search runs" placeholder="Search (name, flow, id)" defaultValue={filters.q} onChange={(e) => setQuery({ q: e.target.value, cursor: null, offset: null })} data-shortcut="search" />
        <input aria-label="Flow" placeholder="Flow name" defaultValue={filters.flow_name} onChange={(e) => setQuery({ flow_name: e.target.value, cursor: null, offset: null })} />
        <input aria-label="Tag" placeholder="Tag" defaultValue={filters.tag} onChange={(e) => setQuery({ tag: e.target.value, cursor: null, offset: null })} />
        <label>From <input type="datetime-local" aria-label="From" defaultValue={filters.since} onChange={(e) => setQuery({ since: e.target.value, cursor: null, offset: null })} /></label>
        <label>To <input type="datetime-local" aria-label="To" defaultValue={filters.until} onChange={(e) => setQuery({ until: e.target.value, cursor: null, offset: null })} /></label>
        <div className="state-filter" role="group" aria-label="States">
          {ALL_STATES.map((state) => (
            <label key={state} className="chip">
              <input
                type="checkbox"
                checked={filters.state.includes(state)}
                onChange={(e) => setQuery({ state: e.target.checked ? [...filters.state, state] : filters.state.filter((s) => s !== state), cursor: null, offset: null })}
              />
              {state.toLowerCase()}
            </label>
          ))}
        </div>
      </form>
      {canOperate ? (
      <div className="toolbar">
        <span className="muted">{selected.size} selected</span>
        <button disabled={!selected.size} onClick={() => bulk("cancel")}>Cancel</button>
        <button disabled={!selected.size} onClick={() => bulk("retry")}>Retry</button>
        <button disabled={!selected.size} className="danger" onClick={() => bulk("delete")}>Delete</button>
      </div>
      ) : null}
      <ProblemBox error={bulkError} />
      {bulkNote ? <div className="notice" role="status">{bulkNote}</div> : null}
      <ProblemBox error={runs.error} onRetry={runs.reload} />
      {!runs.data && !runs.error ? <Loading what="runs" /> : null}
      {runs.data ? (
        <table className="table" data-testid="runs-table">
          <thead>
            <tr>
              <th><input type="checkbox" aria-label="Select all" checked={items.length > 0 && items.every((r) => selected.has(r.id))} onChange={(e) => setSelected(e.target.checked ? new Set(items.map((r) => r.id)) : new Set())} /></th>
              <th>Run</th><th>Flow</th><th>State</th><th>Started</th><th>Duration</th><th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {items.map((run) => (
              <tr key={run.id}>
                <td><input type="checkbox" aria-label={`Select ${run.name}`} checked={selected.has(run.id)} onChange={() => toggle(run.id)} /></td>
                <td><Link to={`/runs/${run.id}`}>{run.name}</Link></td>
                <td><Link to={`/runs?flow_name=${encodeURIComponent(run.flow_name)}`}>{run.flow_name}</Link></td>
                <td><StateBadge state={run.state} /></td>
                <td>{formatTime(run.start_time ?? run.created)}</td>
                <td>{formatDuration(durationOf(run.start_time, run.end_time))}</td>
                <td>{(run.tags ?? []).join(", ")}</td>
              </tr>
            ))}
            {items.length === 0 ? <tr><td colSpan={7} className="muted">No runs match.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
      <div className="pager">
        {cursor || offset ? <button onClick={() => setQuery({ cursor: null, offset: null })}>First page</button> : null}
        {nextPage ? <button onClick={() => setQuery(nextPage)}>Next page</button> : null}
      </div>
    </div>
  );
}

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
