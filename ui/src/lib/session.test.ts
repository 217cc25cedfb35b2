import { describe, expect, it } from "vitest";
import { allows, isAnonymous, roleNote, safeNext } from "./session";

describe("safeNext", () => {
  it("keeps a path of this site with its query", () => {
    expect(safeNext("/runs/abc?tab=logs&task=1")).toBe("/runs/abc?tab=logs&task=1");
  });

  it("refuses other origins, missing values and the sign-in page itself", () => {
    for (const next of [null, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/signin?next=/runs"]) {
      expect(safeNext(next)).toBe("/");
    }
  });
});

describe("roles", () => {
  it("allows a role and the ones above it", () => {
    const viewer = { username: "v", role: "viewer" as const };
    const operator = { username: "o", role: "operator" as const };
    expect(allows(viewer, "operator")).toBe(false);
    expect(allows(operator, "operator")).toBe(true);
    expect(allows(operator, "admin")).toBe(false);
    expect(allows(null, "admin")).toBe(true); // not known yet: the server decides
    expect(roleNote(viewer)).toBe("Your role (viewer) cannot do this; it needs operator.");
    expect(roleNote(operator)).toBeUndefined();
    expect(isAnonymous({ username: "anonymous", role: "admin" })).toBe(true);
  });
});
