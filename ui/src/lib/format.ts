// How times, durations and parameters read in the UI.

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function durationOf(start: string | null, end: string | null, now = Date.now()): number | null {
  if (!start) return null;
  return (end ? Date.parse(end) : now) - Date.parse(start);
}

export function levelName(level: number): string {
  if (level >= 50) return "CRITICAL";
  if (level >= 40) return "ERROR";
  if (level >= 30) return "WARNING";
  if (level >= 20) return "INFO";
  return "DEBUG";
}

/** A schedule in words, as far as the fields allow. */
export function describeSchedule(schedule: { cron: string | null; interval: number | null; rrule: string | null; timezone: string }): string {
  const zone = schedule.timezone && schedule.timezone !== "UTC" ? `, ${schedule.timezone}` : " UTC";
  if (schedule.interval) {
    const s = schedule.interval;
    const text = s % 86400 === 0 ? `${s / 86400} day` : s % 3600 === 0 ? `${s / 3600} hour` : s % 60 === 0 ? `${s / 60} minute` : `${s} second`;
    const n = parseInt(text, 10);
    return `every ${n === 1 ? text.replace(/^1 /, "") : `${text}s`}`;
  }
  if (schedule.cron) return `${cronWords(schedule.cron)}${zone}`;
  if (schedule.rrule) return `${schedule.rrule}${zone}`;
  return "no schedule";
}

export function cronWords(cron: string): string {
  const aliases: Record<string, string> = { "@hourly": "every hour", "@daily": "every day at 00:00", "@weekly": "every Sunday at 00:00", "@monthly": "on day 1 of every month at 00:00", "@yearly": "every year on 1 January" };
  if (aliases[cron]) return aliases[cron];
  const every = cron.match(/^@every\s+(\S+)$/);
  if (every) return `every ${every[1]}`;
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) return `cron ${cron}`;
  const [minute, hour, dom, month, dow] = parts;
  const rest = dom === "*" && month === "*" && dow === "*";
  if (!rest) return `cron ${cron}`;
  const step = minute.match(/^\*\/(\d+)$/);
  if (hour === "*" && minute === "*") return "every minute";
  if (hour === "*" && step) return `every ${step[1]} minutes`;
  if (hour === "*" && /^\d+$/.test(minute)) return `every hour at :${minute.padStart(2, "0")}`;
  if (/^\d+$/.test(hour) && /^\d+$/.test(minute)) return `every day at ${hour.padStart(2, "0")}:${minute.padStart(2, "0")}`;
  return `cron ${cron}`;
}
