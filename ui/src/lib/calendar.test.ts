import { describe, expect, it } from "vitest";
import { dateOf, dayNumber, dayRange, heatLevel, weekday, yearCells, zoneDate, zoneDayStart, zoneInput } from "./calendar";

describe("calendar dates", () => {
  it("does day arithmetic on dates, whatever the machine's zone", () => {
    expect(dayNumber("1970-01-01")).toBe(0);
    expect(dateOf(dayNumber("2024-02-28") + 1)).toBe("2024-02-29");
    expect(dateOf(dayNumber("2026-12-31") + 1)).toBe("2027-01-01");
    expect(weekday("2026-01-01")).toBe(4); // a Thursday
    expect(weekday("2024-12-29")).toBe(0); // a Sunday
  });

  it("lays a year out in week columns with Sunday first, leap years included", () => {
    const layout = yearCells({ year: 2024, days: [{ date: "2024-12-31", counts: { COMPLETED: 2, FAILED: 1 } }], upcoming: [{ date: "2024-06-01", n: 4 }] });
    expect(layout.cells.length).toBe(366);
    expect(layout.cells[0]).toMatchObject({ date: "2024-01-01", week: 0, weekday: 1 });
    const last = layout.cells[365];
    expect(last).toMatchObject({ date: "2024-12-31", week: 52, weekday: 2, total: 3, failed: 1, level: 4 });
    expect(layout.weeks).toBe(53);
    expect(layout.cells.find((c) => c.date === "2024-06-01")?.upcoming).toBe(4);
    expect(layout.months[1]).toEqual({ label: "Feb", week: 4 });
    expect(yearCells({ year: 2026, days: [], upcoming: [] }).cells.length).toBe(365);
  });

  it("grades days by their share of the busiest day", () => {
    expect(heatLevel(0, 10)).toBe(0);
    expect(heatLevel(1, 10)).toBe(1);
    expect(heatLevel(5, 10)).toBe(2);
    expect(heatLevel(8, 10)).toBe(4);
    expect(heatLevel(10, 10)).toBe(4);
  });
});

describe("time zones", () => {
  const at = (iso: string) => Date.parse(iso);

  it("puts an instant on its day in the calendar's zone", () => {
    expect(zoneDate(at("2026-03-01T23:30:00Z"), "UTC")).toBe("2026-03-01");
    expect(zoneDate(at("2026-03-01T23:30:00Z"), "Europe/Berlin")).toBe("2026-03-02");
    expect(zoneDate(at("2026-03-01T03:30:00Z"), "America/New_York")).toBe("2026-02-28");
    expect(zoneDate(at("2026-03-01T18:20:00Z"), "Asia/Kathmandu")).toBe("2026-03-02"); // +05:45
  });

  it("starts each day at its midnight, through DST changes", () => {
    expect(new Date(zoneDayStart("2026-03-29", "Europe/Berlin")).toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(new Date(zoneDayStart("2026-03-30", "Europe/Berlin")).toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect(new Date(zoneDayStart("2026-11-01", "America/New_York")).toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(new Date(zoneDayStart("2026-11-02", "America/New_York")).toISOString()).toBe("2026-11-02T05:00:00.000Z");
    expect(new Date(zoneDayStart("2026-03-02", "Asia/Kathmandu")).toISOString()).toBe("2026-03-01T18:15:00.000Z");
  });

  it("starts a day whose midnight does not exist when the clock jumps", () => {
    // Chile springs forward at 00:00 -> 01:00: 2026-09-06 starts at 01:00 local (04:00 UTC).
    expect(new Date(zoneDayStart("2026-09-06", "America/Santiago")).toISOString()).toBe("2026-09-06T04:00:00.000Z");
  });

  it("turns a calendar day into the runs list's range in the browser's zone", () => {
    expect(dayRange("2026-03-29", "Europe/Berlin", "Europe/Berlin")).toEqual({ since: "2026-03-29T00:00", until: "2026-03-30T00:00" });
    expect(dayRange("2026-03-29", "UTC", "Europe/Berlin")).toEqual({ since: "2026-03-29T01:00", until: "2026-03-30T02:00" });
    expect(dayRange("2026-03-01", "UTC", "America/Los_Angeles")).toEqual({ since: "2026-02-28T16:00", until: "2026-03-01T16:00" });
    expect(zoneInput(at("2026-07-01T12:34:00Z"), "Asia/Kolkata")).toBe("2026-07-01T18:04");
  });
});
