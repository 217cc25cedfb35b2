// The calendar heat map's model. Days are calendar dates ("2026-03-29"), never instants: their
// arithmetic is done on day numbers, so no browser time zone can shift a day. Instants meet
// dates only through an explicit IANA zone (the zone the server bucketed the runs in): the
// date of an instant in a zone, and the first instant of a date in a zone (DST-safe).

export interface CalendarDay {
  date: string;
  counts: Record<string, number>;
}

export interface CalendarDoc {
  year: number;
  time_zone?: string;
  days: CalendarDay[];
  upcoming: { date: string; n: number }[];
}

export interface CalendarCell {
  date: string;
  week: number;
  weekday: number;
  total: number;
  failed: number;
  upcoming: number;
  level: number;
}

const MS_PER_DAY = 86_400_000;
const FAILING = new Set(["FAILED", "CRASHED"]);

/** Days since 1970-01-01 of a "YYYY-MM-DD" date. */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / MS_PER_DAY);
}

/** The "YYYY-MM-DD" date of a day number. */
export function dateOf(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 for Sunday ... 6 for Saturday. */
export function weekday(date: string): number {
  return (((dayNumber(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Heat level 0 (no runs) to 4 (the busiest day's share). */
export function heatLevel(total: number, max: number): number {
  if (total <= 0 || max <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((4 * total) / max)));
}

/** Every day of `year` placed GitHub-style: columns are weeks (Sunday first), rows weekdays. */
export function yearCells(doc: CalendarDoc): { cells: CalendarCell[]; weeks: number; months: { label: string; week: number }[]; max: number } {
  const first = dayNumber(`${doc.year}-01-01`);
  const last = dayNumber(`${doc.year + 1}-01-01`);
  const offset = weekday(`${doc.year}-01-01`);
  const byDate = new Map(doc.days.map((d) => [d.date, d.counts]));
  const upcoming = new Map(doc.upcoming.map((u) => [u.date, u.n]));
  let max = 0;
  for (const day of doc.days) max = Math.max(max, sum(day.counts));
  const cells: CalendarCell[] = [];
  for (let day = first; day < last; day++) {
    const date = dateOf(day);
    const counts = byDate.get(date) ?? {};
    const total = sum(counts);
    cells.push({
      date,
      week: Math.floor((day - first + offset) / 7),
      weekday: (day - first + offset) % 7,
      total,
      failed: Object.entries(counts).reduce((n, [state, c]) => n + (FAILING.has(state) ? c : 0), 0),
      upcoming: upcoming.get(date) ?? 0,
      level: heatLevel(total, max),
    });
  }
  const months = Array.from({ length: 12 }, (_, m) => {
    const date = `${doc.year}-${String(m + 1).padStart(2, "0")}-01`;
    return { label: MONTHS[m], week: Math.floor((dayNumber(date) - first + offset) / 7) };
  });
  return { cells, weeks: cells[cells.length - 1].week + 1, months, max };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function sum(counts: Record<string, number>): number {
  let n = 0;
  for (const value of Object.values(counts)) n += value;
  return n;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, timeZone: string): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ms))) if (part.type !== "literal") parts[part.type] = Number(part.value);
  return { y: parts.year, m: parts.month, d: parts.day, hh: parts.hour, mm: parts.minute, ss: parts.second };
}

/** Milliseconds the zone's wall clock is ahead of UTC at instant `ms`. */
export function zoneOffset(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss) - Math.floor(ms / 1000) * 1000;
}

/** The calendar date of instant `ms` in `timeZone`. */
export function zoneDate(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${String(w.y).padStart(4, "0")}-${String(w.m).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`;
}

/** The first instant of `date` in `timeZone`: its midnight, or the end of a DST gap that
 *  swallowed midnight; the earlier midnight when a fall-back repeats it. */
export function zoneDayStart(date: string, timeZone: string): number {
  const guess = dayNumber(date) * MS_PER_DAY;
  const offsets = new Set([guess - MS_PER_DAY, guess, guess + MS_PER_DAY].map((t) => zoneOffset(t, timeZone)));
  const starts = [...offsets].map((o) => guess - o).filter((t) => zoneDate(t, timeZone) === date);
  if (starts.length) return Math.min(...starts);
  // Midnight fell in a gap: the day starts where the clock jumped, found by bisection.
  let before = guess - Math.max(...offsets);
  let after = guess - Math.min(...offsets) + 3_600_000;
  while (after - before > 1000) {
    const mid = Math.floor((before + after) / 2);
    if (zoneDate(mid, timeZone) < date) before = mid;
    else after = mid;
  }
  return after;
}

/** "YYYY-MM-DDTHH:MM" wall-clock time of `ms` in `timeZone` (a datetime-local value). */
export function zoneInput(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${zoneDate(ms, timeZone)}T${pad(w.hh)}:${pad(w.mm)}`;
}

/** Since/until of the runs list (read in `browserZone`) covering `date` of `calendarZone`. */
export function dayRange(date: string, calendarZone: string, browserZone: string): { since: string; until: string } {
  const start = zoneDayStart(date, calendarZone);
  const end = zoneDayStart(dateOf(dayNumber(date) + 1), calendarZone);
  return { since: zoneInput(start, browserZone), until: zoneInput(end, browserZone) };
}

/** The browser's IANA zone ("UTC" when it has none). */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
