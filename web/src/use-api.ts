import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, currentWorkspace, type Query, withQuery } from './api.ts';
import { takeFirstReply } from './first-visit.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * GETs `path` with `query` whenever either changes (null: nothing to load yet). A newer request
 * aborts the older one, so a quick change of filters never shows the slower, stale answer.
 */
export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const key = path == null ? null : withQuery(path, query);
  // A first visit's figures may be in the page already: drawn at once, not fetched again.
  const [inlined] = useState(() => (key == null ? undefined : takeFirstReply<T>(key, currentWorkspace())));
  const skip = useRef(inlined === undefined ? null : key);
  const [state, setState] = useState<{ key: string | null; data?: T; error?: unknown; loading: boolean }>(inlined === undefined ? { key: null, loading: path != null } : { key, data: inlined, loading: false });
  const [tick, setTick] = useState(0);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  useEffect(() => {
    if (key == null) {
      setState({ key: null, loading: false });
      return;
    }
    if (skip.current === key && tick === 0) {
      skip.current = null;
      return;
    }
    const ctrl = new AbortController();
    // Keep what is shown while the next answer loads: a table that blanks on every filter change flickers.
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api<T>(key, { signal: ctrl.signal }).then(
      (data) => mounted.current && !ctrl.signal.aborted && setState({ key, data, loading: false }),
      (error) => mounted.current && !ctrl.signal.aborted && setState({ key, error, loading: false }),
    );
    return () => ctrl.abort();
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

const shared = new Map<string, { at: number; promise: Promise<unknown> }>();
const SHARED_MS = 60_000;

/**
 * Lists every page asks for (dimensions, surveys, segments) fetched once a minute per workspace,
 * not once per page and filter bar.
 */
export function useShared<T>(path: string): Loaded<T> {
  const ws = currentWorkspace() ?? '';
  const key = `${ws} ${path}`;
  const [state, setState] = useState<{ data?: T; error?: unknown }>(() => {
    // Lists the server put into a first visit's page: there from the first paint, and shared as if fetched.
    const inlined = takeFirstReply<T>(path, ws || null);
    if (inlined === undefined || shared.has(key)) return {};
    shared.set(key, { at: Date.now(), promise: Promise.resolve(inlined) });
    return { data: inlined };
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let hit = shared.get(key);
    if (!hit || Date.now() - hit.at > SHARED_MS || tick > 0) {
      hit = { at: Date.now(), promise: api<T>(path) };
      shared.set(key, hit);
      hit.promise.catch(() => shared.delete(key));
    }
    let live = true;
    hit.promise.then((data) => live && setState({ data: data as T }), (error) => live && setState({ error }));
    return () => void (live = false);
  }, [key, tick]);
  return { data: state.data, error: state.error, loading: state.data === undefined && !state.error, reload: () => setTick((t) => t + 1) };
}

/** After a change (a survey saved, a segment added), the next read of that list goes to the server. */
export function forgetShared(path: string) {
  for (const key of shared.keys()) if (key.endsWith(` ${path}`)) shared.delete(key);
}
