import { describe, expect, it } from "vitest";
import { cronWords, describeSchedule, formatDuration } from "./format";

describe("schedules in words", () => {
  it("reads common cron expressions", () => {
    expect(cronWords("15 * * * *")).toBe("every hour at :15");
    expect(cronWords("*/5 * * * *")).toBe("every 5 minutes");
    expect(cronWords("30 6 * * *")).toBe("every day at 06:30");
    expect(cronWords("0 6 * * 1-5")).toBe("cron 0 6 * * 1-5");
  });

  it("adds the time zone and reads intervals", () => {
    expect(describeSchedule({ cron: "15 * * * *", interval: null, rrule: null, timezone: "Europe/Berlin" })).toBe("every hour at :15, Europe/Berlin");
    expect(describeSchedule({ cron: null, interval: 3600, rrule: null, timezone: "UTC" })).toBe("every hour");
    expect(describeSchedule({ cron: null, interval: 600, rrule: null, timezone: "UTC" })).toBe("every 10 minutes");
  });

  it("formats durations", () => {
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(null)).toBe("—");
  });
});
