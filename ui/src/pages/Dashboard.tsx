// The dashboard: runs by state, failing and running runs, upcoming scheduled runs and worker
// health; uses /dashboard when the server has it, else the newest runs and deployments.
import { Loading, ProblemBox, Section, StateBadge } from "../components/common";
import { api, ApiError, type Deployment, type FlowRun, type Page, type Worker } from "../lib/api";
import { formatTime } from "../lib/format";
import { usePoll } from "../lib/hooks";
import { Link } from "../lib/router";
import { stateColor } from "../lib/states";

interface Overview {
  counts: Record<string, number>;
  failing: FlowRun[];
  running: FlowRun[];
  upcoming: { name: string; id: string; at: string }[];
  workers: Worker[];
}

async function loadOverview(): Promise<Overview> {
  const [runs, deployments, workers] = await Promise.all([
    api.get<Page<FlowRun>>("/flow-runs", { limit: 500 }),
    api.get<Page<Deployment>>("/deployments", { limit: 500 }).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 503) return { items: [] as Deployment[] };
      throw e;
    }),
    api.get<{ items: Worker[] } | Worker[]>("/workers"),
  ]);
  const counts: Record<string, number> = {};
  for (const run of runs.items) counts[run.state] = (counts[run.state] ?? 0) + 1;
  const upcoming = deployments.items
    .filter((d) => !d.paused)
    .flatMap((d) => d.schedules.filter((s) => s.active && s.next_slot).map((s) => ({ name: `${d.flow_name}/${d.name}`, id: d.id, at: s.next_slot! })))
    .sort((a, b) => a.at.localeCompare(b.at))
    .slice(0, 10);
  return {
    counts,
    failing: runs.items.filter((r) => r.state === "FAILED" || r.state === "CRASHED").slice(0, 10),
    running: runs.items.filter((r) => r.state === "RUNNING" || r.state === "PENDING" || r.state === "PAUSED").slice(0, 10),
    upcoming,
    workers: Array.isArray(workers) ? workers : workers.items,
  };
}

export function Dashboard() {
  const overview = usePoll(loadOverview, [], 5000);
  if (overview.error && !overview.data) return <ProblemBox error={overview.error} onRetry={overview.reload} />;
  if (!overview.data) return <Loading what="dashboard" />;
  const o = overview.data;
  const total = Object.values(o.counts).reduce((a, b) => a + b, 0);
  return (
    <div className="page">
      <h1>Dashboard</h1>
      <Section title={`Newest ${total} runs by state`}>
        <div className="state-bar" aria-label="Runs by state">
          {Object.entries(o.counts).map(([state, n]) => (
            <Link key={state} to={`/runs?state=${state}`} className="state-bar-part" style={{ flex: n, background: stateColor(state) }} title={`${n} ${state}`}>
              {n} {state.toLowerCase()}
            </Link>
          ))}
          {total === 0 ? <span className="muted">No runs yet.</span> : null}
        </div>
      </Section>
      <div className="grid2">
        <RunList title="Failing" runs={o.failing} empty="Nothing failed recently." />
        <RunList title="Running now" runs={o.running} empty="Nothing is running." />
        <Section title="Upcoming scheduled runs">
          <ul className="plain">
            {o.upcoming.map((u) => (
              <li key={u.id + u.at}><Link to={`/deployments/${u.id}`}>{u.name}</Link> <span className="muted">{formatTime(u.at)}</span></li>
            ))}
            {o.upcoming.length === 0 ? <li className="muted">No schedules.</li> : null}
          </ul>
        </Section>
        <Section title="Workers">
          <ul className="plain">
            {o.workers.map((w) => (
              <li key={w.id}>{w.name} <span className={w.status === "online" ? "ok" : "muted"}>{w.status}</span> <span className="muted small">heartbeat {formatTime(w.heartbeat_at)}</span></li>
            ))}
            {o.workers.length === 0 ? <li className="muted">No workers registered.</li> : null}
          </ul>
        </Section>
      </div>
    </div>
  );
}

function RunList({ title, runs, empty }: { title: string; runs: FlowRun[]; empty: string }) {
  return (
    <Section title={title}>
      <ul className="plain">
        {runs.map((r) => (
          <li key={r.id}><StateBadge state={r.state} /> <Link to={`/runs/${r.id}`}>{r.flow_name} · {r.name}</Link> <span className="muted small">{formatTime(r.start_time ?? r.created)}</span></li>
        ))}
        {runs.length === 0 ? <li className="muted">{empty}</li> : null}
      </ul>
    </Section>
  );
}
