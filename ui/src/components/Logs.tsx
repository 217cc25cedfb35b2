// A run's logs: live tail (polls with the after_id cursor while the run is not final), level
// filter, search, one task's lines only, ANSI colours, and a download of what is loaded.
import { useEffect, useMemo, useRef, useState } from "react";
import { api, type LogLine, type Page, type TaskRun } from "../lib/api";
import { parseAnsi } from "../lib/ansi";
import { levelName } from "../lib/format";
import { ProblemBox } from "./common";
import { ApiError, asApiError } from "../lib/api";

interface Props {
  runId: string;
  live: boolean;
  tasks: TaskRun[];
  taskRunId: string | null;
  onTaskChange: (id: string | null) => void;
}

const LEVELS: [number, string][] = [[0, "all"], [10, "DEBUG+"], [20, "INFO+"], [30, "WARNING+"], [40, "ERROR+"]];

export function Logs({ runId, live, tasks, taskRunId, onTaskChange }: Props) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [minLevel, setMinLevel] = useState(0);
  const [search, setSearch] = useState("");
  const [follow, setFollow] = useState(true);
  const cursor = useRef(0);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setLines([]);
    cursor.current = 0;
    let stop = false;
    let timer: number | undefined;
    const load = async () => {
      try {
        for (;;) {
          const page = await api.get<Page<LogLine>>(`/flow-runs/${runId}/logs`, { after_id: cursor.current, limit: 1000, task_run_id: taskRunId });
          if (stop) return;
          if (page.items.length) {
            cursor.current = page.items[page.items.length - 1].id;
            setLines((old) => old.concat(page.items));
          }
          if (!page.next_after_id) break;
        }
        setError(null);
      } catch (caught) {
        if (!stop) setError(asApiError(caught));
      }
      if (!stop && live) timer = window.setTimeout(load, 1000);
    };
    load();
    return () => {
      stop = true;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [runId, taskRunId, live]);

  const shown = useMemo(() => {
    const needle = search.toLowerCase();
    return lines.filter((l) => l.level >= minLevel && (!needle || l.message.toLowerCase().includes(needle)));
  }, [lines, minLevel, search]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown, follow]);

  const taskName = useMemo(() => new Map(tasks.map((t) => [t.id, t.task_key])), [tasks]);
  const download = () => {
    const text = shown.map((l) => `${l.timestamp} ${levelName(l.level)} ${l.task_run_id ? taskName.get(l.task_run_id) ?? l.task_run_id : "flow"} ${l.message}`).join("\n");
    const url = URL.createObjectURL(new Blob([text + "\n"], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${runId}.log`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="logs">
      <div className="toolbar">
        <label>
          Task{" "}
          <select aria-label="Task" value={taskRunId ?? ""} onChange={(e) => onTaskChange(e.target.value || null)}>
            <option value="">all tasks and the flow</option>
            {tasks.map((t) => (
              <option key={t.id} value={t.id}>{t.task_key}</option>
            ))}
          </select>
        </label>
        <label>
          Level{" "}
          <select aria-label="Level" value={minLevel} onChange={(e) => setMinLevel(Number(e.target.value))}>
            {LEVELS.map(([level, label]) => (
              <option key={level} value={level}>{label}</option>
            ))}
          </select>
        </label>
        <input type="search" placeholder="Search logs" aria-label="Search logs" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow</label>
        <button onClick={download}>Download</button>
        <span className="muted small">{shown.length} of {lines.length} lines{live ? " · live" : ""}</span>
      </div>
      <ProblemBox error={error} />
      <div className="log-lines" ref={box} data-testid="log-lines" tabIndex={0}>
        {shown.length === 0 ? <div className="muted">No log lines{search ? " match" : " yet"}.</div> : null}
        {shown.map((line) => (
          <div key={line.id} className={`log-line level-${levelName(line.level).toLowerCase()}`}>
            <span className="log-time">{line.timestamp.slice(11, 23)}</span>
            <span className="log-level">{levelName(line.level)}</span>
            <span className="log-task">{line.task_run_id ? taskName.get(line.task_run_id) ?? "task" : "flow"}</span>
            <span className="log-message">
              {parseAnsi(line.message).map((segment, i) => (
                <span key={i} style={{ color: segment.color ?? undefined, fontWeight: segment.bold ? 700 : undefined }}>{segment.text}</span>
              ))}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
