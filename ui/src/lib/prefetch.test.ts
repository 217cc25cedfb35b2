import { afterEach, describe, expect, it, vi } from "vitest";
import { takePrefetched } from "./prefetch";

describe("reads started by index.html", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("hands each started read to the first GET of its URL, once", () => {
    const response = Promise.resolve(new Response("{}"));
    vi.stubGlobal("window", { __legatoPrefetch: { "/api/v1/flow-runs?limit=50": { at: performance.now(), response } } });
    expect(takePrefetched("/api/v1/flow-runs?limit=51")).toBeUndefined();
    expect(takePrefetched("/api/v1/flow-runs?limit=50")).toBe(response);
    expect(takePrefetched("/api/v1/flow-runs?limit=50")).toBeUndefined();
  });

  it("ignores a read started long ago and pages without any", () => {
    const response = Promise.resolve(new Response("{}"));
    vi.stubGlobal("window", { __legatoPrefetch: { "/api/v1/flow-runs/x": { at: performance.now() - 60_000, response } } });
    expect(takePrefetched("/api/v1/flow-runs/x")).toBeUndefined();
    vi.stubGlobal("window", {});
    expect(takePrefetched("/api/v1/flow-runs/x")).toBeUndefined();
  });
});
