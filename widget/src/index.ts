/**
 * Advocate web survey widget, loaded by one tag:
 *
 *   <script src="https://HOST/widget.js" data-write-key="adv_pk_…" async></script>
 *
 * It shares the visitor's identity with Segment's analytics.js (localStorage, no cookies), sends
 * identify/track/page as Segment messages, asks the server whether to show a survey and, when
 * told to, shows it (see ui.ts). Nothing here may throw into the host page: every entry point
 * is wrapped and every request swallows its failure.
 */
import type { RenderedSurvey } from '../../src/surveys/rendered.ts';
import { render, type Send } from './ui.ts';

declare const __VERSION__: string;

type Props = Record<string, unknown>;

// Captured now: document.currentScript is null once this first run is over.
const script = (document.currentScript || document.querySelector('script[data-write-key]')) as HTMLScriptElement | null;
const attr = (name: string) => (script && script.getAttribute('data-' + name)) || '';
const origin = script ? new URL(script.src, location.href).origin : location.origin;
const writeKey = attr('write-key');
const language = attr('language') || (navigator.language || 'en').split('-')[0];

let warned = false;
function warn(e: unknown): void {
  // Once per page: a host page's console is not ours to fill.
  if (!warned) console.warn('[advocate]', e);
  warned = true;
}

/** analytics.js stores ids JSON-encoded ("\"abc\""); other code may have written them raw. */
function load(key: string): string | null {
  let raw: string | null = null;
  try {
    raw = localStorage.getItem(key);
    const v = JSON.parse(raw!);
    return typeof v == 'string' || typeof v == 'number' ? String(v) : null;
  } catch {
    return raw;
  }
}

function save(key: string, value: string | null): void {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage blocked or full: the ids live in memory for this page view.
  }
}

function uuid(): string {
  // randomUUID exists only in secure contexts; plain-http pages get the same format by hand.
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function newAnonymousId(): string {
  const id = uuid();
  save('ajs_anonymous_id', id);
  return id;
}

/**
 * text/plain keeps every request "simple", so a cross-origin embed needs no CORS preflight;
 * keepalive lets the last answer leave even when the visitor is navigating away. `blind` sends
 * without reading the reply (no-cors): Segment messages need none, and an ingestion endpoint
 * without CORS headers must not fill the host page's console with CORS errors.
 * Resolves to the JSON reply, or null on any failure.
 */
function post(path: string, body: object, blind?: boolean): Promise<any> {
  return fetch(origin + path, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify(body),
    keepalive: true,
    credentials: 'omit',
    mode: blind ? 'no-cors' : 'cors',
  })
    .then((r) => {
      if (blind) return null;
      if (!r.ok) throw Error(`${path}: HTTP ${r.status}`);
      return r.json().catch(() => null);
    })
    .catch((e) => {
      warn(e);
      return null;
    });
}

function init(queue: unknown): void {
  let userId = attr('user-id') || load('ajs_user_id');
  let anonymousId = load('ajs_anonymous_id') || newAnonymousId();
  if (attr('user-id')) save('ajs_user_id', userId);
  let shown = false;
  let booting = true;

  const pageInfo = () => ({ url: location.href, path: location.pathname, referrer: document.referrer, title: document.title, search: location.search });

  function message(path: 'i' | 't' | 'p', type: string, fields: Props): void {
    if (!writeKey) return;
    const now = new Date().toISOString();
    post('/v1/' + path, {
      writeKey, type, messageId: uuid(), anonymousId, userId, timestamp: now, sentAt: now,
      context: { library: { name: 'advocate-widget', version: __VERSION__ }, page: pageInfo(), userAgent: navigator.userAgent, locale: navigator.language },
      ...fields,
    }, true);
  }

  function open(token: string, survey: RenderedSurvey): void {
    const send: Send = (suffix, body) => post(`/api/v1/responses/${encodeURIComponent(token)}${suffix}`, body);
    const go = () => {
      try {
        render(survey, send);
      } catch (e) {
        warn(e);
      }
    };
    if (document.body) go();
    else addEventListener('DOMContentLoaded', go);
  }

  function check(event?: string, now?: boolean): void {
    if (shown || !writeKey) return;
    // Cut to the server's field limits: a long tracking URL must not cost the survey.
    const body = { writeKey, userId: userId || undefined, anonymousId, url: location.href.slice(0, 4000), language, event: event && event.slice(0, 200) };
    post('/api/v1/widget/check', body).then((r) => {
      // Checks can overlap (load, identify, track): the first "show" wins, once per page view.
      if (shown || !r || !r.show || !r.token || !r.survey) return;
      shown = true;
      setTimeout(() => open(r.token, r.survey), now ? 0 : +r.delayMs || 0);
    });
  }

  const api: Record<string, (...args: any[]) => void> = {
    identify(id?: unknown, traits?: Props) {
      if (id && typeof id == 'object') {
        traits = id as Props;
        id = null;
      }
      if (id != null && id !== '') save('ajs_user_id', (userId = String(id)));
      message('i', 'identify', { traits: traits || {} });
      // During the queued calls the load-time check below asks once, with the final identity.
      if (!booting) check();
    },
    track(event: unknown, properties?: Props) {
      message('t', 'track', { event: String(event), properties: properties || {} });
      check(String(event));
    },
    page(name?: unknown, properties?: Props) {
      if (name && typeof name == 'object') {
        properties = name as Props;
        name = null;
      }
      message('p', 'page', { name: name == null ? null : String(name), properties: { ...pageInfo(), ...properties } });
      // A single-page app's navigation is a new page for URL targeting.
      if (!booting) check();
    },
    /** Asks the server now and, if it offers a survey, shows it without the configured delay. */
    show() {
      check(undefined, true);
    },
    reset() {
      userId = null;
      save('ajs_user_id', null);
      save('ajs_user_traits', null);
      anonymousId = newAnonymousId();
    },
  };
  for (const name in api) {
    const fn = api[name];
    api[name] = (...args) => {
      try {
        fn(...args);
      } catch (e) {
        warn(e);
      }
    };
  }

  (window as any).advocate = api;
  if (!writeKey) warn('the script tag has no data-write-key');
  if (Array.isArray(queue)) for (const call of queue) if (Array.isArray(call) && api[call[0]]) api[call[0]](...call.slice(1));
  booting = false;
  check();
}

try {
  const existing = (window as any).advocate;
  // A second copy of the tag must not start a second widget; a snippet's array queue is replayed.
  if (!existing || Array.isArray(existing)) init(existing);
} catch (e) {
  warn(e);
}
