import { describe, expect, it } from "vitest";
import { fieldsFromDefaults, fieldsOf, parseFields } from "./schemaForm";

const SCHEMA = {
  type: "object",
  properties: {
    n: { type: "integer", default: 10, minimum: 0 },
    name: { type: "string" },
    factor: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
    mode: { $ref: "#/$defs/Mode" },
    rows: { type: "array", items: { type: "integer" } },
  },
  required: ["name"],
  $defs: { Mode: { enum: ["fast", "slow"] } },
};

describe("fieldsOf", () => {
  it("makes one field per property with its kind, default and requiredness", () => {
    const fields = fieldsOf(SCHEMA);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["n", "integer", false], ["name", "string", true], ["factor", "number", false],
      ["mode", "enum", false], ["rows", "json", false],
    ]);
    expect(fields[2].nullable).toBe(true);
    expect(fields[3].options).toEqual(["fast", "slow"]);
  });

  it("treats a scalar schema as one value field", () => {
    expect(fieldsOf({ type: "integer" })).toMatchObject([{ name: "value", kind: "integer" }]);
  });
});

describe("parseFields", () => {
  it("returns typed values and one message per bad field", () => {
    const fields = fieldsOf(SCHEMA);
    const parsed = parseFields(fields, { n: "2.5", name: "", factor: "1.5", mode: '"fast"', rows: "[1, 2" });
    expect(parsed.errors).toEqual({
      n: "n must be a whole number, not \"2.5\".",
      name: "name is required.",
      rows: 'rows must be JSON (for example "text", 3, [1, 2] or {"a": 1}).',
    });
    expect(parsed.values).toEqual({ factor: 1.5, mode: "fast" });
  });

  it("checks minimum and enum membership", () => {
    const parsed = parseFields(fieldsOf(SCHEMA), { n: "-1", name: "x", mode: '"medium"' });
    expect(parsed.errors.n).toBe("n must be at least 0.");
    expect(parsed.errors.mode).toBe('mode must be one of "fast", "slow".');
  });

  it("guesses fields from a deployment's default parameters", () => {
    const fields = fieldsFromDefaults({ n: 20, name: "Ada", flag: true, rows: [1] });
    expect(fields.map((f) => f.kind)).toEqual(["integer", "string", "boolean", "json"]);
    expect(parseFields(fields, { n: "3", name: "Bo", flag: "false", rows: "[2]" }).values).toEqual({ n: 3, name: "Bo", flag: false, rows: [2] });
  });
});
