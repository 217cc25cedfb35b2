// Secrets and variables: secrets by name and date with a form to add or replace a value and a
// delete button (a secret's value is never shown: the API never sends it to the UI), and
// variables with their JSON values to add, edit and delete.
import { useState, type FormEvent } from "react";
import { Loading, ProblemBox } from "../components/common";
import { api, fetchAll } from "../lib/api";
import { formatTime } from "../lib/format";
import { useAction, usePoll } from "../lib/hooks";
import { roleNote, useSession } from "../lib/session";
import { parseVariable, showVariable } from "../lib/variables";

interface SecretInfo {
  name: string;
  created: string;
  updated: string;
}

interface Variable extends SecretInfo {
  value: unknown;
}

const path = (kind: "secrets" | "variables", name: string) => `/${kind}/${encodeURIComponent(name)}`;

export function Secrets() {
  const secrets = usePoll(() => fetchAll<SecretInfo>("/secrets"), [], 5000);
  const { error, act } = useAction(secrets.reload);
  const denied = roleNote(useSession());
  const [replacing, setReplacing] = useState<string | null>(null);
  const save = async (event: FormEvent<HTMLFormElement>, name: string | null) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const target = name ?? String(data.get("name") ?? "").trim();
    const value = String(data.get("value") ?? "");
    // A new secret never silently replaces one of the same name; "Replace value" does.
    if (await act(() => api.put(path("secrets", target), { value, overwrite: name !== null }))) {
      form.reset();
      setReplacing(null);
    }
  };
  return (
    <div className="page">
      <h1>Secrets</h1>
      <p className="muted">
        Encrypted values flows load with <code>Secret.load("name").get()</code> or YAML <code>{"{{secrets.name}}"}</code>.
        Values are never shown again once stored, and appear as ******** in run logs.
      </p>
      <ProblemBox error={error ?? secrets.error} onRetry={secrets.reload} />
      {!secrets.data && !secrets.error ? <Loading what="secrets" /> : null}
      {secrets.data ? (
        <table className="table" data-testid="secrets-table">
          <thead><tr><th>Secret</th><th>Created</th><th>Updated</th><th></th></tr></thead>
          <tbody>
            {secrets.data.map((s) => (
              <tr key={s.name} data-secret={s.name}>
                <td><code>{s.name}</code></td>
                <td>{formatTime(s.created)}</td>
                <td>{formatTime(s.updated)}</td>
                <td className="row-actions">
                  {replacing === s.name ? (
                    <form className="toolbar" onSubmit={(e) => save(e, s.name)} aria-label={`Replace ${s.name}`}>
                      <input name="value" type="password" autoComplete="new-password" required aria-label="New value" />
                      <button className="primary" type="submit">Save</button>
                      <button type="button" onClick={() => setReplacing(null)}>Cancel</button>
                    </form>
                  ) : (
                    <button disabled={!!denied} title={denied} onClick={() => setReplacing(s.name)}>Replace value</button>
                  )}
                  <button className="danger" disabled={!!denied} title={denied}
                    onClick={() => { if (window.confirm(`Delete the secret ${s.name}? Flows that load it will fail.`)) act(() => api.del(path("secrets", s.name))); }}>Delete</button>
                </td>
              </tr>
            ))}
            {secrets.data.length === 0 ? <tr><td colSpan={4} className="muted">No secrets stored.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
      {!denied ? (
        <form className="toolbar card" onSubmit={(e) => save(e, null)} aria-label="New secret">
          <strong>New secret</strong>
          <label>Name <input name="name" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]*" /></label>
          <label>Value <input name="value" type="password" autoComplete="new-password" required /></label>
          <button className="primary" type="submit">Store secret</button>
        </form>
      ) : null}
    </div>
  );
}

const shown = showVariable;

export function Variables() {
  const variables = usePoll(() => fetchAll<Variable>("/variables"), [], 5000);
  const { error, act } = useAction(variables.reload);
  const denied = roleNote(useSession());
  const [editing, setEditing] = useState<string | null>(null);
  const save = async (event: FormEvent<HTMLFormElement>, name: string | null) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const target = name ?? String(data.get("name") ?? "").trim();
    const value = parseVariable(String(data.get("value") ?? ""));
    if (await act(() => api.put(path("variables", target), { value, overwrite: name !== null }))) {
      form.reset();
      setEditing(null);
    }
  };
  return (
    <div className="page">
      <h1>Variables</h1>
      <p className="muted">
        Named JSON values flows read with <code>Variable.get("name", default)</code> or YAML <code>{"{{variables.name}}"}</code>.
      </p>
      <ProblemBox error={error ?? variables.error} onRetry={variables.reload} />
      {!variables.data && !variables.error ? <Loading what="variables" /> : null}
      {variables.data ? (
        <table className="table" data-testid="variables-table">
          <thead><tr><th>Variable</th><th>Value</th><th>Updated</th><th></th></tr></thead>
          <tbody>
            {variables.data.map((v) => (
              <tr key={v.name} data-variable={v.name}>
                <td><code>{v.name}</code></td>
                {editing === v.name ? (
                  <td colSpan={2}>
                    <form className="toolbar" onSubmit={(e) => save(e, v.name)} aria-label={`Edit ${v.name}`}>
                      <textarea name="value" defaultValue={shown(v.value)} rows={2} cols={40} aria-label="Value (JSON)" />
                      <button className="primary" type="submit">Save</button>
                      <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                    </form>
                  </td>
                ) : (
                  <>
                    <td><code className="small" data-testid="variable-value">{shown(v.value)}</code></td>
                    <td>{formatTime(v.updated)}</td>
                  </>
                )}
                <td className="row-actions">
                  {editing !== v.name ? <button disabled={!!denied} title={denied} onClick={() => setEditing(v.name)}>Edit</button> : null}
                  <button className="danger" disabled={!!denied} title={denied}
                    onClick={() => { if (window.confirm(`Delete the variable ${v.name}?`)) act(() => api.del(path("variables", v.name))); }}>Delete</button>
                </td>
              </tr>
            ))}
            {variables.data.length === 0 ? <tr><td colSpan={4} className="muted">No variables stored.</td></tr> : null}
          </tbody>
        </table>
      ) : null}
      {!denied ? (
        <form className="toolbar card" onSubmit={(e) => save(e, null)} aria-label="New variable">
          <strong>New variable</strong>
          <label>Name <input name="name" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]*" /></label>
          <label>Value <input name="value" placeholder='500, "prod", {"a": 1}' required /></label>
          <button className="primary" type="submit">Store variable</button>
        </form>
      ) : null}
    </div>
  );
}
