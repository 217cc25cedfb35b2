// Work queues and concurrency limits: each queue's priority, limit, paused state and runs
// waiting for a worker, with pause/resume and edits; each tag limit's slots in use, the runs
// holding them, and its limit to edit.
import { useState, type FormEvent } from "react";
import { Loading, ProblemBox } from "../components/common";
import { api } from "../lib/api";
import { formatTime } from "../lib/format";
import { useAction, usePoll } from "../lib/hooks";
import { Link } from "../lib/router";
import { roleNote, useSession } from "../lib/session";

interface WorkQueue {
  name: string;
  priority: number;
  concurrency_limit: number | null;
  paused: boolean;
  description: string | null;
  pending_runs: number;
  upcoming_runs: number;
  stored: boolean;
}

interface ConcurrencyLimit {
  tag: string;
  limit: number;
  in_use: number;
  holders: { flow_run_id: string; acquired_at: string; expires_at: string }[];
}

const limitValue = (text: string): number | null => (text.trim() === "" ? null : Number(text));

export function WorkQueues() {
  const queues = usePoll(() => api.get<{ items: WorkQueue[] }>("/work-queues", { implicit: true }), [], 3000);
  const { error, act } = useAction(queues.reload);
  const me = useSession();
  const denied = roleNote(me);
  const [editing, setEditing] = useState<string | null>(null);
  const setPaused = (q: WorkQueue, paused: boolean) =>
    act(() => (q.stored ? api.patch(`/work-queues/${encodeURIComponent(q.name)}`, { paused }) : api.post("/work-queues", { name: q.name, paused })));
  const save = async (q: WorkQueue, event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { priority: Number(form.get("priority")), concurrency_limit: limitValue(String(form.get("limit") ?? "")) };
    const done = await act(() => (q.stored ? api.patch(`/work-queues/${encodeURIComponent(q.name)}`, body) : api.post("/work-queues", { name: q.name, ...body })));
    if (done) setEditing(null);
  };
  return (
    <div className="page">
      <h1>Work queues</h1>
      <p className="muted">Workers claim runs from higher-priority queues first; a paused queue is not claimed from.</p>
      <ProblemBox error={error ?? queues.error} onRetry={queues.reload} />
      {!queues.data && !queues.error ? <Loading what="work queues" /> : null}
      {queues.data ? (
        <table className="table" data-testid="queues-table">
          <thead><tr><th>Queue</th><th>Priority</th><th>Concurrency limit</th><th>Pending runs</th><th>Scheduled later</th><th>State</th><th></th></tr></thead>
          <tbody>
            {queues.data.items.map((q) => (
              <tr key={q.name} data-queue={q.name}>
                <td>{q.name}{q.stored ? null : <span className="muted small"> (defaults)</span>}{q.description ? <div className="muted small">{q.description}</div> : null}</td>
                {editing === q.name ? (
                  <td colSpan={2}>
                    <form className="toolbar" onSubmit={(e) => save(q, e)} aria-label={`Edit ${q.name}`}>
                      <label>Priority <input name="priority" type="number" defaultValue={q.priority} style={{ width: 70 }} /></label>
                      <label>Limit <input name="limit" type="number" min={0} defaultValue={q.concurrency_limit ?? ""} placeholder="none" style={{ width: 70 }} /></label>
                      <button className="primary" type="submit">Save</button>
                      <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                    </form>
                  </td>
                ) : (
                  <>
                    <td>{q.priority}</td>
                    <td>{q.concurrency_limit ?? <span className="muted">none</span>}</td>
                  </>
                )}
                <td data-testid="pending-runs">{q.pending_runs}</td>
                <td>{q.upcoming_runs}</td>
                <td>{q.paused ? <span className="badge" style={{ background: "#8b8d98" }}>PAUSED</span> : <span className="ok">active</span>}</td>
                <td className="row-actions">
                  <button disabled={!!denied} title={denied} onClick={() => setPaused(q, !q.paused)}>{q.paused ? "Resume" : "Pause"}</button>
                  {editing !== q.name ? <button disabled={!!denied} title={denied} onClick={() => setEditing(q.name)}>Edit</button> : null}
                </td>
              </tr>
            ))}
            {queues.data.items.length === 0 ? <tr><td colSpan={7} className="muted">No work queues.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function ConcurrencyLimits() {
  const limits = usePoll(() => api.get<{ items: ConcurrencyLimit[] }>("/concurrency-limits"), [], 3000);
  const { error, act } = useAction(limits.reload);
  const me = useSession();
  const denied = roleNote(me);
  const [editing, setEditing] = useState<string | null>(null);
  const save = async (tag: string, event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const newTag = String(form.get("tag") ?? tag).trim();
    if (await act(() => api.post("/concurrency-limits", { tag: newTag, limit: Number(form.get("limit")) }))) {
      setEditing(null);
      element.reset();
    }
  };
  return (
    <div className="page">
      <h1>Concurrency limits</h1>
      <p className="muted">At most <em>limit</em> flow runs with a tag go at once (the tag <code>*</code> counts every run); the others wait for a slot.</p>
      <ProblemBox error={error ?? limits.error} onRetry={limits.reload} />
      {!limits.data && !limits.error ? <Loading what="concurrency limits" /> : null}
      {limits.data ? (
        <table className="table" data-testid="limits-table">
          <thead><tr><th>Tag</th><th>Slots in use</th><th>Limit</th><th>Runs holding a slot</th><th></th></tr></thead>
          <tbody>
            {limits.data.items.map((l) => (
              <tr key={l.tag} data-tag={l.tag}>
                <td><code>{l.tag}</code></td>
                <td data-testid="slots">
                  <span className="slots">{l.in_use} / {l.limit}</span>
                  <div className="slot-bar" aria-hidden="true"><div style={{ width: `${l.limit ? Math.min(100, (100 * l.in_use) / l.limit) : 100}%` }} className={l.in_use >= l.limit ? "full" : ""} /></div>
                </td>
                <td>
                  {editing === l.tag ? (
                    <form className="toolbar" onSubmit={(e) => save(l.tag, e)} aria-label={`Edit limit ${l.tag}`}>
                      <input name="limit" type="number" min={0} defaultValue={l.limit} aria-label="Limit" style={{ width: 70 }} />
                      <button className="primary" type="submit">Save</button>
                      <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                    </form>
                  ) : l.limit}
                </td>
                <td>
                  {l.holders.length ? (
                    <ul className="plain">
                      {l.holders.map((h) => (
                        <li key={h.flow_run_id}><Link to={`/runs/${h.flow_run_id}`}><code>{h.flow_run_id.slice(0, 8)}</code></Link> <span className="muted small">since {formatTime(h.acquired_at)}</span></li>
                      ))}
                    </ul>
                  ) : <span className="muted">none</span>}
                </td>
                <td className="row-actions">
                  {editing !== l.tag ? <button disabled={!!denied} title={denied} onClick={() => setEditing(l.tag)}>Edit limit</button> : null}
                  <button className="danger" disabled={!!denied} title={denied} onClick={() => { if (window.confirm(`Delete the limit of ${l.tag}?`)) act(() => api.del(`/concurrency-limits/${encodeURIComponent(l.tag)}`)); }}>Delete</button>
                </td>
              </tr>
            ))}
            {limits.data.items.length === 0 ? <tr><td colSpan={5} className="muted">No concurrency limits.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
      {!denied ? (
        <form className="toolbar card" onSubmit={(e) => save("", e)} aria-label="New limit">
          <strong>New limit</strong>
          <label>Tag <input name="tag" required /></label>
          <label>Limit <input name="limit" type="number" min={0} required style={{ width: 80 }} /></label>
          <button className="primary" type="submit">Set limit</button>
        </form>
      ) : null}
    </div>
  );
}
