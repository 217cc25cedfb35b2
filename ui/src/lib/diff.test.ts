import { describe, expect, it } from "vitest";
import { isManifest, numberedLines, parseUnifiedDiff, splitRows } from "./diff";

const DIFF = [
  "--- etl@aaaaaaaaaaaa",
  "+++ etl@bbbbbbbbbbbb",
  "@@ -1,5 +1,6 @@",
  " def f():",
  "-    a = 1",
  "-    b = 2",
  "+    a = 10",
  "+    b = 20",
  "+    c = 30",
  "     return a",
  " ",
  "-# end",
  "@@ -20 +21,2 @@",
  " tail",
  "+more",
  "",
].join("\n");

describe("parseUnifiedDiff", () => {
  it("numbers old and new lines through each hunk", () => {
    const diff = parseUnifiedDiff(DIFF);
    expect(diff.fromFile).toBe("etl@aaaaaaaaaaaa");
    expect(diff.toFile).toBe("etl@bbbbbbbbbbbb");
    expect(diff.hunks).toHaveLength(2);
    expect(diff.added).toBe(4);
    expect(diff.removed).toBe(3);
    const [first, second] = diff.hunks;
    expect(first.lines.map((l) => [l.kind, l.oldNo, l.newNo])).toEqual([
      ["context", 1, 1], ["del", 2, null], ["del", 3, null], ["add", null, 2], ["add", null, 3],
      ["add", null, 4], ["context", 4, 5], ["context", 5, 6], ["del", 6, null],
    ]);
    expect(first.lines[1].text).toBe("    a = 1");
    // A count left out means one line; numbering restarts at each hunk's header.
    expect(second.lines.map((l) => [l.kind, l.oldNo, l.newNo, l.text])).toEqual([
      ["context", 20, 21, "tail"], ["add", null, 22, "more"],
    ]);
  });

  it("has no hunks for identical sources and ignores no-newline markers", () => {
    expect(parseUnifiedDiff("").hunks).toEqual([]);
    const diff = parseUnifiedDiff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n");
    expect(diff.hunks[0].lines.map((l) => l.kind)).toEqual(["del", "add"]);
  });
});

describe("splitRows", () => {
  it("puts removed lines beside the added lines that replace them", () => {
    const rows = splitRows(parseUnifiedDiff(DIFF).hunks[0]);
    const show = (l: { kind: string; text: string } | null) => (l ? `${l.kind}:${l.text.trim()}` : null);
    expect(rows.map((r) => [show(r.left), show(r.right)])).toEqual([
      ["context:def f():", "context:def f():"],
      ["del:a = 1", "add:a = 10"],
      ["del:b = 2", "add:b = 20"],
      [null, "add:c = 30"],
      ["context:return a", "context:return a"],
      ["context:", "context:"],
      ["del:# end", null],
    ]);
  });

  it("does not pair an addition with a removal that comes after it", () => {
    const rows = splitRows(parseUnifiedDiff("@@ -1,2 +1,2 @@\n+new\n-old\n x\n").hunks[0]);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      [null, "new"], ["old", null], ["x", "x"],
    ]);
  });
});

describe("numberedLines and isManifest", () => {
  it("numbers a source's lines without a phantom last line", () => {
    expect(numberedLines("a\nb\n")).toEqual([{ no: 1, text: "a" }, { no: 2, text: "b" }]);
    expect(numberedLines("a\r\nb")).toEqual([{ no: 1, text: "a" }, { no: 2, text: "b" }]);
  });

  it("tells YAML entrypoints from Python ones", () => {
    expect(isManifest("/w/hello.yaml")).toBe(true);
    expect(isManifest("wf.yml:main")).toBe(true);
    expect(isManifest("flows.py:pipeline")).toBe(false);
    expect(isManifest(null)).toBe(false);
  });
});
