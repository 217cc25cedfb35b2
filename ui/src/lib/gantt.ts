// Time scale of the Gantt chart: maps instants to pixels over a run's span and picks tick
// steps that read well (1 s ... 1 day) so that there are at most about `maxTicks` labels.

export interface Bar {
  id: string;
  label: string;
  state: string;
  start: number;
  end: number;
}

export interface TimeScale {
  start: number;
  end: number;
  width: number;
  toX(ms: number): number;
  ticks: { at: number; x: number; label: string }[];
}

const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000,
  300000, 600000, 900000, 1800000, 3600000, 7200000, 21600000, 43200000, 86400000,
];

export function tickStep(spanMs: number, maxTicks: number): number {
  for (const step of STEPS_MS) if (spanMs / step <= maxTicks) return step;
  const day = 86400000;
  return Math.ceil(spanMs / maxTicks / day) * day;
}

export function formatOffset(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m}m${rest}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

/** A linear scale from [start, end] (epoch ms) to [0, width] px with offset ticks. */
export function timeScale(start: number, end: number, width: number, maxTicks = 8): TimeScale {
  const span = Math.max(end - start, 1);
  const toX = (ms: number) => ((ms - start) / span) * width;
  const step = tickStep(span, maxTicks);
  const ticks = [];
  for (let at = 0; at <= span; at += step) ticks.push({ at: start + at, x: toX(start + at), label: formatOffset(at) });
  return { start, end: start + span, width, toX, ticks };
}

/** Bars of task runs that started; running ones end at `now`. Sorted by start. */
export function barsOf(
  tasks: ReadonlyArray<{ id: string; task_key: string; state: string; start_time: string | null; end_time: string | null }>,
  now: number,
): Bar[] {
  const bars: Bar[] = [];
  for (const task of tasks) {
    if (!task.start_time) continue;
    const start = Date.parse(task.start_time);
    const end = task.end_time ? Date.parse(task.end_time) : now;
    bars.push({ id: task.id, label: task.task_key, state: task.state, start, end: Math.max(end, start) });
  }
  return bars.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
}
