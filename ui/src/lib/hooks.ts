// Data hooks: load once or poll an API call, keeping the last good value and the last error.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, asApiError } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], intervalMs: number | null = null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // The interval is read when the next poll is scheduled: a change of interval alone (a run
  // that just finished stops polling) never throws away a load in flight or loads again.
  const intervalRef = useRef(intervalMs);
  intervalRef.current = intervalMs;
  const poller = useRef<{ schedule: () => void; stop: () => void } | null>(null);
  useEffect(() => {
    setData(undefined);
    setLoading(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    let live = true;
    let busy = false;
    let timer: number | undefined;
    const schedule = () => {
      if (live && !busy && timer === undefined && intervalRef.current !== null) timer = window.setTimeout(run, intervalRef.current);
    };
    const stop = () => {
      if (timer !== undefined) window.clearTimeout(timer);
      timer = undefined;
    };
    const run = async () => {
      timer = undefined;
      busy = true;
      try {
        const value = await loadRef.current();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (caught) {
        if (!live) return;
        setError(asApiError(caught));
      } finally {
        busy = false;
        if (live) {
          setLoading(false);
          schedule();
        }
      }
    };
    poller.current = { schedule, stop };
    run();
    return () => {
      live = false;
      stop();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  useEffect(() => {
    if (intervalMs === null) poller.current?.stop();
    else poller.current?.schedule();
  }, [intervalMs]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** An operator action's runner: `act(call)` clears the last error, awaits `call`, reloads the
 * page's data and returns true, or keeps the error (for a ProblemBox) and returns false. */
export function useAction(reload: () => void): { error: ApiError | null; act: (call: () => Promise<unknown>) => Promise<boolean> } {
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      reload();
      return true;
    } catch (caught) {
      setError(asApiError(caught));
      return false;
    }
  };
  return { error, act };
}
