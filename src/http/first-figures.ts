/**
 * The first figures of a signed-in visit to the overview, put into the HTML that serves it, so the
 * chart draws without waiting for the session and three API round trips after the scripts load.
 * They come from the API's own routes (injected with the visitor's cookie), so authentication,
 * roles, workspaces and the figures are exactly what the page would have fetched.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { lastDays, zoneOrUtc } from '../domain/zoned-time.ts';

/** The id of the <script type="application/json"> block the dashboard reads (web/src/first-visit.ts). */
export const FIRST_FIGURES_ID = 'advocate-first';

/** The overview's default range (web/src/filters.ts DEFAULT_RANGE). */
const DEFAULT_DAYS = 90;
/** The lists the filter bar offers: with them in the page, its fields have their width from the first paint. */
const FILTER_LISTS = ['/api/v1/metrics/dimensions', '/api/v1/surveys', '/api/v1/segments', '/api/v1/traits'];
const LIST_WAIT_MS = 150;
/** Query parameters that change what the overview asks for: with any of them, the page fetches for itself. */
const FILTER_PARAM = /^(range|from|to|surveyId|channel|stage|segment|trait\..*)$/;

interface SessionReply {
  workspaceId: string;
  workspaces: Array<{ id: string; preferences?: { timeZone?: string } }>;
}

export interface FirstFigures {
  workspaceId: string;
  session: unknown;
  /** API path with its query (parameters sorted) → the reply. */
  replies: Record<string, unknown>;
}

/** A path with its query parameters sorted, so the page and the server name a request the same way. */
export function requestKey(path: string, params: Record<string, string>): string {
  const q = new URLSearchParams(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toString();
  return q ? `${path}?${q}` : path;
}

/**
 * The session and the overview's nps, trend and benchmarks for the default filters of the session's
 * workspace, or null when no one is signed in, filters are in the URL, or anything is not a 200
 * (the page then asks for itself, as it always could).
 */
export async function firstFigures(app: FastifyInstance, request: FastifyRequest, now = Date.now()): Promise<FirstFigures | null> {
  const cookie = request.headers.cookie;
  if (!cookie) return null;
  if (Object.keys((request.query ?? {}) as Record<string, unknown>).some((k) => FILTER_PARAM.test(k))) return null;
  const get = async (url: string, workspaceId?: string) => {
    const r = await app.inject({ method: 'GET', url, headers: { cookie, accept: 'application/json', ...(workspaceId ? { 'x-advocate-workspace': workspaceId } : {}) } });
    return r.statusCode === 200 ? (r.json() as unknown) : null;
  };
  const session = (await get('/api/v1/session')) as SessionReply | null;
  if (!session) return null;
  const ws = session.workspaceId;
  // The overview's default window: whole days of the workspace's time zone, up to the end of today there.
  const zone = zoneOrUtc(session.workspaces.find((w) => w.id === ws)?.preferences?.timeZone);
  const days = lastDays(zone, DEFAULT_DAYS, now);
  const window = { from: new Date(days.from).toISOString(), to: new Date(days.to).toISOString() };
  const wanted = [
    requestKey('/api/v1/metrics/nps', window),
    requestKey('/api/v1/metrics/trend', { ...window, interval: 'week' }),
    requestKey('/api/v1/metrics/benchmarks', window),
  ];
  // The lists are a nicety: one still being computed (a cold trait index) must not hold the page back.
  const late = new Promise<null>((resolve) => setTimeout(resolve, LIST_WAIT_MS, null).unref());
  const [figures, lists] = await Promise.all([
    Promise.all(wanted.map((url) => get(url, ws))),
    Promise.all(FILTER_LISTS.map((url) => Promise.race([get(url, ws), late]))),
  ]);
  if (figures.some((r) => r == null)) return null;
  const replies: Record<string, unknown> = {};
  wanted.forEach((url, i) => (replies[url] = figures[i]));
  FILTER_LISTS.forEach((url, i) => lists[i] != null && (replies[url] = lists[i]));
  return { workspaceId: ws, session, replies };
}

/** JSON safe inside a <script> element: no "<" can close it or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
