// One flow run: graph, timeline, logs, parameters, result, state history and the actions an
// operator takes (cancel, retry from failure, retry a task and downstream, resume with input,
// mark a task succeeded or failed; hidden from roles that may not) and the source or YAML
// manifest of the version it ran. Polls while the run is not final.
import { useEffect, useMemo, useRef, useState } from "react";
import { GraphCanvas } from "../components/GraphCanvas";
import { Gantt } from "../components/Gantt";
import { Logs } from "../components/Logs";
import { SchemaForm } from "../components/SchemaForm";
import { Json, Loading, ProblemBox, Section, StateBadge, Tabs } from "../components/common";
import { api, ApiError, asApiError, type FlowRun, type InputRequest, type Page, type StateEvent, type TaskRun } from "../lib/api";
import { durationOf, formatDuration, formatTime } from "../lib/format";
import { buildGraph, type GraphNode } from "../lib/graphModel";
import { usePoll } from "../lib/hooks";
import { Link, navigate, setQuery, useLocation } from "../lib/router";
import { isManifest } from "../lib/diff";
import { describeResult, loadRunGraph } from "../lib/runData";
import { useCan } from "../lib/session";
import { VersionSource } from "./Flows";
import { fieldsOf } from "../lib/schemaForm";
import { isFinal } from "../lib/states";

type Tab = "graph" | "timeline" | "logs" | "parameters" | "result" | "history" | "source";

export function RunDetail({ runId }: { runId: string }) {
  const { query } = useLocation();
  const tab = (query.get("tab") as Tab) || "graph";
  const taskParam = query.get("task");
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = usePoll(() => api.get<FlowRun>(`/flow-runs/${runId}`), [runId], 1000);
  const live = run.data ? !isFinal(run.data.state) : true;
  const graph = usePoll(() => loadRunGraph(runId), [runId], live ? 1500 : null);
  // A run seen going on gets its graph once more when it ends (the last poll may predate it);
  // one that was already over when the page opened is loaded once.
  const seenLive = useRef(false);
  const known = run.data !== undefined;
  useEffect(() => {
    if (known && live) seenLive.current = true;
    else if (known && seenLive.current) {
      seenLive.current = false;
      graph.reload();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [known, live]);
  const tasks = graph.data?.tasks ?? [];
  const model = useMemo(() => buildGraph(tasks, graph.data?.edges ?? [], expanded), [graph.data, expanded, tasks]);
  const selectedTask = tasks.find((t) => t.id === taskParam) ?? null;
  // The compact graph carries no results or state messages: the selected task's full record
  // is read on its own, again whenever the graph shows it in a new state.
  const selectedId = selectedTask?.id ?? null;
  const taskDetail = usePoll(
    () => (selectedId ? api.get<TaskRun>(`/task-runs/${selectedId}`) : Promise.resolve(null)),
    [selectedId, selectedTask?.state],
  );
  const selectedDetail = taskDetail.data?.id === selectedId ? taskDetail.data : null;
  // Links from the grid and duration views name a task by key (?task_key=): select its run.
  const taskKeyParam = query.get("task_key");
  useEffect(() => {
    const found = taskKeyParam ? tasks.find((t) => t.task_key === taskKeyParam) : undefined;
    if (found) setQuery({ task: found.id, task_key: null });
  }, [taskKeyParam, tasks]);
  const canOperate = useCan("operator");

  const act = async (label: string, call: () => Promise<unknown>) => {
    setActionError(null);
    setNotice(null);
    try {
      await call();
      setNotice(`${label}: done.`);
      run.reload();
      graph.reload();
    } catch (error) {
      setActionError(asApiError(error));
    }
  };

  if (run.error && !run.data) return <ProblemBox error={run.error} onRetry={run.reload} />;
  if (!run.data) return <Loading what="run" />;
  const r = run.data;
  const select = (node: GraphNode | null) => setQuery({ task: node && node.taskIds.length === 1 ? node.taskIds[0] : null });
  const open = (node: GraphNode) => {
    if (node.mappedKey) {
      setExpanded((old) => {
        const next = new Set(old);
        if (next.has(node.mappedKey!)) next.delete(node.mappedKey!);
        else next.add(node.mappedKey!);
        return next;
      });
    } else if (node.childFlowRunId) navigate(`/runs/${node.childFlowRunId}`);
  };
  const canRetry = canOperate && ["FAILED", "CRASHED", "CANCELLED"].includes(r.state);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="crumbs"><Link to="/runs">Runs</Link> / <Link to={`/flows/${encodeURIComponent(r.flow_name)}`}>{r.flow_name}</Link></div>
          <h1>
            {r.name} <StateBadge state={r.state} />
          </h1>
          <div className="muted">
            {r.flow_name} · started {formatTime(r.start_time)} · {formatDuration(durationOf(r.start_time, r.end_time))} · run {r.run_count}
            {r.parent_flow_run_id ? <> · subflow of <Link to={`/runs/${r.parent_flow_run_id}`}>parent run</Link></> : null}
          </div>
          {r.state_message ? <div className="state-message">{r.state_message}</div> : null}
        </div>
        <div className="actions">
          {canOperate && !isFinal(r.state) && r.state !== "CANCELLING" ? (
            <button className="danger" onClick={() => act("Cancel", () => api.post(`/flow-runs/${runId}/cancel`))}>Cancel run</button>
          ) : null}
          {canRetry ? <button className="primary" onClick={() => act("Retry", () => api.post(`/flow-runs/${runId}/retry`))}>Retry from failure</button> : null}
          <Link to={`/compare?ids=${runId}`} className="button">Compare…</Link>
        </div>
      </div>
      <ProblemBox error={actionError} />
      {notice ? <div className="notice" role="status">{notice}</div> : null}
      {r.state === "PAUSED" && canOperate ? <ResumePanel runId={runId} onDone={() => { run.reload(); setNotice("Resume: done."); }} /> : null}
      <Tabs<Tab>
        tabs={[["graph", "Graph"], ["timeline", "Timeline"], ["logs", "Logs"], ["parameters", "Parameters"], ["result", "Result"], ["history", "State history"], ["source", isManifest(r.entrypoint) ? "Manifest" : "Source"]]}
        active={tab}
        onSelect={(t) => setQuery({ tab: t === "graph" ? null : t })}
      />
      <ProblemBox error={graph.error} />
      <div className="run-body">
        <div className="run-main">
          {tab === "graph" ? (graph.data ? <GraphCanvas graph={model} selected={selectedTask?.id ?? null} onSelect={select} onOpen={open} /> : <Loading what="graph" />) : null}
          {tab === "timeline" ? <Gantt tasks={tasks} onSelect={(id) => setQuery({ task: id })} /> : null}
          {tab === "logs" ? <Logs runId={runId} live={live} tasks={tasks} taskRunId={taskParam} onTaskChange={(id) => setQuery({ task: id })} /> : null}
          {tab === "parameters" ? <Json value={r.parameters} /> : null}
          {tab === "result" ? <pre className="json" data-testid="run-result">{describeResult(r.result)}</pre> : null}
          {tab === "history" ? <History runId={r.id} /> : null}
          {tab === "source" ? (r.flow_version_id ? <VersionSource versionId={r.flow_version_id} compact /> : <p className="muted">This run has no stored flow version.</p>) : null}
        </div>
        {selectedTask ? (
          <aside className="task-panel" aria-label="Selected task">
            <h3>{selectedTask.task_key}</h3>
            <p><StateBadge state={selectedTask.state} /> attempts {selectedTask.attempts}</p>
            <p className="muted small">{formatTime(selectedTask.start_time)} · {formatDuration(durationOf(selectedTask.start_time, selectedTask.end_time))}</p>
            {selectedDetail?.state_message ? <p className="state-message">{selectedDetail.state_message}</p> : null}
            {selectedTask.child_flow_run_id ? <p><Link to={`/runs/${selectedTask.child_flow_run_id}`}>Open subflow run</Link></p> : null}
            <div className="stack">
              <button onClick={() => setQuery({ tab: "logs", task: selectedTask.id })}>Logs of this task</button>
              {canOperate && isFinal(r.state) ? (
                <button onClick={() => act("Retry from task", () => api.post(`/flow-runs/${runId}/retry`, { from_task_key: selectedTask.task_key }))}>Retry this task and downstream</button>
              ) : null}
              {canOperate ? <button onClick={() => act("Mark succeeded", () => api.post(`/task-runs/${selectedTask.id}/state`, { state: "COMPLETED", message: "marked succeeded in the UI" }))}>Mark succeeded</button> : null}
              {canOperate ? <button onClick={() => act("Mark failed", () => api.post(`/task-runs/${selectedTask.id}/state`, { state: "FAILED", message: "marked failed in the UI" }))}>Mark failed</button> : null}
              <button onClick={() => setQuery({ task: null })}>Close</button>
            </div>
            <h4>Result</h4>
            {taskDetail.error ? <ProblemBox error={taskDetail.error} onRetry={taskDetail.reload} /> : null}
            <pre className="json small" data-testid="task-result">{selectedDetail ? describeResult(selectedDetail.result) : "loading…"}</pre>
            <h4>State history</h4>
            <History runId={selectedTask.id} />
          </aside>
        ) : null}
      </div>
    </div>
  );
}

function History({ runId }: { runId: string }) {
  const events = usePoll(() => api.get<Page<StateEvent>>(`/runs/${runId}/state-events`, { limit: 500 }), [runId], 3000);
  if (events.error) return <ProblemBox error={events.error} />;
  if (!events.data) return <Loading what="state history" />;
  return (
    <table className="table" data-testid="state-history">
      <thead><tr><th>When</th><th>From</th><th>To</th><th>Reason</th></tr></thead>
      <tbody>
        {events.data.items.map((e) => (
          <tr key={`${e.id}-${e.from_state ?? ""}`}>
            <td>{formatTime(e.timestamp)}</td>
            <td>{e.from_state ? <StateBadge state={e.from_state} /> : "—"}</td>
            <td><StateBadge state={e.to_state} />{e.forced ? <span className="muted small"> forced</span> : null}</td>
            <td>{e.message ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ResumePanel({ runId, onDone }: { runId: string; onDone: () => void }) {
  const request = usePoll(() => api.get<InputRequest>(`/flow-runs/${runId}/input-request`), [runId]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = useMemo(() => fieldsOf(request.data?.input_schema), [request.data]);
  if (request.error && request.error.status !== 404) return <ProblemBox error={request.error} />;
  const scalar = fields.length === 1 && fields[0].name === "value" && !request.data?.input_schema?.properties;
  const resume = async (values: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const input = request.data?.input_schema ? (scalar ? values.value : values) : undefined;
      await api.post(`/flow-runs/${runId}/resume`, input === undefined ? {} : { input, key: request.data?.key });
      onDone();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={request.data?.kind === "suspend" ? "This run is suspended" : "This run is paused"}>
      {request.data?.description ? <p>{request.data.description}</p> : null}
      {request.data ? <p className="muted small">Waiting for input until {formatTime(request.data.deadline)}.</p> : null}
      <ProblemBox error={error} />
      <SchemaForm key={request.data?.key ?? "none"} idPrefix="resume" fields={fields} submitLabel="Resume" busy={busy} onSubmit={resume} />
    </Section>
  );
}
