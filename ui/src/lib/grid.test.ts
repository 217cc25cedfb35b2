import { describe, expect, it } from "vitest";
import {
  barHeights, buildGridModel, cellSeconds, cellState, fitCellWidth, hitTest, moveSelection,
  niceMax, scrollToShow, selectionFromQuery, selectionToQuery, taskDurations, visibleRange,
  type GridData, type GridLayout,
} from "./grid";

function run(id: string, duration: number | null = 10) {
  return { id, name: `run-${id}`, flow_name: "f", state: "COMPLETED", created: "2026-03-01T00:00:00Z", start: null, end: null, duration };
}

const data: GridData = {
  runs: [run("r1", 5), run("r2", 40), run("r3", null)],
  tasks: ["a-0", "b-1"],
  // run-major, as the API sends it: cells[run][task]
  cells: [
    [["COMPLETED", 1.5], ["FAILED", 2]],
    [["COMPLETED", 3], null],
    [["RUNNING", null], ["SUSPENDED", 0.25]],
  ],
};

describe("grid model", () => {
  it("packs run-major cells into task-major arrays without losing states or seconds", () => {
    const model = buildGridModel(data);
    expect(model.states.length).toBe(6);
    expect(cellState(model, 0, 0)).toBe("COMPLETED");
    expect(cellState(model, 1, 0)).toBe("FAILED");
    expect(cellState(model, 1, 1)).toBeNull();
    expect(cellState(model, 0, 2)).toBe("RUNNING");
    expect(cellState(model, 1, 2)).toBe("SUSPENDED");
    expect(cellSeconds(model, 0, 2)).toBeNull();
    expect(taskDurations(model, 0)).toEqual([1.5, 3, null]);
    expect(taskDurations(model, 1)).toEqual([2, null, 0.25]);
  });

  it("handles 100 runs x 500 tasks in one pass", () => {
    const runs = Array.from({ length: 100 }, (_, i) => run(`r${i}`));
    const tasks = Array.from({ length: 500 }, (_, j) => `t-${j}`);
    const cells = runs.map((_, i) => tasks.map((_, j) => ((i + j) % 7 ? ["COMPLETED", j / 10] : null) as [string, number] | null));
    const model = buildGridModel({ runs, tasks, cells });
    expect(cellState(model, 499, 99)).toBe((99 + 499) % 7 ? "COMPLETED" : null);
    expect(cellSeconds(model, 250, 3)).toBe(25);
    expect(cellState(model, 6, 1)).toBeNull();
  });
});

describe("duration scale", () => {
  it("rounds the top of the scale to 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.7)).toBe(1);
    expect(niceMax(1)).toBe(1);
    expect(niceMax(1.2)).toBe(2);
    expect(niceMax(37)).toBe(50);
    expect(niceMax(501)).toBe(1000);
    expect(niceMax(0.013)).toBe(0.02);
  });

  it("scales bars to the shared top, keeps nulls and shows tiny values", () => {
    const { max, heights } = barHeights([5, 40, null, 0.001, 0], 50);
    expect(max).toBe(50);
    expect(heights).toEqual([5, 40, null, 1, 0]);
  });
});

describe("canvas geometry", () => {
  const layout: GridLayout = { label: 200, header: 60, cellWidth: 10, rowHeight: 20, cols: 3, rows: 2 };

  it("fits the columns into the width within bounds", () => {
    expect(fitCellWidth(1200, 240, 100)).toBe(9);
    expect(fitCellWidth(800, 240, 500)).toBe(6);
    expect(fitCellWidth(1200, 240, 3)).toBe(22);
  });

  it("finds cells, run bars and task labels under the pointer, scrolled or not", () => {
    expect(hitTest(layout, 205, 65, 0, 0)).toEqual({ kind: "cell", row: 0, col: 0 });
    expect(hitTest(layout, 225, 85, 0, 0)).toEqual({ kind: "cell", row: 1, col: 2 });
    expect(hitTest(layout, 205, 65, 10, 20)).toEqual({ kind: "cell", row: 1, col: 1 });
    expect(hitTest(layout, 215, 10, 0, 0)).toEqual({ kind: "run", col: 1 });
    expect(hitTest(layout, 50, 85, 0, 0)).toEqual({ kind: "task", row: 1 });
    expect(hitTest(layout, 50, 10, 0, 0)).toBeNull();
    expect(hitTest(layout, 235, 65, 0, 0)).toBeNull(); // right of the last run
    expect(hitTest(layout, 205, 105, 0, 0)).toBeNull(); // below the last task
  });

  it("draws only the rows in view", () => {
    expect(visibleRange(0, 100, 20, 500)).toEqual([0, 5]);
    expect(visibleRange(30, 100, 20, 500)).toEqual([1, 7]);
    expect(visibleRange(9990, 100, 20, 500)).toEqual([499, 500]);
  });

  it("scrolls just enough to show an item", () => {
    expect(scrollToShow(0, 100, 20, 2)).toBe(0);
    expect(scrollToShow(0, 100, 20, 7)).toBe(60);
    expect(scrollToShow(100, 100, 20, 1)).toBe(20);
  });
});

describe("selection", () => {
  it("moves with arrows, pages and Home/End, clamped to the grid", () => {
    expect(moveSelection(null, "ArrowDown", 5, 4)).toEqual({ row: 0, col: 3 });
    expect(moveSelection(null, "x", 5, 4)).toBeNull();
    expect(moveSelection({ row: 0, col: 0 }, "ArrowUp", 5, 4)).toEqual({ row: 0, col: 0 });
    expect(moveSelection({ row: 0, col: 0 }, "ArrowRight", 5, 4)).toEqual({ row: 0, col: 1 });
    expect(moveSelection({ row: 1, col: 1 }, "PageDown", 5, 4, 3)).toEqual({ row: 4, col: 1 });
    expect(moveSelection({ row: 1, col: 1 }, "Home", 5, 4)).toEqual({ row: 1, col: 0 });
    expect(moveSelection({ row: 1, col: 1 }, "End", 5, 4)).toEqual({ row: 1, col: 3 });
    expect(moveSelection({ row: 1, col: 1 }, "Enter", 5, 4)).toBeNull();
    expect(moveSelection(null, "ArrowDown", 0, 4)).toBeNull();
  });

  it("round-trips through the URL by run id and task key", () => {
    const model = buildGridModel(data);
    expect(selectionToQuery(model, { row: 1, col: 2 })).toEqual({ run: "r3", task: "b-1" });
    expect(selectionFromQuery(model, "r3", "b-1")).toEqual({ row: 1, col: 2 });
    expect(selectionFromQuery(model, null, "b-1")).toEqual({ row: 1, col: 2 });
    expect(selectionFromQuery(model, "r1", null)).toEqual({ row: 0, col: 0 });
    expect(selectionFromQuery(model, "gone", "b-1")).toBeNull();
    expect(selectionFromQuery(model, "r1", "gone")).toBeNull();
    expect(selectionToQuery(model, null)).toEqual({ run: null, task: null });
  });
});
