// Workers and their heartbeats.
import { Loading, ProblemBox } from "../components/common";
import { api, type Worker } from "../lib/api";
import { formatTime } from "../lib/format";
import { usePoll } from "../lib/hooks";

export function Workers() {
  const workers = usePoll(() => api.get<{ items: Worker[] } | Worker[]>("/workers"), [], 5000);
  const items = workers.data ? (Array.isArray(workers.data) ? workers.data : workers.data.items) : [];
  return (
    <div className="page">
      <h1>Workers</h1>
      <ProblemBox error={workers.error} onRetry={workers.reload} />
      {!workers.data && !workers.error ? <Loading what="workers" /> : null}
      <table className="table">
        <thead><tr><th>Name</th><th>Status</th><th>Queues</th><th>Last heartbeat</th><th>Host</th><th>PID</th></tr></thead>
        <tbody>
          {items.map((w) => (
            <tr key={w.id}><td>{w.name}</td><td>{w.status}</td><td>{w.queues.join(", ")}</td><td>{formatTime(w.heartbeat_at)}</td><td>{w.host ?? ""}</td><td>{w.pid ?? ""}</td></tr>
          ))}
          {workers.data && items.length === 0 ? <tr><td colSpan={6} className="muted">No workers registered.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}
