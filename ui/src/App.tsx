// The app shell: navigation, routes (every page has a URL), dark/light theme and keyboard
// shortcuts (g then d/r/p/w/c to go to a page, / to search, ? for help).
import { useEffect, useState, type ReactNode } from "react";
import { Link, match, navigate, useLocation } from "./lib/router";
import { OPS_NAV, opsRoute } from "./opsRoutes";
import { VIEW_NAV, viewRoute } from "./viewRoutes";
import { Compare } from "./pages/Compare";
import { Dashboard } from "./pages/Dashboard";
import { DeploymentDetail, Deployments } from "./pages/Deployments";
import { RunDetail } from "./pages/RunDetail";
import { SessionBadge } from "./pages/SignIn";
import { Runs } from "./pages/Runs";
import { Secrets, Variables } from "./pages/Vault";
import { Workers } from "./pages/Workers";

type Theme = "light" | "dark";

function initialTheme(): Theme {
  const saved = localStorage.getItem("legato-theme");
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

const NAV: [string, string, string][] = [
  ["/", "Dashboard", "d"],
  ["/runs", "Runs", "r"],
  ["/deployments", "Deployments", "p"],
  ["/workers", "Workers", "w"],
  ["/compare", "Compare", "c"],
  ...OPS_NAV,
  ["/variables", "Variables", "v"],
  ["/secrets", "Secrets", "s"],
  ...VIEW_NAV,
];

function route(path: string): ReactNode {
  let m: Record<string, string> | null;
  const ops = opsRoute(path);
  if (ops) return ops;
  const view = viewRoute(path);
  if (view) return view;
  if (path === "/" || path === "/dashboard") return <Dashboard />;
  if (path === "/runs") return <Runs />;
  if ((m = match("/runs/:id", path))) return <RunDetail key={m.id} runId={m.id} />;
  if (path === "/deployments") return <Deployments />;
  if ((m = match("/deployments/:id", path))) return <DeploymentDetail key={m.id} id={m.id} showForm={false} />;
  if ((m = match("/deployments/:id/run", path))) return <DeploymentDetail key={m.id} id={m.id} showForm />;
  if (path === "/workers") return <Workers />;
  if (path === "/compare") return <Compare />;
  if (path === "/variables") return <Variables />;
  if (path === "/secrets") return <Secrets />;
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>Nothing lives at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.</p>
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [help, setHelp] = useState(false);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("legato-theme", theme);
  }, [theme]);
  useEffect(() => {
    let pendingG = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (pendingG) {
        pendingG = false;
        const entry = NAV.find(([, , key]) => key === event.key);
        if (entry) navigate(entry[0]);
        return;
      }
      if (event.key === "g") pendingG = true;
      else if (event.key === "?") setHelp((h) => !h);
      else if (event.key === "Escape") setHelp(false);
      else if (event.key === "/") {
        const search = document.querySelector<HTMLInputElement>("[data-shortcut=search], input[type=search]");
        if (search) {
          event.preventDefault();
          search.focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  useEffect(() => {
    document.title = `Legato · ${NAV.find(([p]) => p !== "/" && path.startsWith(p))?.[1] ?? "Dashboard"}`;
  }, [path]);

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to="/" className="brand">Legato</Link>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} className={(to === "/" ? path === "/" : path.startsWith(to)) ? "nav active" : "nav"} aria-current={(to === "/" ? path === "/" : path.startsWith(to)) ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="spacer" />
        <SessionBadge />
        <button onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">?</button>
        <button onClick={() => setTheme(theme === "dark" ? "light" : "dark")} aria-label="Toggle dark theme" data-testid="theme-toggle">
          {theme === "dark" ? "Light" : "Dark"}
        </button>
      </header>
      <main id="main" tabIndex={-1}>{route(path)}</main>
      {help ? (
        <div className="overlay" role="dialog" aria-label="Keyboard shortcuts" onClick={() => setHelp(false)}>
          <div className="card">
            <h2>Keyboard shortcuts</h2>
            <ul className="plain">
              {NAV.map(([, label, key]) => <li key={key}><kbd>g</kbd> <kbd>{key}</kbd> {label}</li>)}
              <li><kbd>/</kbd> search</li>
              <li><kbd>+</kbd> <kbd>-</kbd> <kbd>0</kbd> arrows: zoom, fit and pan the focused graph</li>
              <li><kbd>?</kbd> this help, <kbd>Esc</kbd> close</li>
            </ul>
          </div>
        </div>
      ) : null}
    </div>
  );
}
