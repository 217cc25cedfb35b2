// ANSI SGR colour codes in log lines → styled segments (rendered as text, never as HTML).

export interface Segment {
  text: string;
  color: string | null;
  bold: boolean;
}

const BASE = ["#4b5563", "#e5484d", "#22a55b", "#d4a017", "#3b82f6", "#a855f7", "#0ea5b7", "#d1d5db"];
const BRIGHT = ["#9ca3af", "#f87171", "#4ade80", "#facc15", "#60a5fa", "#c084fc", "#22d3ee", "#ffffff"];

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[([0-9;]*)m/g;

export function parseAnsi(line: string): Segment[] {
  const segments: Segment[] = [];
  let color: string | null = null;
  let bold = false;
  let last = 0;
  const push = (text: string) => {
    if (text) segments.push({ text, color, bold });
  };
  for (const match of line.matchAll(SGR)) {
    push(line.slice(last, match.index));
    last = (match.index ?? 0) + match[0].length;
    const codes = match[1] === "" ? [0] : match[1].split(";").map(Number);
    for (const code of codes) {
      if (code === 0) {
        color = null;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) color = BASE[code - 30];
      else if (code >= 90 && code <= 97) color = BRIGHT[code - 90];
      else if (code === 39) color = null;
    }
  }
  push(line.slice(last));
  // Any other escape sequence is dropped rather than shown as garbage.
  // eslint-disable-next-line no-control-regex
  return segments.map((s) => ({ ...s, text: s.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "") }));
}
