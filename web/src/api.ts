/**
 * Every call the dashboard makes to the API: same-origin with the session cookie, the chosen
 * workspace in a header (one session can reach several workspaces), and the CSRF token on every
 * request that changes something.
 */

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message);
  }
}

let csrfToken: string | null = null;
let workspaceId: string | null = null;
let onSignedOut: (() => void) | null = null;

export function configureApi(opts: { csrfToken?: string | null; workspaceId?: string | null; onSignedOut?: () => void }) {
  if (opts.csrfToken !== undefined) csrfToken = opts.csrfToken;
  if (opts.workspaceId !== undefined) workspaceId = opts.workspaceId;
  if (opts.onSignedOut) onSignedOut = opts.onSignedOut;
}

export const currentWorkspace = () => workspaceId;

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v == null || v === '') continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

interface Options {
  method?: string;
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Sign-in and the session check handle their own 401: it must not bounce to the sign-in page. */
  quiet401?: boolean;
}

async function send(path: string, opts: Options): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (workspaceId) headers['x-advocate-workspace'] = workspaceId;
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method, headers, credentials: 'same-origin', signal: opts.signal,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached. Check that it is running (npm start) and try again.');
  }
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  let field: string | undefined;
  try {
    const body = await res.json();
    if (body && typeof body.message === 'string') message = body.message;
    if (body && typeof body.field === 'string') field = body.field;
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  if (res.status === 401 && !opts.quiet401) onSignedOut?.();
  throw new ApiError(res.status, message, field);
}

export async function api<T>(path: string, opts: Options = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A binary or text reply (QR codes, CSV) with its headers. */
export async function apiBlob(path: string, opts: Options = {}): Promise<{ blob: Blob; headers: Headers }> {
  const res = await send(path, { ...opts, quiet401: opts.quiet401 });
  return { blob: await res.blob(), headers: res.headers };
}

/** Saves a reply as a file, for CSV exports that need the session's headers. */
export async function download(path: string, query: Query, filename: string): Promise<void> {
  const { blob } = await apiBlob(path, { query });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** What a person should do about an error, by its status. */
export function explain(err: unknown, needRole?: string): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  if (err.status === 403) {
    return `Your role in this workspace cannot do this${needRole ? `: it needs the ${needRole} role` : ''}. Ask an admin of the workspace to change your role. (${err.message})`;
  }
  if (err.status === 429) return `Too many requests: wait a moment and try again. (${err.message})`;
  if (err.status >= 500) return `The server failed (${err.status}). Try again; if it keeps failing, the server log says why. (${err.message})`;
  return err.message;
}
