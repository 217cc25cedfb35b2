// Runs per day over a year as a heat map (weeks as columns, GitHub-style) for every run, a
// deployment or a flow, with scheduled runs still to come outlined; days are those of the
// browser's time zone (or UTC), and clicking a day opens the runs list filtered to that day.
import { useMemo, useState } from "react";
import { Loading, ProblemBox } from "../components/common";
import { ViewScope } from "../components/ViewScope";
import { api } from "../lib/api";
import { browserZone, dayRange, yearCells, zoneDate, type CalendarCell, type CalendarDoc } from "../lib/calendar";
import { usePoll } from "../lib/hooks";
import { navigate, setQuery, useLocation } from "../lib/router";
import { runsLink, scopeQuery, type Scope } from "../lib/scope";

const CELL = 13;
const GAP = 3;
const LEFT = 30;
const TOP = 18;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function CalendarPage({ scope }: { scope: Scope }) {
  const { query } = useLocation();
  const local = browserZone();
  const zone = query.get("tz") === "UTC" ? "UTC" : local;
  const thisYear = Number(zoneDate(Date.now(), zone).slice(0, 4));
  const year = Number(query.get("year")) || thisYear;
  const doc = usePoll(() => api.get<CalendarDoc>("/calendar", { ...scopeQuery(scope), year, tz: zone }), [JSON.stringify(scope), year, zone], 60000);
  const layout = useMemo(() => (doc.data ? yearCells(doc.data) : null), [doc.data]);
  const [focus, setFocus] = useState<CalendarCell | null>(null);
  const today = zoneDate(Date.now(), zone);
  const open = (cell: CalendarCell) => navigate(runsLink(scope, dayRange(cell.date, doc.data?.time_zone ?? zone, local)));
  const total = layout ? layout.cells.reduce((n, c) => n + c.total, 0) : 0;
  const upcoming = layout ? layout.cells.reduce((n, c) => n + c.upcoming, 0) : 0;

  return (
    <div className="page">
      <ViewScope scope={scope} view="calendar">
        <button aria-label="Previous year" onClick={() => setQuery({ year: String(year - 1) })}>‹ {year - 1}</button>
        <strong>{year}</strong>
        <button aria-label="Next year" onClick={() => setQuery({ year: String(year + 1) })}>{year + 1} ›</button>
        <label>
          Days of{" "}
          <select aria-label="Time zone" value={zone === "UTC" ? "UTC" : "local"} onChange={(e) => setQuery({ tz: e.target.value === "UTC" ? "UTC" : null })}>
            <option value="local">{local} (this browser)</option>
            <option value="UTC">UTC</option>
          </select>
        </label>
      </ViewScope>
      <ProblemBox error={doc.error} onRetry={doc.reload} />
      {!layout && !doc.error ? <Loading what="calendar" /> : null}
      {layout ? (
        <div className="card calendar" data-testid="calendar" data-total={total} data-upcoming={upcoming}>
          <svg width={LEFT + layout.weeks * (CELL + GAP)} height={TOP + 7 * (CELL + GAP)} role="grid" aria-label={`Runs per day in ${year}`}>
            {layout.months.map((m) => (
              <text key={m.label} x={LEFT + m.week * (CELL + GAP)} y={11} className="tick">{m.label}</text>
            ))}
            {[1, 3, 5].map((d) => (
              <text key={d} x={0} y={TOP + d * (CELL + GAP) + 10} className="tick">{DAYS[d]}</text>
            ))}
            {layout.cells.map((cell) => (
              <rect
                key={cell.date}
                x={LEFT + cell.week * (CELL + GAP)}
                y={TOP + cell.weekday * (CELL + GAP)}
                width={CELL}
                height={CELL}
                rx={2}
                className={`day level-${cell.level}${cell.failed ? " failed" : ""}${cell.upcoming ? " upcoming" : ""}${cell.date === today ? " today" : ""}`}
                data-date={cell.date}
                data-total={cell.total}
                data-upcoming={cell.upcoming}
                tabIndex={cell.total || cell.upcoming ? 0 : -1}
                role="gridcell"
                aria-label={label(cell)}
                onMouseEnter={() => setFocus(cell)}
                onFocus={() => setFocus(cell)}
                onClick={() => open(cell)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    open(cell);
                  }
                }}
              >
                <title>{label(cell)}</title>
              </rect>
            ))}
          </svg>
          <div className="calendar-foot small">
            <span className="muted" aria-live="polite">{focus ? label(focus) : `${total} runs in ${year}${upcoming ? `, ${upcoming} scheduled to come` : ""} · days in ${doc.data?.time_zone ?? zone}`}</span>
            <span className="calendar-legend muted">
              less {[0, 1, 2, 3, 4].map((l) => <i key={l} className={`swatch level-${l}`} />)} more · <i className="swatch failed" /> failures · <i className="swatch upcoming" /> scheduled
            </span>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function label(cell: CalendarCell): string {
  const parts = [`${cell.date}: ${cell.total} run${cell.total === 1 ? "" : "s"}`];
  if (cell.failed) parts.push(`${cell.failed} failed`);
  if (cell.upcoming) parts.push(`${cell.upcoming} scheduled`);
  return parts.join(", ");
}
