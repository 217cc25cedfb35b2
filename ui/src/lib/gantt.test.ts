import { describe, expect, it } from "vitest";
import { barsOf, formatOffset, tickStep, timeScale } from "./gantt";

describe("timeScale", () => {
  it("maps the run's span onto the chart's width", () => {
    const scale = timeScale(1000, 11000, 500);
    expect(scale.toX(1000)).toBe(0);
    expect(scale.toX(6000)).toBe(250);
    expect(scale.toX(11000)).toBe(500);
  });

  it("chooses a readable tick step with at most maxTicks ticks", () => {
    expect(tickStep(10_000, 8)).toBe(2000);
    expect(tickStep(3_600_000, 8)).toBe(600_000);
    const scale = timeScale(0, 90_000, 900, 8);
    expect(scale.ticks.length).toBeLessThanOrEqual(9);
    expect(scale.ticks[1].label).toBe("15s");
    expect(scale.ticks.every((tick, i, all) => i === 0 || tick.x > all[i - 1].x)).toBe(true);
  });

  it("survives a zero-length run", () => {
    const scale = timeScale(5, 5, 100);
    expect(Number.isFinite(scale.toX(5))).toBe(true);
    expect(scale.ticks.length).toBeGreaterThan(0);
  });

  it("formats offsets in the largest sensible unit", () => {
    expect(formatOffset(250)).toBe("250ms");
    expect(formatOffset(1500)).toBe("1.5s");
    expect(formatOffset(125_000)).toBe("2m5s");
    expect(formatOffset(7_200_000)).toBe("2h");
  });
});

describe("barsOf", () => {
  it("skips tasks that never started and ends running ones now", () => {
    const bars = barsOf(
      [
        { id: "b", task_key: "b", state: "RUNNING", start_time: "2026-01-01T00:00:05Z", end_time: null },
        { id: "a", task_key: "a", state: "COMPLETED", start_time: "2026-01-01T00:00:00Z", end_time: "2026-01-01T00:00:02Z" },
        { id: "c", task_key: "c", state: "PENDING", start_time: null, end_time: null },
      ],
      Date.parse("2026-01-01T00:00:09Z"),
    );
    expect(bars.map((bar) => bar.id)).toEqual(["a", "b"]);
    expect(bars[1].end - bars[1].start).toBe(4000);
  });
});
