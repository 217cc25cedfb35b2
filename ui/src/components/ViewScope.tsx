// The head of the grid, calendar and duration pages: where you are (a deployment, a flow or
// every run) and links to the sibling views of the same scope.
import type { ReactNode } from "react";
import { api, type Deployment } from "../lib/api";
import { usePoll } from "../lib/hooks";
import { Link } from "../lib/router";
import { runsLink, viewPath, type Scope, type ViewName } from "../lib/scope";

const VIEWS: [ViewName, string][] = [["grid", "Grid"], ["calendar", "Calendar"], ["durations", "Task durations"]];

export function ViewScope({ scope, view, children }: { scope: Scope; view: ViewName; children?: ReactNode }) {
  const deployment = usePoll(
    () => (scope.kind === "deployment" ? api.get<Deployment>(`/deployments/${scope.id}`) : Promise.resolve(null)),
    [scope.kind === "deployment" ? scope.id : ""],
  );
  const title =
    scope.kind === "deployment"
      ? deployment.data ? `${deployment.data.flow_name}/${deployment.data.name}` : "deployment"
      : scope.kind === "flow" ? scope.name : "All runs";
  const views = scope.kind === "all" ? VIEWS.filter(([v]) => v === "calendar") : VIEWS;
  return (
    <div className="page-head view-scope">
      <div>
        <div className="crumbs">
          {scope.kind === "deployment" ? <><Link to="/deployments">Deployments</Link> / <Link to={`/deployments/${scope.id}`}>{title}</Link></> : null}
          {scope.kind === "flow" ? <><Link to="/flows">Flows</Link> / <Link to={`/flows/${encodeURIComponent(scope.name)}`}>{title}</Link></> : null}
          {scope.kind === "all" ? "Every deployment and flow" : null}
        </div>
        <h1>{title} · {VIEWS.find(([v]) => v === view)?.[1]}</h1>
        <nav className="view-links" aria-label="Views">
          {views.map(([v, label]) => (
            <Link key={v} to={viewPath(scope, v)} className={v === view ? "tab active" : "tab"} aria-current={v === view ? "page" : undefined}>{label}</Link>
          ))}
          <Link to={runsLink(scope)} className="tab">Runs</Link>
        </nav>
      </div>
      <div className="actions">{children}</div>
    </div>
  );
}
