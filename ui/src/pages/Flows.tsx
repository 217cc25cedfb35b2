// Flows and their versions: the list of flows, one flow's versions, the source (or YAML
// manifest) of one version, and the diff between two versions, unified or side by side.
import { useState } from "react";
import { CodeView, DiffView } from "../components/Code";
import { Loading, ProblemBox, Section, StateBadge, Tabs } from "../components/common";
import { api, type StateName } from "../lib/api";
import { isManifest } from "../lib/diff";
import { formatTime } from "../lib/format";
import { languageOf } from "../lib/highlight";
import { usePoll } from "../lib/hooks";
import { Link, navigate, setQuery, useLocation } from "../lib/router";

export interface FlowVersion {
  id: string;
  flow_name: string;
  source_hash: string;
  source: string;
  entrypoint: string | null;
  created: string;
}

interface FlowItem {
  id: string;
  name: string;
  created: string;
  versions: number;
  last_run: { id: string; state: StateName; created: string } | null;
}

interface VersionItem {
  id: string;
  source_hash: string;
  entrypoint: string | null;
  created: string;
}

const flowPath = (name: string) => `/flows/${encodeURIComponent(name)}`;
export const versionPath = (name: string, id: string) => `${flowPath(name)}/versions/${id}`;
export const diffPath = (name: string, from: string, to: string) => `${flowPath(name)}/diff?from=${from}&to=${to}`;
const short = (hash: string) => hash.slice(0, 12);

export function Flows() {
  const list = usePoll(() => api.get<{ items: FlowItem[] }>("/flows", { limit: 500 }), [], 10000);
  return (
    <div className="page">
      <h1>Flows</h1>
      <ProblemBox error={list.error} onRetry={list.reload} />
      {!list.data && !list.error ? <Loading what="flows" /> : null}
      {list.data ? (
        <table className="table" data-testid="flows-table">
          <thead><tr><th>Flow</th><th>Versions</th><th>Last run</th></tr></thead>
          <tbody>
            {list.data.items.map((f) => (
              <tr key={f.id}>
                <td><Link to={flowPath(f.name)}>{f.name}</Link></td>
                <td>{f.versions}</td>
                <td>{f.last_run ? <Link to={`/runs/${f.last_run.id}`}><StateBadge state={f.last_run.state} /> {formatTime(f.last_run.created)}</Link> : <span className="muted">never</span>}</td>
              </tr>
            ))}
            {list.data.items.length === 0 ? <tr><td colSpan={3} className="muted">No flows yet: run or deploy one.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function useVersions(name: string) {
  return usePoll(() => api.get<{ items: VersionItem[] }>(`/flows/${encodeURIComponent(name)}/versions`, { limit: 500 }), [name]);
}

export function FlowDetail({ name }: { name: string }) {
  const versions = useVersions(name);
  const items = versions.data?.items ?? [];
  const [from, setFrom] = useState<string>("");
  const [to, setTo] = useState<string>("");
  const oldest = items.length > 1 ? items[1].id : "";
  const newest = items.length ? items[0].id : "";
  return (
    <div className="page">
      <div className="crumbs"><Link to="/flows">Flows</Link></div>
      <h1>{name}</h1>
      <nav className="view-links" aria-label="Views">
        <Link to={`/flows/${encodeURIComponent(name)}/grid`} className="tab">Grid</Link>
        <Link to={`/flows/${encodeURIComponent(name)}/calendar`} className="tab">Calendar</Link>
        <Link to={`/flows/${encodeURIComponent(name)}/durations`} className="tab">Task durations</Link>
        <Link to={`/runs?flow_name=${encodeURIComponent(name)}`} className="tab">Runs</Link>
      </nav>
      <ProblemBox error={versions.error} onRetry={versions.reload} />
      {!versions.data && !versions.error ? <Loading what="versions" /> : null}
      {versions.data ? (
        <>
          <Section title="Versions">
            <table className="table" data-testid="versions-table">
              <thead><tr><th>Version</th><th>Entrypoint</th><th>Registered</th><th></th></tr></thead>
              <tbody>
                {items.map((v, i) => (
                  <tr key={v.id}>
                    <td><Link to={versionPath(name, v.id)}><code>{short(v.source_hash)}</code></Link>{i === 0 ? <span className="muted small"> newest</span> : null}</td>
                    <td><code>{v.entrypoint ?? "—"}</code></td>
                    <td>{formatTime(v.created)}</td>
                    <td className="row-actions">
                      {i + 1 < items.length ? <Link to={diffPath(name, items[i + 1].id, v.id)}>Diff with previous</Link> : null}
                    </td>
                  </tr>
                ))}
                {items.length === 0 ? <tr><td colSpan={4} className="muted">No stored versions.</td></tr> : null}
              </tbody>
            </table>
          </Section>
          {items.length > 1 ? (
            <Section title="Compare two versions">
              <form
                className="toolbar"
                onSubmit={(e) => {
                  e.preventDefault();
                  navigate(diffPath(name, from || oldest, to || newest));
                }}
              >
                <label>From <VersionSelect label="From version" items={items} value={from || oldest} onChange={setFrom} /></label>
                <label>To <VersionSelect label="To version" items={items} value={to || newest} onChange={setTo} /></label>
                <button className="primary" type="submit">Show diff</button>
              </form>
            </Section>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function VersionSelect({ label, items, value, onChange }: { label: string; items: VersionItem[]; value: string; onChange: (id: string) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {items.map((v) => <option key={v.id} value={v.id}>{short(v.source_hash)} · {formatTime(v.created)}</option>)}
    </select>
  );
}

/** The source of one stored version (a YAML workflow's is its manifest), with a link to its page. */
export function VersionSource({ versionId, compact = false }: { versionId: string; compact?: boolean }) {
  const version = usePoll(() => api.get<FlowVersion>(`/flow-versions/${versionId}`), [versionId]);
  const flowName = version.data?.flow_name;
  const newest = usePoll(
    () => (flowName && compact ? api.get<{ items: VersionItem[] }>(`/flows/${encodeURIComponent(flowName)}/versions`, { limit: 1 }) : Promise.resolve({ items: [] })),
    [flowName, compact],
  );
  if (version.error) return <ProblemBox error={version.error} onRetry={version.reload} />;
  if (!version.data) return <Loading what="source" />;
  const v = version.data;
  const kind = isManifest(v.entrypoint) ? "Manifest" : "Source";
  const latest = newest.data?.items[0];
  return (
    <div data-testid="version-source" data-kind={kind.toLowerCase()}>
      <p className="muted small">
        {kind} of <code>{v.entrypoint ?? v.flow_name}</code> · version{" "}
        {compact ? <Link to={versionPath(v.flow_name, v.id)}><code>{short(v.source_hash)}</code></Link> : <code>{short(v.source_hash)}</code>}
        {" "}· registered {formatTime(v.created)}
        {latest && latest.id !== v.id ? <> · a newer version exists: <Link to={diffPath(v.flow_name, v.id, latest.id)}>see what changed</Link></> : null}
      </p>
      <CodeView source={v.source} label={kind} language={languageOf(v.entrypoint)} />
    </div>
  );
}

export function VersionPage({ name, versionId }: { name: string; versionId: string }) {
  const versions = useVersions(name);
  const items = versions.data?.items ?? [];
  const index = items.findIndex((v) => v.id === versionId);
  return (
    <div className="page">
      <div className="crumbs"><Link to="/flows">Flows</Link> / <Link to={flowPath(name)}>{name}</Link></div>
      <div className="page-head">
        <h1>{name} <span className="muted">version</span></h1>
        <div className="actions">
          {index >= 0 && index + 1 < items.length ? <Link className="button" to={diffPath(name, items[index + 1].id, versionId)}>Diff with previous</Link> : null}
          {index > 0 ? <Link className="button" to={diffPath(name, versionId, items[0].id)}>Diff with newest</Link> : null}
        </div>
      </div>
      <VersionSource versionId={versionId} />
    </div>
  );
}

export function VersionDiff({ name }: { name: string }) {
  const { query } = useLocation();
  const from = query.get("from") ?? "";
  const to = query.get("to") ?? "";
  const view = query.get("view") === "split" ? "split" : "unified";
  const diff = usePoll(
    () => api.get<{ from: string; to: string; diff: string }>(`/flow-versions/${encodeURIComponent(from)}/diff/${encodeURIComponent(to)}`),
    [from, to],
  );
  const versions = useVersions(name);
  const label = (id: string) => {
    const found = versions.data?.items.find((v) => v.id === id);
    return found ? short(found.source_hash) : id;
  };
  return (
    <div className="page">
      <div className="crumbs"><Link to="/flows">Flows</Link> / <Link to={flowPath(name)}>{name}</Link></div>
      <h1>{name} <span className="muted">diff</span></h1>
      <p className="small">
        From <Link to={versionPath(name, from)}><code>{label(from)}</code></Link> to <Link to={versionPath(name, to)}><code>{label(to)}</code></Link>
      </p>
      <Tabs<"unified" | "split">
        tabs={[["unified", "Unified"], ["split", "Side by side"]]}
        active={view}
        onSelect={(t) => setQuery({ view: t === "unified" ? null : t })}
      />
      <ProblemBox error={diff.error} onRetry={diff.reload} />
      {!diff.data && !diff.error ? <Loading what="diff" /> : null}
      {diff.data ? <DiffView text={diff.data.diff} view={view} language={languageOf(versions.data?.items.find((v) => v.id === to)?.entrypoint)} /> : null}
    </div>
  );
}
