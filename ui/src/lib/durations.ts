// The task duration chart's model: a linear value scale with round ticks, bar or point
// positions per run (runs without a duration leave a gap), and summary figures per task.
import { niceMax } from "./grid";

export interface DurationStats {
  count: number;
  median: number | null;
  p95: number | null;
  max: number | null;
  last: number | null;
}

/** Median, 95th percentile (nearest rank), max and newest of the known durations. */
export function durationStats(values: (number | null)[]): DurationStats {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const sorted = [...known].sort((a, b) => a - b);
  const n = sorted.length;
  const last = [...values].reverse().find((v) => v !== null && Number.isFinite(v)) ?? null;
  if (n === 0) return { count: 0, median: null, p95: null, max: null, last: null };
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p95 = sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)];
  return { count: n, median, p95, max: sorted[n - 1], last };
}

export interface ChartGeometry {
  width: number;
  height: number;
  left: number;
  bottom: number;
  max: number;
  ticks: { value: number; y: number }[];
  bars: ({ x: number; y: number; w: number; h: number } | null)[];
  y(value: number): number;
}

/** Bars for `values` (one slot per run) in a `width` x `height` box with room for the axis. */
export function chartGeometry(values: (number | null)[], width: number, height: number, left = 56, bottom = 18, top = 8): ChartGeometry {
  let largest = 0;
  for (const v of values) if (v !== null && v > largest) largest = v;
  const max = niceMax(largest);
  const plotH = height - bottom - top;
  const y = (value: number) => top + plotH - (value / max) * plotH;
  const step = max / 4;
  const ticks = [0, 1, 2, 3, 4].map((i) => ({ value: i * step, y: y(i * step) }));
  const slot = values.length ? (width - left) / values.length : 0;
  const w = Math.max(1, slot - (slot >= 6 ? 2 : 0));
  const bars = values.map((v, i) => {
    if (v === null) return null;
    const top_ = y(v);
    return { x: left + i * slot + (slot - w) / 2, y: top_, w, h: Math.max(v > 0 ? 1 : 0, y(0) - top_) };
  });
  return { width, height, left, bottom, max, ticks, bars, y };
}

/** The slot (run index) under x, or -1 outside the plot. */
export function slotAt(x: number, count: number, width: number, left = 56): number {
  if (x < left || count === 0) return -1;
  const index = Math.floor((x - left) / ((width - left) / count));
  return index >= 0 && index < count ? index : -1;
}

/** Seconds as a short axis label: 0, 250ms, 1.5s, 2m, 1.5h. */
export function shortSeconds(seconds: number): string {
  if (seconds === 0) return "0";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${+seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${+(seconds / 60).toFixed(1)}m`;
  return `${+(seconds / 3600).toFixed(1)}h`;
}
