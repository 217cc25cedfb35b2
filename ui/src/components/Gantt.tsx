// The run's timeline: one bar per started task run on a shared time scale; rows are
// virtualised (only those in the scrolled window are drawn) so long runs stay light.
import { useMemo, useState } from "react";
import type { TaskRun } from "../lib/api";
import { formatDuration } from "../lib/format";
import { barsOf, timeScale } from "../lib/gantt";
import { stateColor } from "../lib/states";

const ROW = 22;
const LABEL = 220;
const VIEW_ROWS = 24;

export function Gantt({ tasks, onSelect }: { tasks: TaskRun[]; onSelect: (id: string) => void }) {
  const [scrollTop, setScrollTop] = useState(0);
  const now = Date.now();
  const bars = useMemo(() => barsOf(tasks, now), [tasks, now]);
  if (bars.length === 0) return <p className="muted">No task has started yet.</p>;
  const width = 760;
  const scale = timeScale(Math.min(...bars.map((b) => b.start)), Math.max(...bars.map((b) => b.end)), width);
  const first = Math.max(0, Math.floor(scrollTop / ROW) - 2);
  const last = Math.min(bars.length, first + VIEW_ROWS + 4);
  return (
    <div className="gantt" data-testid="gantt">
      <svg width={LABEL + width + 20} height={20} className="gantt-axis">
        {scale.ticks.map((tick) => (
          <text key={tick.at} x={LABEL + tick.x} y={14} className="tick">{tick.label}</text>
        ))}
      </svg>
      <div className="gantt-rows" style={{ height: Math.min(bars.length, VIEW_ROWS) * ROW + 4 }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <svg width={LABEL + width + 20} height={bars.length * ROW}>
          {scale.ticks.map((tick) => (
            <line key={tick.at} x1={LABEL + tick.x} x2={LABEL + tick.x} y1={0} y2={bars.length * ROW} className="gridline" />
          ))}
          {bars.slice(first, last).map((bar, offset) => {
            const row = first + offset;
            const x = LABEL + scale.toX(bar.start);
            const w = Math.max(2, scale.toX(bar.end) - scale.toX(bar.start));
            return (
              <g key={bar.id} transform={`translate(0, ${row * ROW})`} onClick={() => onSelect(bar.id)} className="gantt-row">
                <text x={4} y={15} className="gantt-label">{bar.label.length > 30 ? bar.label.slice(0, 29) + "…" : bar.label}</text>
                <rect x={x} y={4} width={w} height={ROW - 8} rx={3} fill={stateColor(bar.state)}>
                  <title>{`${bar.label}: ${bar.state}, ${formatDuration(bar.end - bar.start)}`}</title>
                </rect>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
