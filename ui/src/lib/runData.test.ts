import { describe, expect, it } from "vitest";
import { describeResult } from "./runData";

const b64 = (text: string) => btoa(text);

describe("describeResult", () => {
  it("decodes an inline JSON result", () => {
    expect(describeResult({ serializer: "json", storage: "inline", data: b64('{"a":1}') })).toBe('{\n  "a": 1\n}');
  });

  it("says a masked result is hidden and shows only its masked copy", () => {
    const masked = describeResult({ serializer: "masked", storage: "inline", data: b64('{"token":"********"}') });
    expect(masked.startsWith("result hidden: it contains a secret")).toBe(true);
    expect(masked).toContain('"token": "********"');
  });

  it("says a masked pickle or stored masked result is hidden without decoding anything", () => {
    expect(describeResult({ serializer: "masked", storage: "inline", data: null })).toBe("result hidden: it contains a secret");
    expect(describeResult({ serializer: "masked", storage: "store", path: "/r/x.masked" })).toBe("result hidden: it contains a secret");
  });
});
