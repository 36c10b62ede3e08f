import type { Session } from './session.ts';

/**
 * What the server put into the overview's HTML for a signed-in visit (src/http/first-figures.ts):
 * the session and the first figures. Each is used once, by the first render that asks for it; every
 * later request goes to the API as usual.
 */
interface First {
  workspaceId: string;
  session: Session | null;
  replies: Record<string, unknown>;
}

let first: First | null | undefined;

function read(): First | null {
  if (first !== undefined) return first;
  first = null;
  try {
    const el = document.getElementById('advocate-first');
    if (el?.textContent) first = JSON.parse(el.textContent) as First;
    el?.remove();
  } catch {
    // Unreadable: the page asks the API, as it would without it.
  }
  return first;
}

/** A request with its query parameters sorted, as the server names it. */
export function requestKey(url: string): string {
  const [path, qs = ''] = url.split('?', 2);
  const params = [...new URLSearchParams(qs)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const sorted = new URLSearchParams(params).toString();
  return sorted ? `${path}?${sorted}` : path;
}

export function takeFirstSession(): Session | null {
  const f = read();
  const s = f?.session ?? null;
  if (f) f.session = null;
  return s;
}

/** The reply the server inlined for this request in this workspace, once; undefined when there is none. */
export function takeFirstReply<T>(url: string, workspaceId: string | null): T | undefined {
  const f = read();
  if (!f || f.workspaceId !== workspaceId) return undefined;
  const key = requestKey(url);
  const hit = f.replies[key];
  delete f.replies[key];
  return hit as T | undefined;
}
