import { describe, expect, it } from "vitest";
import { parseVariable, showVariable } from "./variables";

describe("parseVariable", () => {
  it("reads JSON values", () => {
    expect(parseVariable("500")).toBe(500);
    expect(parseVariable('{"a": [1, true]}')).toEqual({ a: [1, true] });
    expect(parseVariable("null")).toBeNull();
    expect(parseVariable('"42"')).toBe("42");
  });
  it("keeps anything else as a string", () => {
    expect(parseVariable("prod")).toBe("prod");
    expect(parseVariable("{not json")).toBe("{not json");
  });
});

describe("showVariable", () => {
  it("shows one line of JSON", () => {
    expect(showVariable({ size: 500 })).toBe('{"size":500}');
    expect(showVariable("prod")).toBe('"prod"');
    expect(showVariable(null)).toBe("null");
  });
});
