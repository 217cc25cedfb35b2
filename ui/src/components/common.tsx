// Small shared pieces: state badges, the problem box every page shows on an API error,
// loading placeholders and tabs.
import type { ReactNode } from "react";
import type { ApiError } from "../lib/api";
import { stateColor } from "../lib/states";

export function StateBadge({ state }: { state: string }) {
  return (
    <span className="badge" data-state={state} style={{ background: stateColor(state) }}>
      {state}
    </span>
  );
}

export function ProblemBox({ error, onRetry }: { error: ApiError | null; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="problem" role="alert">
      <strong>{error.title}</strong>
      {error.status ? <span className="muted"> (HTTP {error.status})</span> : null}
      <div className="problem-detail">{error.detail}</div>
      {onRetry ? <button onClick={onRetry}>Try again</button> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="loading" aria-busy="true">Loading {what}…</div>;
}

export function Tabs<T extends string>({ tabs, active, onSelect }: { tabs: [T, string][]; active: T; onSelect: (tab: T) => void }) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map(([id, label]) => (
        <button key={id} role="tab" aria-selected={id === active} className={id === active ? "tab active" : "tab"} onClick={() => onSelect(id)}>
          {label}
        </button>
      ))}
    </div>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <div className="card-head">
        <h2>{title}</h2>
        <div className="card-actions">{actions}</div>
      </div>
      {children}
    </section>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}
