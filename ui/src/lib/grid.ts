// The grid view's model: runs (columns, oldest first) x task keys (rows) packed into typed
// arrays, the scale of the per-run duration bars, hit testing of the canvas, keyboard moves
// and the selection kept in the URL (?run=ID&task=KEY), all pure so vitest covers them.
import { ALL_STATES } from "./states";

export interface GridRun {
  id: string;
  name: string;
  flow_name: string;
  state: string;
  created: string;
  start: string | null;
  end: string | null;
  duration: number | null;
}

export interface GridData {
  runs: GridRun[];
  tasks: string[];
  cells: ([string, number | null] | null)[][];
}

/** Cell states as small integers: 0 is "no task run", i + 1 is STATE_CODES[i]. */
export const STATE_CODES: string[] = [...ALL_STATES, "SUSPENDED"];

export interface GridModel {
  runs: GridRun[];
  tasks: string[];
  /** state code of task row r in run column c at r * runs.length + c */
  states: Uint8Array;
  /** seconds at the same index, NaN where unknown */
  seconds: Float64Array;
}

export function stateCode(state: string): number {
  const index = STATE_CODES.indexOf(state);
  return index < 0 ? 1 : index + 1;
}

/** Pack the API's run-major cells into task-major typed arrays (one pass, no per-cell objects). */
export function buildGridModel(data: GridData): GridModel {
  const cols = data.runs.length;
  const rows = data.tasks.length;
  const states = new Uint8Array(rows * cols);
  const seconds = new Float64Array(rows * cols).fill(NaN);
  const codes = new Map(STATE_CODES.map((s, i) => [s, i + 1]));
  for (let c = 0; c < cols; c++) {
    const column = data.cells[c] ?? [];
    for (let r = 0; r < rows; r++) {
      const cell = column[r];
      if (!cell) continue;
      states[r * cols + c] = codes.get(cell[0]) ?? 1;
      if (cell[1] !== null) seconds[r * cols + c] = cell[1];
    }
  }
  return { runs: data.runs, tasks: data.tasks, states, seconds };
}

export function cellState(model: GridModel, row: number, col: number): string | null {
  const code = model.states[row * model.runs.length + col];
  return code ? STATE_CODES[code - 1] : null;
}

export function cellSeconds(model: GridModel, row: number, col: number): number | null {
  const value = model.seconds[row * model.runs.length + col];
  return Number.isNaN(value) ? null : value;
}

/** A task row's durations across the runs (null where it did not run or has not ended). */
export function taskDurations(model: GridModel, row: number): (number | null)[] {
  return model.runs.map((_, col) => cellSeconds(model, row, col));
}

/** A round upper bound for a bar scale: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max - 1e-9 * power) return step * power;
  return 10 * power;
}

/** Bar heights in px for values on a shared scale from 0 to niceMax(largest); null stays null,
 *  a positive value is at least 1 px so that it is visible. */
export function barHeights(values: (number | null)[], height: number): { max: number; heights: (number | null)[] } {
  let largest = 0;
  for (const v of values) if (v !== null && v > largest) largest = v;
  const max = niceMax(largest);
  return {
    max,
    heights: values.map((v) => (v === null ? null : v <= 0 ? 0 : Math.max(1, Math.round((v / max) * height)))),
  };
}

export interface GridLayout {
  /** width of the task label column */
  label: number;
  /** height of the run duration bars above the columns */
  header: number;
  cellWidth: number;
  rowHeight: number;
  cols: number;
  rows: number;
}

/** Cell width that fits `cols` columns into `width` px next to the labels, within [min, max]. */
export function fitCellWidth(width: number, label: number, cols: number, min = 6, max = 22): number {
  if (cols <= 0) return max;
  return Math.max(min, Math.min(max, Math.floor((width - label - 8) / cols)));
}

export type Hit =
  | { kind: "cell"; row: number; col: number }
  | { kind: "run"; col: number }
  | { kind: "task"; row: number }
  | null;

/** What is under canvas point (x, y) when the body is scrolled by (scrollX, scrollY); the label
 *  column and the header stay put while the cells scroll under them. */
export function hitTest(layout: GridLayout, x: number, y: number, scrollX: number, scrollY: number): Hit {
  const inLabels = x < layout.label;
  const inHeader = y < layout.header;
  if (inLabels && inHeader) return null;
  const col = Math.floor((x - layout.label + scrollX) / layout.cellWidth);
  const row = Math.floor((y - layout.header + scrollY) / layout.rowHeight);
  const colOk = col >= 0 && col < layout.cols;
  const rowOk = row >= 0 && row < layout.rows;
  if (inHeader) return !inLabels && colOk ? { kind: "run", col } : null;
  if (inLabels) return rowOk ? { kind: "task", row } : null;
  return colOk && rowOk ? { kind: "cell", row, col } : null;
}

/** The rows [first, last) at least partly inside a body of `height` px scrolled by `scrollY`. */
export function visibleRange(scroll: number, size: number, step: number, count: number): [number, number] {
  const first = Math.max(0, Math.floor(scroll / step));
  const last = Math.min(count, Math.ceil((scroll + size) / step));
  return [first, Math.max(first, last)];
}

export interface Selection {
  row: number;
  col: number;
}

/** The selection after a key press (arrows, Home/End, PageUp/PageDown), or null when the key
 *  does not move it. With nothing selected any move selects the newest run's first task. */
export function moveSelection(sel: Selection | null, key: string, rows: number, cols: number, page = 20): Selection | null {
  if (rows === 0 || cols === 0) return null;
  if (sel === null) {
    return ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"].includes(key)
      ? { row: 0, col: cols - 1 }
      : null;
  }
  const clampRow = (r: number) => Math.max(0, Math.min(rows - 1, r));
  const clampCol = (c: number) => Math.max(0, Math.min(cols - 1, c));
  switch (key) {
    case "ArrowUp": return { row: clampRow(sel.row - 1), col: sel.col };
    case "ArrowDown": return { row: clampRow(sel.row + 1), col: sel.col };
    case "ArrowLeft": return { row: sel.row, col: clampCol(sel.col - 1) };
    case "ArrowRight": return { row: sel.row, col: clampCol(sel.col + 1) };
    case "PageUp": return { row: clampRow(sel.row - page), col: sel.col };
    case "PageDown": return { row: clampRow(sel.row + page), col: sel.col };
    case "Home": return { row: sel.row, col: 0 };
    case "End": return { row: sel.row, col: cols - 1 };
    default: return null;
  }
}

/** The selection named by the URL (?run=ID&task=KEY) in this model, or null. A task without a
 *  run selects the newest run's cell of that task; a run without a task selects its first row. */
export function selectionFromQuery(model: GridModel, run: string | null, task: string | null): Selection | null {
  if (!run && !task) return null;
  const col = run ? model.runs.findIndex((r) => r.id === run) : model.runs.length - 1;
  const row = task ? model.tasks.indexOf(task) : 0;
  if (col < 0 || row < 0 || row >= model.tasks.length) return null;
  return { row, col };
}

/** The query parameters that name a selection (null clears them). */
export function selectionToQuery(model: GridModel, sel: Selection | null): { run: string | null; task: string | null } {
  if (!sel) return { run: null, task: null };
  return { run: model.runs[sel.col]?.id ?? null, task: model.tasks[sel.row] ?? null };
}

/** Scroll offset that brings item `index` (of `step` px) into a window of `size` px. */
export function scrollToShow(scroll: number, size: number, step: number, index: number): number {
  const top = index * step;
  if (top < scroll) return top;
  if (top + step > scroll + size) return top + step - size;
  return scroll;
}
