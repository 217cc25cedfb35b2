import { describe, expect, it } from "vitest";
import { chartGeometry, durationStats, shortSeconds, slotAt } from "./durations";

describe("duration statistics", () => {
  it("ignores runs without a duration", () => {
    expect(durationStats([3, null, 1, 2])).toEqual({ count: 3, median: 2, p95: 3, max: 3, last: 2 });
    expect(durationStats([4, 1, 3, 2, null])).toMatchObject({ median: 2.5, last: 2 });
    expect(durationStats([null, null])).toEqual({ count: 0, median: null, p95: null, max: null, last: null });
  });

  it("takes the nearest-rank 95th percentile", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(durationStats(values).p95).toBe(95);
  });
});

describe("chart geometry", () => {
  it("puts one slot per run, bars on a round scale, gaps where there is no duration", () => {
    const g = chartGeometry([1, null, 4], 356, 126, 56, 18, 8);
    expect(g.max).toBe(5);
    expect(g.ticks.map((t) => t.value)).toEqual([0, 1.25, 2.5, 3.75, 5]);
    expect(g.bars[1]).toBeNull();
    const [a, , c] = g.bars;
    expect(a!.x).toBe(56 + 1);
    expect(c!.x).toBe(56 + 200 + 1);
    expect(a!.w).toBe(98);
    expect(a!.y + a!.h).toBeCloseTo(108);
    expect(c!.h).toBeCloseTo(80);
    expect(a!.h).toBeCloseTo(20);
  });

  it("maps a pointer x back to its run", () => {
    expect(slotAt(40, 3, 356)).toBe(-1);
    expect(slotAt(57, 3, 356)).toBe(0);
    expect(slotAt(355, 3, 356)).toBe(2);
    expect(slotAt(57, 0, 356)).toBe(-1);
  });

  it("labels the axis in short units", () => {
    expect(shortSeconds(0)).toBe("0");
    expect(shortSeconds(0.25)).toBe("250ms");
    expect(shortSeconds(1.5)).toBe("1.5s");
    expect(shortSeconds(120)).toBe("2m");
    expect(shortSeconds(5400)).toBe("1.5h");
  });
});
