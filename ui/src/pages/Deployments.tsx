// Deployments: the list (schedules in words, next run, last state, pause/resume) and one
// deployment with its run form generated from the parameter schema, its recent runs and the
// source (a YAML workflow's manifest) of its pinned version. Viewers see no actions.
import { useMemo, useState } from "react";
import { SchemaForm } from "../components/SchemaForm";
import { Loading, ProblemBox, Section, StateBadge, Tabs } from "../components/common";
import { api, ApiError, type Deployment, type DeploymentRun, type Page } from "../lib/api";
import { describeSchedule, formatTime } from "../lib/format";
import { usePoll } from "../lib/hooks";
import { isManifest } from "../lib/diff";
import { Link, navigate, setQuery, useLocation } from "../lib/router";
import { useCan } from "../lib/session";
import { VersionSource } from "./Flows";
import { fieldsFromDefaults, fieldsOf } from "../lib/schemaForm";

function scheduleText(d: Deployment): string {
  if (d.schedule_text) return d.schedule_text;
  if (!d.schedules.length) return "on demand";
  return d.schedules.map(describeSchedule).join("; ");
}

function nextRun(d: Deployment): string | null {
  if (d.next_runs?.length) return d.next_runs[0];
  const slots = d.schedules.filter((s) => s.active && s.next_slot).map((s) => s.next_slot!).sort();
  return slots[0] ?? null;
}

export function Deployments() {
  const list = usePoll(() => api.get<Page<Deployment>>("/deployments", { limit: 500 }), [], 10000);
  const [error, setError] = useState<ApiError | null>(null);
  const canOperate = useCan("operator");
  const toggle = async (d: Deployment) => {
    try {
      await api.post(`/deployments/${d.id}/${d.paused ? "resume" : "pause"}`);
      list.reload();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "Error", String(caught)));
    }
  };
  return (
    <div className="page">
      <h1>Deployments</h1>
      <ProblemBox error={error ?? list.error} onRetry={list.reload} />
      {!list.data && !list.error ? <Loading what="deployments" /> : null}
      {list.data ? (
        <table className="table" data-testid="deployments-table">
          <thead><tr><th>Deployment</th><th>Schedule</th><th>Next run</th><th>Last run</th><th>Queue</th><th></th></tr></thead>
          <tbody>
            {list.data.items.map((d) => (
              <tr key={d.id}>
                <td><Link to={`/deployments/${d.id}`}>{d.flow_name}/{d.name}</Link>{d.paused ? <span className="muted small"> paused</span> : null}</td>
                <td>{scheduleText(d)}</td>
                <td>{d.paused ? "—" : formatTime(nextRun(d))}</td>
                <td><LastState id={d.id} /></td>
                <td>{d.work_queue}</td>
                <td className="row-actions">
                  {canOperate ? <Link className="button" to={`/deployments/${d.id}/run`}>Run…</Link> : null}
                  {canOperate ? <button onClick={() => toggle(d)}>{d.paused ? "Resume" : "Pause"}</button> : null}
                </td>
              </tr>
            ))}
            {list.data.items.length === 0 ? <tr><td colSpan={6} className="muted">No deployments yet: `legato deploy FILE:FLOW --name NAME` makes one.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function LastState({ id }: { id: string }) {
  // Deployment runs come oldest first; the API has no "newest" order yet, so this reads the
  // first page only and shows its last run.
  const runs = usePoll(() => api.get<Page<DeploymentRun>>(`/deployments/${id}/runs`, { limit: 500 }), [id], 10000);
  const last = runs.data?.items[runs.data.items.length - 1];
  return last ? <Link to={`/runs/${last.id}`}><StateBadge state={last.state} /></Link> : <span className="muted">never</span>;
}

export function DeploymentDetail({ id, showForm }: { id: string; showForm: boolean }) {
  const deployment = usePoll(() => api.get<Deployment>(`/deployments/${id}`), [id]);
  const runs = usePoll(() => api.get<Page<DeploymentRun>>(`/deployments/${id}/runs`, { limit: 500 }), [id], 3000);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const canOperate = useCan("operator");
  const tab = useLocation().query.get("tab") === "source" ? "source" : "overview";
  const d = deployment.data;
  const fields = useMemo(() => (d ? (d.parameter_schema ? fieldsOf(d.parameter_schema) : fieldsFromDefaults(d.parameters)) : []), [d]);
  if (deployment.error) return <ProblemBox error={deployment.error} onRetry={deployment.reload} />;
  if (!d) return <Loading what="deployment" />;
  const submit = async (values: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const run = await api.post<DeploymentRun>(`/deployments/${id}/runs`, { parameters: values });
      navigate(`/runs/${run.id}`);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "Error", String(caught)));
    } finally {
      setBusy(false);
    }
  };
  const recent = [...(runs.data?.items ?? [])].reverse().slice(0, 20);
  return (
    <div className="page">
      <div className="crumbs"><Link to="/deployments">Deployments</Link> · flow <Link to={`/flows/${encodeURIComponent(d.flow_name)}`}>{d.flow_name}</Link></div>
      <h1>{d.flow_name}/{d.name} {d.paused ? <span className="badge" style={{ background: "#8b8d98" }}>PAUSED</span> : null}</h1>
      {d.description ? <p>{d.description}</p> : null}
      <p className="muted">{scheduleText(d)} · queue {d.work_queue} · entrypoint {d.entrypoint}{d.version ? ` · version ${d.version}` : ""}</p>
      <nav className="view-links" aria-label="Views">
        <Link to={`/deployments/${id}/grid`} className="tab">Grid</Link>
        <Link to={`/deployments/${id}/calendar`} className="tab">Calendar</Link>
        <Link to={`/deployments/${id}/durations`} className="tab">Task durations</Link>
        <Link to={`/flows/${encodeURIComponent(d.flow_name)}/grid`} className="tab">Grid of flow {d.flow_name}</Link>
      </nav>
      <Tabs<"overview" | "source">
        tabs={[["overview", "Overview"], ["source", isManifest(d.entrypoint) ? "Manifest" : "Source"]]}
        active={tab}
        onSelect={(t) => setQuery({ tab: t === "overview" ? null : t })}
      />
      {tab === "source" ? (d.flow_version_id ? <VersionSource versionId={d.flow_version_id} compact /> : <p className="muted">This deployment has no pinned flow version: each run loads {d.entrypoint} when it starts.</p>) : null}
      {tab === "overview" ? <>
      <div className="grid2">
        {canOperate ? <Section title="Run now">
          {!showForm ? <Link className="button" to={`/deployments/${id}/run`}>Open the run form</Link> : null}
          {showForm ? (
            <>
              <ProblemBox error={error} />
              <SchemaForm idPrefix="param" fields={fields} initial={d.parameters} submitLabel="Start run" busy={busy} onSubmit={submit} />
            </>
          ) : null}
        </Section> : null}
        <Section title="Recent runs">
          <ProblemBox error={runs.error} />
          <table className="table">
            <thead><tr><th>Slot</th><th>State</th><th>Parameters</th></tr></thead>
            <tbody>
              {recent.map((r) => (
                <tr key={r.id}>
                  <td><Link to={`/runs/${r.id}`}>{formatTime(r.scheduled_time ?? r.created)}</Link>{r.is_backfill ? " (backfill)" : ""}{r.late ? " late" : ""}</td>
                  <td><StateBadge state={r.state} /></td>
                  <td className="small">{JSON.stringify(r.parameters)}</td>
                </tr>
              ))}
              {recent.length === 0 ? <tr><td colSpan={3} className="muted">No runs yet.</td></tr> : null}
            </tbody>
          </table>
        </Section>
      </div>
      {d.next_runs?.length ? (
        <Section title="Next runs"><ul>{d.next_runs.map((t) => <li key={t}>{formatTime(t)}</li>)}</ul></Section>
      ) : null}
      </> : null}
    </div>
  );
}
