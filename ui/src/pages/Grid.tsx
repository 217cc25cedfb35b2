// The grid of a deployment's or a flow's recent runs (columns, oldest first) x their tasks
// (rows): state cells on a canvas, each run's duration as a bar above its column, the hovered
// or selected task's duration across runs below. The selection lives in the URL
// (?run=ID&task=KEY); a click or Enter opens that task run in the run's page.
import { useMemo, useState } from "react";
import { DurationChart } from "../components/DurationChart";
import { GridCanvas } from "../components/GridCanvas";
import { Loading, ProblemBox, StateBadge } from "../components/common";
import { ViewScope } from "../components/ViewScope";
import { api } from "../lib/api";
import { formatDuration, formatTime } from "../lib/format";
import {
  buildGridModel, cellSeconds, cellState, selectionFromQuery, selectionToQuery, taskDurations,
  type GridData, type Hit, type Selection,
} from "../lib/grid";
import { usePoll } from "../lib/hooks";
import { Link, navigate, setQuery, useLocation } from "../lib/router";
import type { Scope } from "../lib/scope";
import { isFinal, STATE_COLORS } from "../lib/states";

const RUN_CHOICES = [25, 50, 100, 200, 500];

export function GridPage({ scope }: { scope: Exclude<Scope, { kind: "all" }> }) {
  const { query } = useLocation();
  const count = RUN_CHOICES.includes(Number(query.get("runs"))) ? Number(query.get("runs")) : 100;
  const path = scope.kind === "deployment" ? `/deployments/${scope.id}/grid` : `/flows/${encodeURIComponent(scope.name)}/grid`;
  const [live, setLive] = useState(false);
  const grid = usePoll(() => api.get<GridData>(path, { runs: count }), [path, count], live ? 5000 : null);
  const model = useMemo(() => (grid.data ? buildGridModel(grid.data) : null), [grid.data]);
  const nowLive = !!grid.data?.runs.some((r) => !isFinal(r.state));
  if (nowLive !== live) setLive(nowLive);
  const [hover, setHover] = useState<Hit>(null);
  const selected = model ? selectionFromQuery(model, query.get("run"), query.get("task")) : null;

  const select = (sel: Selection | null) => {
    if (model) setQuery(selectionToQuery(model, sel));
  };
  const open = (sel: Selection) => {
    if (!model) return;
    // Remember the cell in this page's URL first, so Back returns to it.
    setQuery(selectionToQuery(model, sel));
    navigate(`/runs/${model.runs[sel.col].id}?task_key=${encodeURIComponent(model.tasks[sel.row])}`);
  };
  const focusRow = hover && hover.kind !== "run" ? hover.row : selected?.row ?? null;
  const focusCol = hover && hover.kind !== "task" ? hover.col : selected?.col ?? null;

  return (
    <div className="page">
      <ViewScope scope={scope} view="grid">
        <label>
          Runs{" "}
          <select aria-label="Number of runs" value={count} onChange={(e) => setQuery({ runs: e.target.value === "100" ? null : e.target.value })}>
            {RUN_CHOICES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
      </ViewScope>
      <ProblemBox error={grid.error} onRetry={grid.reload} />
      {!model && !grid.error ? <Loading what="grid" /> : null}
      {model && model.runs.length === 0 ? <p className="muted">No runs yet.</p> : null}
      {model && model.runs.length > 0 ? (
        <>
          <div className="grid-legend small muted">
            {Object.entries(STATE_COLORS).map(([state, color]) => (
              <span key={state}><i style={{ background: color }} /> {state.toLowerCase()}</span>
            ))}
          </div>
          <GridCanvas
            model={model}
            selected={selected}
            onSelect={select}
            onOpen={open}
            onHover={setHover}
            onPickTask={(row) => select({ row, col: selected?.col ?? model.runs.length - 1 })}
            onPickRun={(col) => select({ row: selected?.row ?? 0, col })}
          />
          <GridFocus model={model} row={focusRow} col={focusCol} selected={selected} onOpen={open} scope={scope} />
        </>
      ) : null}
    </div>
  );
}

function GridFocus({ model, row, col, selected, onOpen, scope }: {
  model: ReturnType<typeof buildGridModel>; row: number | null; col: number | null; selected: Selection | null;
  onOpen: (sel: Selection) => void; scope: Exclude<Scope, { kind: "all" }>;
}) {
  const run = col !== null ? model.runs[col] : null;
  const task = row !== null ? model.tasks[row] : null;
  const state = row !== null && col !== null ? cellState(model, row, col) : null;
  const took = row !== null && col !== null ? cellSeconds(model, row, col) : null;
  const durations = useMemo(() => (row === null ? [] : taskDurations(model, row)), [model, row]);
  const states = useMemo(() => (row === null ? [] : model.runs.map((_, c) => cellState(model, row, c))), [model, row]);
  const base = scope.kind === "deployment" ? `/deployments/${scope.id}` : `/flows/${encodeURIComponent(scope.name)}`;
  return (
    <div className="grid-focus" data-testid="grid-focus">
      <div className="grid-focus-head">
        {run ? (
          <span>
            Run <Link to={`/runs/${run.id}`}>{run.name}</Link> <StateBadge state={run.state} /> {formatTime(run.start ?? run.created)} · {formatDuration(run.duration === null ? null : run.duration * 1000)}
          </span>
        ) : <span className="muted">Hover or select a cell (arrow keys move, Enter opens).</span>}
        {task ? (
          <span>
            {" "}· task <code>{task}</code> {state ? <StateBadge state={state} /> : run ? <span className="muted">not run</span> : null}
            {took !== null ? ` ${formatDuration(took * 1000)}` : ""}
          </span>
        ) : null}
        {selected && state ? <button className="primary" onClick={() => onOpen(selected)}>Open task run</button> : null}
      </div>
      {task && row !== null ? (
        <>
          <DurationChart title={task} runs={model.runs} durations={durations} states={states} highlight={col} onOpen={(c) => onOpen({ row, col: c })} />
          <Link to={`${base}/durations?task=${encodeURIComponent(task)}`} className="small">All task durations…</Link>
        </>
      ) : null}
    </div>
  );
}
