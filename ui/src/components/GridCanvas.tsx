// The runs x tasks grid drawn on one canvas the size of its window: task labels stay on the
// left, each run's duration bar stays on top, and only the cells in view are painted, so 100
// runs x 500 tasks cost one canvas, not 50,000 elements. Native scrolling (a spacer the size of
// the whole grid), arrow keys move the selection, Enter or a click opens the task run.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";
import { formatDuration } from "../lib/format";
import {
  barHeights, cellSeconds, cellState, fitCellWidth, hitTest, moveSelection, scrollToShow,
  STATE_CODES, visibleRange, type GridLayout, type GridModel, type Hit, type Selection,
} from "../lib/grid";
import { stateColor } from "../lib/states";

const LABEL = 240;
const HEADER = 72;
const ROW = 18;
const MAX_HEIGHT = 620;

interface Props {
  model: GridModel;
  selected: Selection | null;
  onSelect: (sel: Selection | null) => void;
  onOpen: (sel: Selection) => void;
  onHover: (hit: Hit) => void;
  onPickTask: (row: number) => void;
  onPickRun: (col: number) => void;
}

export function GridCanvas({ model, selected, onSelect, onOpen, onHover, onPickTask, onPickRun }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(1000);
  const [scroll, setScroll] = useState({ x: 0, y: 0 });
  const [hover, setHover] = useState<Hit>(null);
  const [drawnAt, setDrawnAt] = useState<number | null>(null);
  // The canvas reads the theme's colours when it draws: redraw when the theme changes.
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? "");
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ""));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  const cols = model.runs.length;
  const rows = model.tasks.length;
  const cellWidth = fitCellWidth(width, LABEL, cols);
  const layout: GridLayout = { label: LABEL, header: HEADER, cellWidth, rowHeight: ROW, cols, rows };
  const totalWidth = LABEL + cols * cellWidth + 8;
  const totalHeight = HEADER + rows * ROW + 4;
  const viewHeight = Math.min(MAX_HEIGHT, totalHeight);
  const bars = useMemo(() => barHeights(model.runs.map((r) => r.duration), HEADER - 22), [model]);

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const observer = new ResizeObserver(() => setWidth(box.clientWidth));
    observer.observe(box);
    setWidth(box.clientWidth);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const frame = requestAnimationFrame(() => {
      draw(canvas, model, layout, bars, scroll, Math.min(width, totalWidth), viewHeight, selected, hover);
      setDrawnAt((old) => old ?? Math.round(performance.now()));
    });
    return () => cancelAnimationFrame(frame);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model, cellWidth, bars, scroll, width, viewHeight, selected, hover, theme]);

  // Keep the selection in view when it moves (keys, or a shared URL on load).
  useEffect(() => {
    const box = boxRef.current;
    if (!box || !selected) return;
    const bodyW = box.clientWidth - LABEL;
    const bodyH = viewHeight - HEADER;
    const top = scrollToShow(box.scrollTop, bodyH, ROW, selected.row);
    const left = scrollToShow(box.scrollLeft, bodyW, cellWidth, selected.col);
    if (top !== box.scrollTop || left !== box.scrollLeft) box.scrollTo({ top, left });
  }, [selected, cellWidth, viewHeight]);

  const hitOf = (event: MouseEvent<HTMLCanvasElement>): Hit => {
    const rect = event.currentTarget.getBoundingClientRect();
    return hitTest(layout, event.clientX - rect.left, event.clientY - rect.top, scroll.x, scroll.y);
  };
  const onMove = (event: MouseEvent<HTMLCanvasElement>) => {
    const hit = hitOf(event);
    if (JSON.stringify(hit) !== JSON.stringify(hover)) {
      setHover(hit);
      onHover(hit);
    }
  };
  const onClick = (event: MouseEvent<HTMLCanvasElement>) => {
    const hit = hitOf(event);
    boxRef.current?.focus({ preventScroll: true });
    if (hit?.kind === "cell") {
      if (cellState(model, hit.row, hit.col) === null) onSelect({ row: hit.row, col: hit.col });
      else onOpen({ row: hit.row, col: hit.col });
    } else if (hit?.kind === "task") onPickTask(hit.row);
    else if (hit?.kind === "run") onPickRun(hit.col);
  };
  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Enter" && selected) {
      event.preventDefault();
      onOpen(selected);
      return;
    }
    if (event.key === "Escape") {
      onSelect(null);
      return;
    }
    const page = Math.max(1, Math.floor((viewHeight - HEADER) / ROW) - 1);
    const next = moveSelection(selected, event.key, rows, cols, page);
    if (next) {
      event.preventDefault();
      onSelect(next);
    }
  };

  const sel = selected ? describe(model, selected) : null;
  return (
    <>
    <div
      ref={boxRef}
      className="grid-scroller"
      tabIndex={0}
      role="application"
      aria-roledescription="grid of runs by tasks"
      aria-label={`Grid of ${cols} runs by ${rows} tasks; arrow keys move, Enter opens the task run`}
      style={{ height: viewHeight + 16 }}
      onKeyDown={onKey}
      onScroll={(e) => setScroll({ x: e.currentTarget.scrollLeft, y: e.currentTarget.scrollTop })}
    >
      <div style={{ width: totalWidth, height: totalHeight, position: "relative" }}>
        <canvas
          ref={canvasRef}
          className="grid-canvas"
          data-testid="grid-canvas"
          data-runs={cols}
          data-tasks={rows}
          data-drawn={drawnAt ?? undefined}
          data-layout={JSON.stringify({ label: LABEL, header: HEADER, cellWidth, rowHeight: ROW })}
          data-selected={sel ?? ""}
          onMouseMove={onMove}
          onMouseLeave={() => { setHover(null); onHover(null); }}
          onClick={onClick}
        />
      </div>
    </div>
    <div className="sr-only" aria-live="polite">{sel ?? ""}</div>
    </>
  );
}

function describe(model: GridModel, sel: Selection): string {
  const state = cellState(model, sel.row, sel.col) ?? "not run";
  const took = cellSeconds(model, sel.row, sel.col);
  return `${model.tasks[sel.row]} in ${model.runs[sel.col]?.name}: ${state}${took === null ? "" : `, ${formatDuration(took * 1000)}`}`;
}

function draw(
  canvas: HTMLCanvasElement, model: GridModel, layout: GridLayout,
  bars: { max: number; heights: (number | null)[] }, scroll: { x: number; y: number },
  width: number, height: number, selected: Selection | null, hover: Hit,
): void {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const css = getComputedStyle(canvas);
  const fg = css.getPropertyValue("--fg").trim() || "#1b1f24";
  const muted = css.getPropertyValue("--muted").trim() || "#667085";
  const line = css.getPropertyValue("--line").trim() || "#d0d5dd";
  const card = css.getPropertyValue("--card").trim() || "#ffffff";
  const accent = css.getPropertyValue("--accent").trim() || "#3b5bdb";
  const { label, header, cellWidth: cw, rowHeight: rh, cols, rows } = layout;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = card;
  ctx.fillRect(0, 0, width, height);
  const [firstRow, lastRow] = visibleRange(scroll.y, height - header, rh, rows);
  const [firstCol, lastCol] = visibleRange(scroll.x, width - label, cw, cols);
  const gap = cw >= 8 ? 1 : 0;

  // Cells, one fill colour at a time.
  ctx.save();
  ctx.beginPath();
  ctx.rect(label, header, width - label, height - header);
  ctx.clip();
  const hoverRow = hover && hover.kind !== "run" ? hover.row : -1;
  const selRow = selected ? selected.row : -1;
  for (const row of [hoverRow, selRow]) {
    if (row < firstRow || row >= lastRow) continue;
    ctx.fillStyle = line;
    ctx.globalAlpha = row === selRow ? 0.45 : 0.3;
    ctx.fillRect(label, header + row * rh - scroll.y, width - label, rh);
    ctx.globalAlpha = 1;
  }
  for (let code = 1; code <= STATE_CODES.length; code++) {
    ctx.fillStyle = stateColor(STATE_CODES[code - 1]);
    for (let row = firstRow; row < lastRow; row++) {
      const base = row * cols;
      const y = header + row * rh - scroll.y + 2;
      for (let col = firstCol; col < lastCol; col++) {
        if (model.states[base + col] !== code) continue;
        ctx.fillRect(label + col * cw - scroll.x + gap, y, cw - 2 * gap, rh - 4);
      }
    }
  }
  if (hover?.kind === "cell") {
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1;
    ctx.strokeRect(label + hover.col * cw - scroll.x + 0.5, header + hover.row * rh - scroll.y + 0.5, cw - 1, rh - 1);
  }
  if (selected) {
    ctx.strokeStyle = accent;
    ctx.lineWidth = 2;
    ctx.strokeRect(label + selected.col * cw - scroll.x + 1, header + selected.row * rh - scroll.y + 1, cw - 2, rh - 2);
  }
  ctx.restore();

  // Run duration bars above their columns.
  ctx.save();
  ctx.beginPath();
  ctx.rect(label, 0, width - label, header);
  ctx.clip();
  const barBottom = header - 6;
  for (let col = firstCol; col < lastCol; col++) {
    const h = bars.heights[col];
    const x = label + col * cw - scroll.x;
    if (selected?.col === col || (hover && hover.kind !== "task" && hover.col === col)) {
      ctx.fillStyle = line;
      ctx.fillRect(x, 0, cw, header);
    }
    if (h === null) continue;
    ctx.fillStyle = stateColor(model.runs[col].state);
    ctx.fillRect(x + gap, barBottom - h, cw - 2 * gap, Math.max(h, 1));
  }
  ctx.restore();

  // Task labels on the left, the scale's top value in the corner.
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, header, label, height - header);
  ctx.clip();
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (let row = firstRow; row < lastRow; row++) {
    const y = header + row * rh - scroll.y;
    if (row === selRow || row === hoverRow) {
      ctx.fillStyle = line;
      ctx.fillRect(0, y, label, rh);
    }
    ctx.fillStyle = fg;
    const text = model.tasks[row];
    ctx.fillText(text.length > 34 ? `${text.slice(0, 33)}…` : text, 6, y + rh / 2, label - 10);
  }
  ctx.restore();
  ctx.fillStyle = muted;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  ctx.fillText(`run duration (max ${formatDuration(bars.max * 1000)})`, 6, 6, label - 10);
  ctx.fillText("task", 6, header - 16);
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, header - 0.5);
  ctx.lineTo(width, header - 0.5);
  ctx.moveTo(label - 0.5, 0);
  ctx.lineTo(label - 0.5, height);
  ctx.stroke();
}
