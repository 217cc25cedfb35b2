// The first view's API reads, started by index.html while the app's script still loads: each
// is taken once, by the app's first GET of the same URL soon after the page opened.
const MAX_AGE_MS = 10_000;

interface Started {
  at: number;
  response: Promise<Response>;
}

declare global {
  interface Window {
    __legatoPrefetch?: Record<string, Started>;
  }
}

/** The response of a read index.html started for `url`, or undefined (then fetch it). */
export function takePrefetched(url: string): Promise<Response> | undefined {
  const started = window.__legatoPrefetch;
  const found = started?.[url];
  if (!started || !found) return undefined;
  delete started[url];
  return performance.now() - found.at <= MAX_AGE_MS ? found.response : undefined;
}
