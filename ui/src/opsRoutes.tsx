// The pages of flows and versions, work queues, concurrency limits, events, triggers and
// sign-in: their navigation entries and routes, kept apart from App.tsx.
import type { ReactNode } from "react";
import { match } from "./lib/router";
import { Events, Triggers } from "./pages/Events";
import { FlowDetail, Flows, VersionDiff, VersionPage } from "./pages/Flows";
import { SignIn } from "./pages/SignIn";
import { ConcurrencyLimits, WorkQueues } from "./pages/WorkQueues";

/** (path, label, the key after g) */
export const OPS_NAV: [string, string, string][] = [
  ["/flows", "Flows", "f"],
  ["/work-queues", "Queues", "q"],
  ["/concurrency-limits", "Limits", "l"],
  ["/events", "Events", "e"],
  ["/triggers", "Triggers", "t"],
];

/** The page of `path`, or null when it is none of these. */
export function opsRoute(path: string): ReactNode | null {
  let m: Record<string, string> | null;
  if (path === "/signin") return <SignIn />;
  if (path === "/flows") return <Flows />;
  if ((m = match("/flows/:name", path))) return <FlowDetail key={m.name} name={m.name} />;
  if ((m = match("/flows/:name/versions/:id", path))) return <VersionPage key={m.id} name={m.name} versionId={m.id} />;
  if ((m = match("/flows/:name/diff", path))) return <VersionDiff key={m.name} name={m.name} />;
  if (path === "/work-queues") return <WorkQueues />;
  if (path === "/concurrency-limits") return <ConcurrencyLimits />;
  if (path === "/events") return <Events />;
  if (path === "/triggers") return <Triggers />;
  return null;
}
