// Run comparison: parameters, task durations and states of two or more runs side by side.
import { Loading, ProblemBox, StateBadge } from "../components/common";
import { api, fetchAll, type FlowRun, type TaskRun } from "../lib/api";
import { durationOf, formatDuration } from "../lib/format";
import { usePoll } from "../lib/hooks";
import { Link, setQuery, useLocation } from "../lib/router";

export function Compare() {
  const { query } = useLocation();
  const ids = query.getAll("ids").filter(Boolean);
  const data = usePoll(
    () => Promise.all(ids.map(async (id) => ({ run: await api.get<FlowRun>(`/flow-runs/${id}`), tasks: await fetchAll<TaskRun>(`/flow-runs/${id}/task-runs`) }))),
    [ids.join(",")],
  );
  const add = (text: string) => {
    const id = text.trim().split("/").pop() ?? "";
    if (id) setQuery({ ids: [...ids, id] });
  };
  const keys = [...new Set((data.data ?? []).flatMap((d) => d.tasks.map((t) => t.task_key)))];
  const params = [...new Set((data.data ?? []).flatMap((d) => Object.keys(d.run.parameters)))];
  return (
    <div className="page">
      <h1>Compare runs</h1>
      <form className="toolbar" onSubmit={(e) => { e.preventDefault(); const input = e.currentTarget.elements.namedItem("run") as HTMLInputElement; add(input.value); input.value = ""; }}>
        <input name="run" aria-label="Run id to add" placeholder="Run id or URL to add" />
        <button type="submit">Add</button>
      </form>
      <ProblemBox error={data.error} />
      {ids.length === 0 ? <p className="muted">Add two or more runs to compare them.</p> : !data.data ? <Loading what="runs" /> : (
        <table className="table">
          <thead>
            <tr><th></th>{data.data.map((d) => <th key={d.run.id}><Link to={`/runs/${d.run.id}`}>{d.run.name}</Link> <StateBadge state={d.run.state} /></th>)}</tr>
          </thead>
          <tbody>
            <tr><th colSpan={ids.length + 1}>Parameters</th></tr>
            {params.map((p) => <tr key={`p:${p}`}><td>{p}</td>{data.data!.map((d) => <td key={d.run.id}>{JSON.stringify(d.run.parameters[p])}</td>)}</tr>)}
            <tr><th colSpan={ids.length + 1}>Duration</th></tr>
            <tr><td>flow</td>{data.data.map((d) => <td key={d.run.id}>{formatDuration(durationOf(d.run.start_time, d.run.end_time))}</td>)}</tr>
            {keys.map((k) => (
              <tr key={`t:${k}`}><td>{k}</td>{data.data!.map((d) => { const t = d.tasks.find((x) => x.task_key === k); return <td key={d.run.id}>{t ? <>{formatDuration(durationOf(t.start_time, t.end_time))} <StateBadge state={t.state} /></> : "—"}</td>; })}</tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
