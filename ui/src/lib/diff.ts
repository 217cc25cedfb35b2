// The diff model of the flow version pages: a unified diff (as GET /flow-versions/{a}/diff/{b}
// returns it) parsed into hunks of numbered lines, and paired into side-by-side rows.

export type LineKind = "context" | "add" | "del";

export interface DiffLine {
  kind: LineKind;
  oldNo: number | null;
  newNo: number | null;
  text: string;
}

export interface Hunk {
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface ParsedDiff {
  fromFile: string;
  toFile: string;
  hunks: Hunk[];
  added: number;
  removed: number;
}

/** One row of the side-by-side view: the old line on the left, the new one on the right. */
export interface SplitRow {
  left: DiffLine | null;
  right: DiffLine | null;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Parse unified diff text; an empty text (identical sources) has no hunks. */
export function parseUnifiedDiff(text: string): ParsedDiff {
  const parsed: ParsedDiff = { fromFile: "", toFile: "", hunks: [], added: 0, removed: 0 };
  let hunk: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const header = HUNK.exec(line);
    if (header) {
      oldNo = Number(header[1]);
      newNo = Number(header[3]);
      hunk = { header: line, oldStart: oldNo, newStart: newNo, lines: [] };
      parsed.hunks.push(hunk);
      continue;
    }
    if (hunk === null) {
      if (line.startsWith("--- ")) parsed.fromFile = line.slice(4).trim();
      else if (line.startsWith("+++ ")) parsed.toFile = line.slice(4).trim();
      continue;
    }
    const mark = line.charAt(0);
    const body = line.slice(1);
    if (mark === "+") {
      hunk.lines.push({ kind: "add", oldNo: null, newNo: newNo++, text: body });
      parsed.added++;
    } else if (mark === "-") {
      hunk.lines.push({ kind: "del", oldNo: oldNo++, newNo: null, text: body });
      parsed.removed++;
    } else if (mark === " " || line === "") {
      hunk.lines.push({ kind: "context", oldNo: oldNo++, newNo: newNo++, text: body });
    }
    // "\ No newline at end of file" and anything else carries no line of either side.
  }
  return parsed;
}

/** Pair a hunk's lines for the side-by-side view: context on both sides, and each run of
 * removed lines beside the added lines that follow it, row by row. */
export function splitRows(hunk: Hunk): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      rows.push({ left: dels[i] ?? null, right: adds[i] ?? null });
    }
    dels = [];
    adds = [];
  };
  for (const line of hunk.lines) {
    if (line.kind === "context") {
      flush();
      rows.push({ left: line, right: line });
    } else if (line.kind === "del") {
      if (adds.length) flush();
      dels.push(line);
    } else {
      adds.push(line);
    }
  }
  flush();
  return rows;
}

/** The numbered lines of a whole source, for the code view (a final newline adds no line). */
export function numberedLines(source: string): { no: number; text: string }[] {
  const lines = source.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((text, i) => ({ no: i + 1, text: text.endsWith("\r") ? text.slice(0, -1) : text }));
}

/** Whether an entrypoint names a YAML workflow (its source is the manifest). */
export function isManifest(entrypoint: string | null | undefined): boolean {
  // "wf.yaml" or "wf.yaml:TEMPLATE"; Python flows are "file.py:function".
  return !!entrypoint && /\.ya?ml(:[^/\\]*)?$/i.test(entrypoint);
}
