// Events and triggers: the live list of events (filter by exact name or a prefix ending in
// "." or "*", payload of the selected one) and every deployment trigger with what it
// matches, when it last fired and a switch to enable or disable it.
import { useState } from "react";
import { Json, Loading, ProblemBox } from "../components/common";
import { api, type Page } from "../lib/api";
import { formatTime } from "../lib/format";
import { useAction, usePoll } from "../lib/hooks";
import { Link, setQuery, useLocation } from "../lib/router";
import { roleNote, useSession } from "../lib/session";

interface EventItem {
  seq: number;
  id: string;
  name: string;
  occurred: string;
  received: string;
  resource: string;
  payload: Record<string, unknown>;
  related: string[];
}

interface Trigger {
  id: string;
  deployment_id: string;
  deployment_name: string;
  flow_name: string;
  position: number;
  trigger: Record<string, unknown>;
  description: string;
  enabled: boolean;
  last_fired: string | null;
  fired_count: number;
}

/** The API filter of what was typed: "orders." or "orders.*" is a prefix, else an exact name. */
export function eventFilter(text: string): { name?: string; prefix?: string } {
  const value = text.trim();
  if (!value) return {};
  if (value.endsWith("*")) return value.length > 1 ? { prefix: value.slice(0, -1) } : {};
  if (value.endsWith(".")) return { prefix: value };
  return { name: value };
}

export function Events() {
  const { query } = useLocation();
  const filter = query.get("name") ?? "";
  const selected = query.get("event");
  const [text, setText] = useState(filter);
  const [limit, setLimit] = useState(100);
  const events = usePoll(() => api.get<Page<EventItem>>("/events", { ...eventFilter(filter), limit }), [filter, limit], 2000);
  const items = events.data?.items ?? [];
  const chosen = items.find((e) => e.id === selected) ?? null;
  return (
    <div className="page">
      <h1>Events</h1>
      <form className="toolbar" onSubmit={(e) => { e.preventDefault(); setQuery({ name: text.trim() || null, event: null }); }}>
        <input type="search" aria-label="Event name" placeholder="name, or a prefix such as orders.*" value={text} onChange={(e) => setText(e.target.value)} style={{ width: 320 }} />
        <button type="submit">Filter</button>
        {filter ? <button type="button" onClick={() => { setText(""); setQuery({ name: null, event: null }); }}>Clear</button> : null}
        <span className="muted small">newest first, refreshed every 2 s</span>
      </form>
      <ProblemBox error={events.error} onRetry={events.reload} />
      {!events.data && !events.error ? <Loading what="events" /> : null}
      <div className="run-body">
        <div className="run-main">
          {events.data ? (
            <table className="table" data-testid="events-table">
              <thead><tr><th>Occurred</th><th>Name</th><th>Resource</th></tr></thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id} className={e.id === selected ? "selected" : undefined}>
                    <td>{formatTime(e.occurred)}</td>
                    <td><Link to={`/events?${new URLSearchParams({ ...(filter ? { name: filter } : {}), event: e.id })}`}>{e.name}</Link></td>
                    <td className="small">{e.resource}</td>
                  </tr>
                ))}
                {items.length === 0 ? <tr><td colSpan={3} className="muted">{filter ? `No events match ${filter}.` : "No events yet."}</td></tr> : null}
              </tbody>
            </table>
          ) : null}
          {events.data?.next_offset ? <button onClick={() => setLimit((n) => Math.min(n * 2, 500))} disabled={limit >= 500}>Show more</button> : null}
        </div>
        {selected ? (
          <aside className="task-panel" aria-label="Event">
            {chosen ? (
              <>
                <h3>{chosen.name}</h3>
                <p className="muted small">occurred {formatTime(chosen.occurred)} · received {formatTime(chosen.received)}</p>
                <p className="small">resource <code>{chosen.resource}</code></p>
                {chosen.related.length ? <p className="small">related {chosen.related.map((r) => <code key={r}>{r} </code>)}</p> : null}
                <h4>Payload</h4>
                <div data-testid="event-payload"><Json value={chosen.payload} /></div>
              </>
            ) : <p className="muted">This event is not among the {items.length} newest shown.</p>}
            <button onClick={() => setQuery({ event: null })}>Close</button>
          </aside>
        ) : null}
      </div>
    </div>
  );
}

export function Triggers() {
  const triggers = usePoll(() => api.get<Page<Trigger>>("/triggers"), [], 5000);
  const { error, act } = useAction(triggers.reload);
  const me = useSession();
  const denied = roleNote(me);
  const toggle = (t: Trigger) => act(() => api.patch(`/triggers/${t.id}`, { enabled: !t.enabled }));
  return (
    <div className="page">
      <h1>Triggers</h1>
      <p className="muted">A trigger runs its deployment when an event matches; disabled triggers ignore events.</p>
      <ProblemBox error={error ?? triggers.error} onRetry={triggers.reload} />
      {!triggers.data && !triggers.error ? <Loading what="triggers" /> : null}
      {triggers.data ? (
        <table className="table" data-testid="triggers-table">
          <thead><tr><th>Deployment</th><th>Matches</th><th>Last fired</th><th>Fired</th><th>Enabled</th></tr></thead>
          <tbody>
            {triggers.data.items.map((t) => (
              <tr key={t.id} data-trigger={t.id}>
                <td><Link to={`/deployments/${t.deployment_id}`}>{t.flow_name}/{t.deployment_name}</Link> <span className="muted small">#{t.position + 1}</span></td>
                <td>{t.description}<details className="small"><summary>definition</summary><Json value={t.trigger} /></details></td>
                <td>{t.last_fired ? formatTime(t.last_fired) : <span className="muted">never</span>}</td>
                <td>{t.fired_count}</td>
                <td>
                  <label className="switch">
                    <input type="checkbox" role="switch" checked={t.enabled} disabled={!!denied} title={denied} onChange={() => toggle(t)} aria-label={`Enabled: ${t.flow_name}/${t.deployment_name} #${t.position + 1}`} />
                    {t.enabled ? "on" : "off"}
                  </label>
                </td>
              </tr>
            ))}
            {triggers.data.items.length === 0 ? <tr><td colSpan={5} className="muted">No triggers: add them to a deployment with `legato deploy --trigger`.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
