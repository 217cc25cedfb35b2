"""How soon the web UI is usable on the big database (benchmarks.bigdata), in headless Chromium
against a real `legato server` on 127.0.0.1: the runs page (100,000 runs) and the graph view
of the run with 5,000 tasks.

    python -m benchmarks.ui_interactive [--dialect sqlite|postgresql] [--url URL] [--samples N]

"Interactive" is the time from navigation start (`performance.timeOrigin`) until the view is
drawn and has handled a click: on the runs page, 50 rows drawn, then a click on the first
row's checkbox shows "1 selected"; on the graph, the canvas drawn, then a click on "Zoom in"
has drawn the canvas again. A script installed before the app watches every frame: it notes
when the view is first drawn, clicks right then (a DOM click, which reaches the app's handlers
as a person's does) and notes the frame the answer shows in. With `--mouse` the click comes
from Playwright's mouse instead, once the harness has seen the view drawn, which adds the
harness's own latency. Each sample runs in a fresh browser context (nothing cached) after one
warm-up. Because wall-clock times swing with the machine's load, the CPU time the page's main
thread (Chromium's ThreadTime) and the server process spent until then are reported too."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks import bigdata
from benchmarks.api_latency import server
from legato.store import scratch

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
RUNS_PAGE_MS = 1000.0
GRAPH_MS = 3000.0

# Installed before any page script: a frame-by-frame watch that notes when each view became
# drawn and when a click (seen first, in the capture phase) was answered.
WATCH = """
(() => {
  const t = (window.__bench = { clicks: [] });
  addEventListener("click", () => t.clicks.push(performance.now()), true);
  const frame = () => {
    const now = performance.now();
    const first = document.querySelector('[data-testid="runs-table"] tbody tr:first-child input');
    const rows = document.querySelectorAll('[data-testid="runs-table"] tbody tr a').length;
    if (rows >= 50 && t.rows === undefined) {
      t.rows = now;
      if (t.clickInPage) first.click();
    }
    if (t.rows !== undefined && t.selected === undefined && /^1 selected$/.test(
        document.querySelector(".toolbar .muted")?.textContent ?? "")) t.selected = performance.now();
    const canvas = document.querySelector('[data-testid="run-graph"]');
    const drawn = Number(canvas?.dataset.drawn ?? 0);
    if (drawn > 0 && Number(canvas.dataset.nodeCount) > 0 && t.graph === undefined) {
      t.graph = now;
      t.graphDrawn = drawn;
      if (t.clickInPage) document.querySelector('.graph-tools button[aria-label="Zoom in"]').click();
    }
    if (t.graph !== undefined && t.zoomed === undefined && t.clicks.length && drawn > t.graphDrawn)
      t.zoomed = performance.now();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
"""


def _server_cpu_ms() -> float:
    """CPU time (user + system) so far of the `legato server` this process started."""
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"legato" in command and b"server" in command:
            total += int(fields[11]) + int(fields[12])
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def _sample(browser: Any, base: str, path: str, view: str, mouse: bool) -> dict[str, float]:
    context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    context.add_init_script(WATCH.replace("clicks: []", f"clicks: [], clickInPage: {str(not mouse).lower()}"))
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    server_before = _server_cpu_ms()
    try:
        page.goto(path)
        ready, answered = ("rows", "selected") if view == "runs" else ("graph", "zoomed")
        if mouse:
            # A mouse click from the harness once it sees the view drawn (CSS locators keep
            # its own cost of finding the target small).
            page.wait_for_function(f"window.__bench.{ready} !== undefined")
            target = ('[data-testid="runs-table"] tbody tr:first-child input' if view == "runs"
                      else '.graph-tools button[aria-label="Zoom in"]')
            page.locator(target).click()
        page.wait_for_function(f"window.__bench.{answered} !== undefined")
        marks: dict[str, Any] = page.evaluate("window.__bench")
        server_cpu = _server_cpu_ms() - server_before
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"the page raised errors: {errors}")
    return {"drawn_ms": marks[ready], "interactive_ms": marks[answered],
            "click_answered_ms": marks[answered] - marks["clicks"][0],
            # CPU, not wall-clock: what the page's main thread and the server spent until then.
            "page_cpu_ms": metrics["ThreadTime"] * 1000, "server_cpu_ms": server_cpu}


def _summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"samples": len(samples)}
    for key in ("drawn_ms", "interactive_ms", "click_answered_ms", "page_cpu_ms", "server_cpu_ms"):
        values = sorted(s[key] for s in samples)
        out[key] = {"median": round(statistics.median(values), 1), "max": round(values[-1], 1)}
    return out


def measure(url: str, samples: int, mouse: bool = False) -> dict[str, Any]:
    """Both views against a server over `url`, `samples` times each after a warm-up."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing; install it (apt-get install chromium).")
    views = {"runs page (100,000 runs)": ("/runs", "runs"),
             "run graph (5,000 tasks)": (f"/runs/{bigdata.BIG_RUN_ID}", "graph")}
    results: dict[str, Any] = {}
    with server(url) as api_base, sync_playwright() as playwright:
        base = api_base.removesuffix("/api/v1")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            for label, (path, view) in views.items():
                _sample(browser, base, path, view, mouse)
                taken = [_sample(browser, base, path, view, mouse) for _ in range(samples)]
                results[label] = _summary(taken)
                log(f"  {label}: {results[label]}")
        finally:
            browser.close()
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [("runs page interactive, worst sample", "runs page (100,000 runs)", RUNS_PAGE_MS),
            ("run graph of 5,000 tasks interactive, worst sample", "run graph (5,000 tasks)",
             GRAPH_MS)]
    return [{"target": name, "limit": limit, "value": results[key]["interactive_ms"]["max"],
             "status": "PASS" if results[key]["interactive_ms"]["max"] <= limit else "FAIL"}
            for name, key, limit in rows]


def markdown(results: dict[str, Any], verdicts: list[dict[str, Any]]) -> str:
    keys = ("drawn_ms", "interactive_ms", "click_answered_ms", "page_cpu_ms", "server_cpu_ms")
    lines = ["| view | drawn ms | interactive ms | click answered ms | page main-thread CPU ms "
             "| server CPU ms |", "|---|---:|---:|---:|---:|---:|",
             "| (each: median / max) | | | | | |"]
    for label, r in results.items():
        cells = " | ".join(f"{r[k]['median']:.0f} / {r[k]['max']:.0f}" for k in keys)
        lines.append(f"| {label} | {cells} |")
    lines += ["", "| target | limit ms | value ms | verdict |", "|---|---:|---:|---|"]
    lines += [f"| {t['target']} | {t['limit']:.0f} | {t['value']:.0f} | {t['status']} |"
              for t in verdicts]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ui_interactive",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialect", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=None,
                        help="an already loaded database (benchmarks.bigdata) to use instead")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--mouse", action="store_true",
                        help="click with Playwright's mouse once the harness sees the view drawn "
                        "(adds the harness's own latency) instead of from the page")
    args = parser.parse_args()
    if args.url:
        url = args.url
    elif args.dialect == "sqlite":
        url = bigdata.sqlite_database()
    else:
        url = bigdata.postgresql_database(scratch.admin_url_from_env())
    results = measure(url, args.samples, args.mouse)
    verdicts = targets(results)
    out = ROOT / "benchmarks" / "results" / "ui_interactive.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "targets": verdicts}, indent=2) + "\n")
    print(markdown(results, verdicts))
    return 1 if any(t["status"] == "FAIL" for t in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
