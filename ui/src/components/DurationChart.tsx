// One task's duration in each run as a bar chart (hand-written SVG): bars take the run's cell
// colour when states are known, the median is a dashed line, hovering a bar names the run and
// clicking it opens that run.
import { useState, type MouseEvent } from "react";
import { chartGeometry, durationStats, shortSeconds, slotAt } from "../lib/durations";
import { formatDuration, formatTime } from "../lib/format";
import type { GridRun } from "../lib/grid";
import { stateColor } from "../lib/states";

interface Props {
  title: string;
  runs: GridRun[];
  durations: (number | null)[];
  states?: (string | null)[];
  highlight?: number | null;
  width?: number;
  height?: number;
  onOpen?: (index: number) => void;
}

export function DurationChart({ title, runs, durations, states, highlight = null, width = 720, height = 180, onOpen }: Props) {
  const [hover, setHover] = useState<number>(-1);
  const geometry = chartGeometry(durations, width, height);
  const stats = durationStats(durations);
  const shown = hover >= 0 ? hover : highlight ?? -1;
  const slot = (event: MouseEvent<SVGSVGElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return slotAt((event.clientX - rect.left) * (width / rect.width), durations.length, width);
  };
  return (
    <figure className="duration-chart" data-testid="duration-chart" data-task={title} data-count={stats.count}>
      <figcaption>
        <strong>{title}</strong>{" "}
        <span className="muted small">
          {stats.count} of {durations.length} runs · median {formatDuration(stats.median === null ? null : stats.median * 1000)} · p95{" "}
          {formatDuration(stats.p95 === null ? null : stats.p95 * 1000)} · max {formatDuration(stats.max === null ? null : stats.max * 1000)}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        role="img"
        aria-label={`Duration of ${title} in each of ${durations.length} runs`}
        onMouseMove={(e) => setHover(slot(e))}
        onMouseLeave={() => setHover(-1)}
        onClick={(e) => {
          const index = slot(e);
          if (index >= 0 && onOpen) onOpen(index);
        }}
        className={onOpen ? "clickable" : undefined}
      >
        {geometry.ticks.map((tick) => (
          <g key={tick.value}>
            <line x1={geometry.left} x2={width} y1={tick.y} y2={tick.y} className="gridline" />
            <text x={geometry.left - 6} y={tick.y + 4} textAnchor="end" className="tick">{shortSeconds(tick.value)}</text>
          </g>
        ))}
        {shown >= 0 && geometry.bars.length ? (
          <rect x={geometry.left + shown * ((width - geometry.left) / durations.length)} y={0} width={(width - geometry.left) / durations.length} height={height - geometry.bottom} className="chart-hover" />
        ) : null}
        {geometry.bars.map((bar, i) =>
          bar ? <rect key={i} x={bar.x} y={bar.y} width={bar.w} height={bar.h} fill={stateColor(states?.[i] ?? "COMPLETED")} /> : null,
        )}
        {stats.median !== null ? (
          <line x1={geometry.left} x2={width} y1={geometry.y(stats.median)} y2={geometry.y(stats.median)} className="median" />
        ) : null}
        <text x={geometry.left} y={height - 4} className="tick">oldest</text>
        <text x={width} y={height - 4} textAnchor="end" className="tick">newest run</text>
      </svg>
      <div className="muted small chart-readout" aria-live="polite">
        {shown >= 0 && runs[shown]
          ? `${runs[shown].name} · ${formatTime(runs[shown].start ?? runs[shown].created)} · ${durations[shown] === null ? "no duration" : formatDuration(durations[shown]! * 1000)}`
          : "\u00a0"}
      </div>
    </figure>
  );
}
