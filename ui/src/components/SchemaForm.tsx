// A form generated from JSON-schema fields with inline validation messages; used by the
// deployment run form and by the resume-with-input form.
import { useState, type FormEvent } from "react";
import { initialText, parseFields, type Field } from "../lib/schemaForm";

interface Props {
  fields: Field[];
  initial?: Record<string, unknown>;
  submitLabel: string;
  busy?: boolean;
  onSubmit: (values: Record<string, unknown>) => void;
  idPrefix: string;
}

export function SchemaForm({ fields, initial = {}, submitLabel, busy, onSubmit, idPrefix }: Props) {
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, initialText(f, f.name in initial ? initial[f.name] : f.defaultValue)])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseFields(fields, texts);
    setErrors(parsed.errors);
    if (Object.keys(parsed.errors).length === 0) onSubmit(parsed.values);
  };
  const set = (name: string, value: string) => {
    setTexts((old) => ({ ...old, [name]: value }));
    const field = fields.find((f) => f.name === name);
    if (field) {
      const one = parseFields([field], { [name]: value });
      setErrors((old) => {
        const next = { ...old };
        if (one.errors[name]) next[name] = one.errors[name];
        else delete next[name];
        return next;
      });
    }
  };
  return (
    <form className="schema-form" onSubmit={submit} noValidate>
      {fields.length === 0 ? <p className="muted">No parameters.</p> : null}
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const error = errors[field.name];
        return (
          <div className="field" key={field.name}>
            <label htmlFor={id}>
              {field.label}
              {field.required ? <span className="required"> *</span> : null}
              <span className="muted"> {field.kind}</span>
            </label>
            {field.kind === "boolean" ? (
              <select id={id} name={field.name} value={texts[field.name] === "true" ? "true" : "false"} onChange={(e) => set(field.name, e.target.value)}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : field.kind === "enum" ? (
              <select id={id} name={field.name} value={texts[field.name]} onChange={(e) => set(field.name, e.target.value)}>
                <option value="">—</option>
                {field.options.map((o) => (
                  <option key={JSON.stringify(o)} value={JSON.stringify(o)}>{String(o)}</option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={field.name}
                value={texts[field.name]}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
                inputMode={field.kind === "integer" || field.kind === "number" ? "decimal" : undefined}
                onChange={(e) => set(field.name, e.target.value)}
              />
            )}
            {field.description ? <div className="muted small">{field.description}</div> : null}
            {error ? <div className="field-error" id={`${id}-error`} role="alert">{error}</div> : null}
          </div>
        );
      })}
      <button type="submit" className="primary" disabled={busy}>{submitLabel}</button>
    </form>
  );
}
