import { describe, expect, it } from "vitest";
import { parseAnsi } from "./ansi";

describe("parseAnsi", () => {
  it("splits a line into coloured segments and resets", () => {
    const segments = parseAnsi("plain \x1b[31mred\x1b[0m \x1b[1;92mok\x1b[m");
    expect(segments.map((s) => s.text)).toEqual(["plain ", "red", " ", "ok"]);
    expect(segments[0].color).toBeNull();
    expect(segments[1].color).toBe("#e5484d");
    expect(segments[2].color).toBeNull();
    expect(segments[3]).toMatchObject({ bold: true, color: "#4ade80" });
  });

  it("keeps markup as text", () => {
    expect(parseAnsi("<script>alert(1)</script>")[0].text).toBe("<script>alert(1)</script>");
  });

  it("drops escape sequences that are not colours", () => {
    expect(parseAnsi("a\x1b[2Kb").map((s) => s.text).join("")).toBe("ab");
  });
});
