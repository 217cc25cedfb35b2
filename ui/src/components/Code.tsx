// Source code and diffs of flow versions: numbered, coloured lines, and a diff shown unified
// or side by side with the old and new line numbers.
import { Fragment, useMemo } from "react";
import { numberedLines, parseUnifiedDiff, splitRows, type DiffLine } from "../lib/diff";
import { highlightLine, type Language } from "../lib/highlight";

function Colored({ text, language }: { text: string; language: Language }) {
  return <>{highlightLine(text, language).map((t, i) => (t.kind ? <span key={i} className={`tok-${t.kind}`}>{t.text}</span> : t.text))}</>;
}

export function CodeView({ source, label, language = "text" }: { source: string; label: string; language?: Language }) {
  const lines = useMemo(() => numberedLines(source), [source]);
  return (
    <div className="code-box" role="region" aria-label={label}>
      <table className="code" data-testid="source-code">
        <tbody>
          {lines.map((line) => (
            <tr key={line.no} id={`L${line.no}`}>
              <td className="ln">{line.no}</td>
              <td className="src"><Colored text={line.text} language={language} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const MARK = { context: " ", add: "+", del: "-" } as const;

function Cell({ line, side, language }: { line: DiffLine | null; side: "old" | "new"; language: Language }) {
  if (!line) return <><td className="ln" /><td className="src empty" /></>;
  const no = side === "old" ? line.oldNo : line.newNo;
  return (
    <>
      <td className="ln">{no}</td>
      <td className={`src ${line.kind}`}>{line.kind === "context" ? null : MARK[line.kind]}<Colored text={line.text} language={language} /></td>
    </>
  );
}

export function DiffView({ text, view, language = "text" }: { text: string; view: "unified" | "split"; language?: Language }) {
  const diff = useMemo(() => parseUnifiedDiff(text), [text]);
  if (!diff.hunks.length) return <p className="muted" data-testid="diff-empty">The two versions have the same source.</p>;
  return (
    <div className="code-box" role="region" aria-label="Diff">
      <p className="small">
        <span className="diff-stat add">+{diff.added}</span> <span className="diff-stat del">−{diff.removed}</span>{" "}
        <span className="muted">{diff.fromFile} → {diff.toFile}</span>
      </p>
      <table className={`code diff ${view}`} data-testid="diff" data-view={view}>
        <tbody>
          {diff.hunks.map((hunk, h) => (
            <Fragment key={h}>
              <tr className="hunk"><td colSpan={view === "split" ? 4 : 3}>{hunk.header}</td></tr>
              {view === "unified"
                ? hunk.lines.map((line, i) => (
                    <tr key={i} className={line.kind}>
                      <td className="ln">{line.oldNo ?? ""}</td>
                      <td className="ln">{line.newNo ?? ""}</td>
                      <td className={`src ${line.kind}`}>{MARK[line.kind]}<Colored text={line.text} language={language} /></td>
                    </tr>
                  ))
                : splitRows(hunk).map((row, i) => (
                    <tr key={i}>
                      <Cell line={row.left} side="old" language={language} />
                      <Cell line={row.right} side="new" language={language} />
                    </tr>
                  ))}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
