import { describe, expect, it } from "vitest";
import { DEFAULT_LAYOUT, layoutGraph } from "./layout";

describe("layoutGraph", () => {
  it("puts every node one layer right of its deepest upstream", () => {
    // 0 -> 1 -> 3, 0 -> 2 -> 3, 0 -> 3
    const layout = layoutGraph(4, [[0, 1], [1, 3], [0, 2], [2, 3], [0, 3]]);
    expect(Array.from(layout.layer)).toEqual([0, 1, 1, 2]);
    expect(layout.x[3]).toBeGreaterThan(layout.x[1]);
    expect(layout.x[1]).toBe(layout.x[2]);
    expect(layout.y[1]).not.toBe(layout.y[2]);
  });

  it("orders a layer by the mean position of its upstream nodes", () => {
    // Roots 0 and 1; 3 depends on 1, 2 depends on 0: 2 should sit above 3.
    const layout = layoutGraph(4, [[1, 3], [0, 2]]);
    expect(layout.y[2]).toBeLessThan(layout.y[3]);
  });

  it("wraps a layer wider than maxRows into extra columns", () => {
    const edges: [number, number][] = [];
    for (let i = 1; i <= 100; i++) edges.push([0, i]);
    const layout = layoutGraph(101, edges, { ...DEFAULT_LAYOUT, maxRows: 40 });
    const columns = new Set(Array.from({ length: 100 }, (_, i) => layout.x[i + 1]));
    expect(columns.size).toBe(3);
    expect(layout.height).toBe(40 * (DEFAULT_LAYOUT.nodeHeight + DEFAULT_LAYOUT.gapY) - DEFAULT_LAYOUT.gapY);
  });

  it("places nodes on a cycle after the rest instead of looping", () => {
    const layout = layoutGraph(3, [[0, 1], [1, 2], [2, 1]]);
    expect(layout.layer[0]).toBe(0);
    expect(layout.layer[1]).toBe(layout.layer[2]);
    expect(layout.layer[1]).toBeGreaterThan(0);
  });

  it("lays out 5,000 chained and fanned tasks in linear time", () => {
    const edges: [number, number][] = [];
    for (let i = 1; i < 5000; i++) edges.push([Math.floor((i - 1) / 3), i]);
    const layout = layoutGraph(5000, edges);
    expect(layout.layer[4999]).toBeGreaterThan(5);
    expect(Number.isFinite(layout.width)).toBe(true);
    for (const [from, to] of edges) expect(layout.layer[to]).toBeGreaterThan(layout.layer[from]);
  });

  it("ignores edges that point outside the graph", () => {
    const layout = layoutGraph(2, [[0, 5], [-1, 1], [1, 1]]);
    expect(Array.from(layout.layer)).toEqual([0, 0]);
  });
});
