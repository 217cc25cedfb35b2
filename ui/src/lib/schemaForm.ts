// Form fields generated from a JSON schema (a flow's parameters, a paused run's input), and
// the parsing of what people typed back into typed values with one message per bad field.
import type { JsonSchema } from "./api";

export type FieldKind = "string" | "integer" | "number" | "boolean" | "enum" | "json";

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  defaultValue: unknown;
  options: unknown[];
  description: string;
  minimum?: number;
  maximum?: number;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name] ?? root.definitions?.[name];
    if (target) return resolve(target, root);
  }
  return schema;
}

function kindOf(schema: JsonSchema): { kind: FieldKind; nullable: boolean } {
  let nullable = false;
  let types: string[] = [];
  if (schema.anyOf) {
    for (const option of schema.anyOf) {
      const t = option.type;
      if (t === "null") nullable = true;
      else if (typeof t === "string") types.push(t);
      else types.push("json");
    }
  } else if (Array.isArray(schema.type)) {
    nullable = schema.type.includes("null");
    types = schema.type.filter((t) => t !== "null");
  } else if (schema.type) types = [schema.type];
  if (schema.enum) return { kind: "enum", nullable };
  if (types.length !== 1) return { kind: "json", nullable };
  const [t] = types;
  if (t === "string" || t === "integer" || t === "number" || t === "boolean") return { kind: t, nullable };
  return { kind: "json", nullable };
}

/** The fields of an object schema; a scalar schema becomes one field named "value". */
export function fieldsOf(schema: JsonSchema | null | undefined): Field[] {
  if (!schema) return [];
  const root = schema;
  const top = resolve(schema, root);
  if (!top.properties) {
    const { kind, nullable } = kindOf(top);
    return [{ name: "value", label: top.title ?? "value", kind, required: true, nullable, defaultValue: top.default, options: top.enum ?? [], description: top.description ?? "", minimum: top.minimum, maximum: top.maximum }];
  }
  const required = new Set(top.required ?? []);
  return Object.entries(top.properties).map(([name, raw]) => {
    const property = resolve(raw, root);
    const { kind, nullable } = kindOf(property);
    return {
      // The parameter name as written in the flow, not pydantic's generated title ("N").
      name, label: name, kind, required: required.has(name), nullable,
      defaultValue: raw.default ?? property.default, options: property.enum ?? [], description: property.description ?? "",
      minimum: property.minimum, maximum: property.maximum,
    };
  });
}

/** Fields guessed from default values, for deployments that carry no schema. */
export function fieldsFromDefaults(defaults: Record<string, unknown>): Field[] {
  return Object.entries(defaults).map(([name, value]) => {
    const kind: FieldKind = typeof value === "boolean" ? "boolean" : Number.isInteger(value) ? "integer" : typeof value === "number" ? "number" : typeof value === "string" ? "string" : "json";
    return { name, label: name, kind, required: false, nullable: value === null, defaultValue: value, options: [], description: "" };
  });
}

/** The text a field's input starts with. */
export function initialText(field: Field, value: unknown = field.defaultValue): string {
  if (value === undefined || value === null) return "";
  if (field.kind === "json" || field.kind === "enum") return JSON.stringify(value);
  return String(value);
}

export interface Parsed {
  values: Record<string, unknown>;
  errors: Record<string, string>;
}

/** Typed values from the form's texts; a field left empty is omitted unless required. */
export function parseFields(fields: Field[], texts: Record<string, string>): Parsed {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const text = (texts[field.name] ?? "").trim();
    if (field.kind === "boolean") {
      values[field.name] = text === "true";
      continue;
    }
    if (text === "") {
      if (field.required && field.defaultValue === undefined) errors[field.name] = `${field.label} is required.`;
      continue;
    }
    if (field.kind === "integer" || field.kind === "number") {
      const number = Number(text);
      if (!Number.isFinite(number) || (field.kind === "integer" && !Number.isInteger(number))) {
        errors[field.name] = `${field.label} must be ${field.kind === "integer" ? "a whole number" : "a number"}, not "${text}".`;
        continue;
      }
      if (field.minimum !== undefined && number < field.minimum) errors[field.name] = `${field.label} must be at least ${field.minimum}.`;
      else if (field.maximum !== undefined && number > field.maximum) errors[field.name] = `${field.label} must be at most ${field.maximum}.`;
      else values[field.name] = number;
    } else if (field.kind === "string") {
      values[field.name] = texts[field.name];
    } else {
      try {
        const value = JSON.parse(text);
        if (field.kind === "enum" && !field.options.some((o) => JSON.stringify(o) === JSON.stringify(value))) {
          errors[field.name] = `${field.label} must be one of ${field.options.map((o) => JSON.stringify(o)).join(", ")}.`;
        } else values[field.name] = value;
      } catch {
        errors[field.name] = `${field.label} must be JSON (for example "text", 3, [1, 2] or {"a": 1}).`;
      }
    }
  }
  return { values, errors };
}
