// The grid, calendar and task duration views of deployments and flows (and the calendar of
// every run): their navigation entry and routes, kept apart from App.tsx.
import type { ReactNode } from "react";
import { match } from "./lib/router";
import { CalendarPage } from "./pages/Calendar";
import { DurationsPage } from "./pages/Durations";
import { GridPage } from "./pages/Grid";

/** (path, label, the key after g) */
export const VIEW_NAV: [string, string, string][] = [["/calendar", "Calendar", "y"]];

/** The page of `path`, or null when it is none of these. */
export function viewRoute(path: string): ReactNode | null {
  let m: Record<string, string> | null;
  if (path === "/calendar") return <CalendarPage scope={{ kind: "all" }} />;
  if ((m = match("/deployments/:id/grid", path))) return <GridPage key={m.id} scope={{ kind: "deployment", id: m.id }} />;
  if ((m = match("/flows/:name/grid", path))) return <GridPage key={m.name} scope={{ kind: "flow", name: m.name }} />;
  if ((m = match("/deployments/:id/calendar", path))) return <CalendarPage key={m.id} scope={{ kind: "deployment", id: m.id }} />;
  if ((m = match("/flows/:name/calendar", path))) return <CalendarPage key={m.name} scope={{ kind: "flow", name: m.name }} />;
  if ((m = match("/deployments/:id/durations", path))) return <DurationsPage key={m.id} scope={{ kind: "deployment", id: m.id }} />;
  if ((m = match("/flows/:name/durations", path))) return <DurationsPage key={m.name} scope={{ kind: "flow", name: m.name }} />;
  return null;
}
