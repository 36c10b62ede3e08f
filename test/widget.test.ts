/**
 * The web survey widget in a real browser (headless Chromium through playwright-core) against a
 * real server on loopback: shown, answered by mouse and by keyboard, dismissed, and fed hostile
 * survey text. Answers are checked through the API, the way a workspace owner would see them.
 * Browser tests run on SQLite only: the widget talks HTTP, the storage paths are the other suites'.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp } from '../src/http/app.ts';
import { widgetAsset } from '../src/http/widget-asset.ts';
import type { Store } from '../src/store/db.ts';
import { buildWidget, WIDGET_GZIP_BUDGET } from '../widget/build.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, watch } from './helpers/browser.ts';
import { keyedCaller, workspaceWithKeys, type TestWorkspace } from './helpers/server.ts';

const XSS = '<img src=x onerror=alert(1)>';
const QUESTION = 'How likely are you to recommend Acme to a friend?';
const CSAT_Q = 'How satisfied are you with Acme overall?';
const CES_Q = 'How easy was it to get what you needed?';
const PROMOTER_FOLLOW_UP = 'What do you like most about Acme?';
const REVIEW = { url: 'https://reviews.example/acme', label: 'Review us' };
// The queueing snippet of widget/README.md.
const SNIPPET = `!function(){var a=window.advocate=window.advocate||[];['identify','track','page','show','reset'].forEach(function(m){a[m]=a[m]||function(){a.push([m].concat([].slice.call(arguments)))}})}();`;

describe('widget bundle', () => {
  it(`is at most ${WIDGET_GZIP_BUDGET.toLocaleString('en')} bytes gzipped, with nothing else to load`, async () => {
    const r = await buildWidget();
    assert.ok(r.gzipBytes <= WIDGET_GZIP_BUDGET, `widget.js is ${r.gzipBytes} bytes gzipped (budget ${WIDGET_GZIP_BUDGET})`);
    const js = readFileSync(r.file);
    assert.equal(js.length, r.bytes);
    assert.ok(gunzipSync(readFileSync(`${r.file}.gz`)).equals(js), 'widget.js.gz is the gzip of widget.js');
    const text = js.toString('utf8');
    assert.doesNotMatch(text, /sourceMappingURL/);
    // One file: no imports, no stylesheets, fonts or images fetched at run time.
    assert.doesNotMatch(text, /\bimport\(|@import|url\(|<link|\.woff|\.png|\.svg/);
    assert.doesNotMatch(text, /innerHTML|insertAdjacentHTML|document\.write|document\.cookie/);
  });
});

describe('GET /widget.js and /widget/demo', () => {
  it('serves the bundle cacheably: gzip when accepted, ETag and 304, open to any origin; the demo escapes its key', async () => {
    const app = Fastify();
    await app.register(widgetAsset);
    try {
      const plain = await app.inject({ method: 'GET', url: '/widget.js' });
      assert.equal(plain.statusCode, 200);
      assert.equal(plain.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.equal(plain.headers['cache-control'], 'public, max-age=300');
      assert.equal(plain.headers['access-control-allow-origin'], '*');
      assert.equal(plain.headers['vary'], 'Accept-Encoding');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.match(plain.body, /advocate-widget/);
      const etag = String(plain.headers.etag);
      assert.match(etag, /^"[^"]+"$/);

      const gz = await app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'br, gzip, deflate' } });
      assert.equal(gz.statusCode, 200);
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.notEqual(gz.headers.etag, etag, 'each encoding has its own ETag');
      assert.equal(gunzipSync(gz.rawPayload).toString('utf8'), plain.body);
      assert.ok(gz.rawPayload.length <= WIDGET_GZIP_BUDGET);
      const refused = await app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip;q=0' } });
      assert.equal(refused.headers['content-encoding'], undefined);

      const again = await app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
      const weak = await app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip', 'if-none-match': `"other", W/${gz.headers.etag}` } });
      assert.equal(weak.statusCode, 304);
      const stale = await app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': '"stale"' } });
      assert.equal(stale.statusCode, 200);

      const demo = await app.inject({ method: 'GET', url: `/widget/demo?key=${encodeURIComponent(`adv_pk_x"><script>alert(1)</script>`)}` });
      assert.equal(demo.statusCode, 200);
      assert.match(String(demo.headers['content-type']), /^text\/html/);
      assert.match(demo.body, /<script src="\/widget\.js" data-write-key="adv_pk_x&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;" async><\/script>/);
      assert.doesNotMatch(demo.body, /<script>alert/);
    } finally {
      await app.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// In the browser

interface Server {
  url: string;
  ws: TestWorkspace;
  other: TestWorkspace;
  close(): Promise<void>;
  get(path: string, key: string): Promise<any>;
  post(path: string, key: string, body: unknown): Promise<{ status: number; json: any }>;
}

async function startWidgetServer(store: Store): Promise<Server> {
  const ws = await workspaceWithKeys(store, 'Acme');
  const other = await workspaceWithKeys(store, 'Other');
  const { app, services: { writer } } = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const request = keyedCaller(url, writer);
  return {
    url, ws, other,
    close: () => app.close(),
    async get(path, key) {
      const r = await request('GET', path, key);
      assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
      return r.json;
    },
    post: (path, key, body) => request('POST', path, key, body),
  };
}

/** The widget's shadow root's focused element, as role/name, or the page's focused element's id. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const a = document.querySelector('advocate-survey')?.shadowRoot?.activeElement;
    if (!a) return `page:${document.activeElement?.id || document.activeElement?.tagName}`;
    return `${a.getAttribute('role') ?? a.tagName.toLowerCase()}:${a.getAttribute('aria-label') ?? a.textContent}`;
  });
}

/** A reply to the widget's POST /api/v1/responses/{token}{suffix}, optionally with a body containing `sent`. */
const isResponse = (suffix = '', sent = '') => (r: { url(): string; request(): { method(): string; postData(): string | null } }) =>
  r.request().method() === 'POST' && new RegExp(`/api/v1/responses/[^/]+${suffix}$`).test(new URL(r.url()).pathname) && (r.request().postData() ?? '').includes(sent);

const storedAnonymousId = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('ajs_anonymous_id')!) as string);

describe('web widget in Chromium', { skip: NO_BROWSER }, () => {
  let store: Store;
  let server: Server;
  let browser: Browser;
  let surveyId: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    store = await backends()[0].open();
    server = await startWidgetServer(store);
    const created = await server.post('/api/v1/surveys', server.ws.secretKey, {
      name: 'Web NPS',
      companyName: 'Acme',
      csat: true,
      ces: true,
      brandColor: '#0f766e',
      promoterLink: REVIEW,
      channels: { web: { enabled: true, delaySeconds: 0 } },
      texts: { en: { question: QUESTION, csatQuestion: CSAT_Q, cesQuestion: CES_Q, followUp: { promoter: PROMOTER_FOLLOW_UP } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    surveyId = created.json.survey.id;
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  /** A fresh visitor (empty localStorage) on the demo page of a workspace. */
  async function visit(opts: { key?: string; url?: string; width?: number; height?: number; reducedMotion?: 'reduce'; init?: string; beforeLoad?: (page: Page) => Promise<unknown> } = {}) {
    const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, locale: 'en-US', reducedMotion: opts.reducedMotion ?? 'no-preference' });
    contexts.push(context);
    if (opts.init) await context.addInitScript(opts.init);
    const page = await context.newPage();
    const problems = watch(page);
    await opts.beforeLoad?.(page);
    await page.goto(opts.url ?? `${server.url}/widget/demo?key=${encodeURIComponent(opts.key ?? server.ws.writeKey)}`);
    return { page, problems };
  }

  async function answersOf(anonymousId: string, key = server.ws.secretKey) {
    const profile = await server.get(`/api/v1/profiles?anonymousId=${encodeURIComponent(anonymousId)}`, key);
    const { items } = await server.get(`/api/v1/answers?profileId=${profile.id}`, key);
    const timeline = await server.get(`/api/v1/profiles/${profile.id}/timeline?limit=100`, key);
    return { profile, answers: items as any[], timeline: timeline.items as any[] };
  }

  it('desktop: shown bottom-right; score 9 is stored on click, then comment, CSAT and CES; promoters get the review link', async () => {
    const loaded: string[] = [];
    const { page, problems } = await visit({
      beforeLoad: async (p) => {
        p.on('request', (r) => !['fetch', 'xhr'].includes(r.resourceType()) && loaded.push(`${r.resourceType()} ${new URL(r.url()).pathname}`));
        await p.clock.install(); // runs in real time until fast-forwarded
      },
    });
    const nps = page.getByRole('radiogroup', { name: QUESTION });
    await nps.waitFor();

    // It slides in; measure where it comes to rest.
    const card = page.locator('advocate-survey .w');
    assert.equal(await card.evaluate((e) => getComputedStyle(e).animationName), 'in');
    await card.evaluate((e) => Promise.all(e.getAnimations().map((a) => a.finished)));
    const box = (await card.boundingBox())!;
    assert.ok(Math.abs(box.x + box.width - 1260) <= 1 && Math.abs(box.y + box.height - 780) <= 1, `card at ${JSON.stringify(box)}`);
    assert.equal(await nps.getByRole('radio').count(), 11);
    assert.equal(await page.getByRole('radio', { name: '0, Not at all likely' }).count(), 1);
    assert.equal(await page.getByRole('radio', { name: '10, Extremely likely' }).count(), 1);
    assert.equal(await focused(page), 'radio:0, Not at all likely', 'focus moves into the widget');
    await page.screenshot({ path: join(artifactsDir(), 'widget-desktop.png') });

    // The score leaves at the click: the answer exists before any comment.
    const scored = page.waitForResponse(isResponse());
    await nps.getByRole('radio', { name: '9', exact: true }).click();
    const first = await scored;
    assert.equal(first.status(), 201);
    assert.equal((await first.json()).category, 'promoter');
    const anonymousId = await storedAnonymousId(page);
    let seen = await answersOf(anonymousId);
    assert.equal(seen.answers.length, 1);
    assert.equal(seen.answers[0].score, 9);
    assert.equal(seen.answers[0].comment, null);

    await page.getByLabel(PROMOTER_FOLLOW_UP).fill('Fast delivery & great support');
    await page.getByRole('radiogroup', { name: CSAT_Q }).getByRole('radio', { name: '4', exact: true }).click();
    await page.getByRole('radiogroup', { name: CES_Q }).getByRole('radio', { name: '6', exact: true }).click();
    await page.screenshot({ path: join(artifactsDir(), 'widget-desktop-followup.png') });
    const updated = page.waitForResponse(isResponse());
    await page.getByRole('button', { name: 'Send' }).click();
    assert.equal((await updated).status(), 200);

    await page.getByText('Thank you! We are glad you are happy.').waitFor();
    const link = page.getByRole('link', { name: REVIEW.label });
    assert.equal(await link.getAttribute('href'), REVIEW.url);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener');
    await page.screenshot({ path: join(artifactsDir(), 'widget-desktop-thanks.png') });
    // The thanks close by themselves, given time to follow the link.
    await page.clock.fastForward(5_000);
    assert.equal(await page.locator('advocate-survey').count(), 1);
    await page.clock.fastForward(8_000);
    await page.locator('advocate-survey').waitFor({ state: 'detached' });

    seen = await answersOf(anonymousId);
    assert.equal(seen.answers.length, 1, 'the update changes the one answer');
    const a = seen.answers[0];
    assert.deepEqual(
      { score: a.score, comment: a.comment, csat: a.csat, ces: a.ces, channel: a.channel, surveyId: a.surveyId, profileId: a.profileId },
      { score: 9, comment: 'Fast delivery & great support', csat: 4, ces: 6, channel: 'web', surveyId, profileId: seen.profile.id },
    );
    // The snippet's queued page() call was replayed as a Segment page message from this widget.
    const page_ = seen.timeline.find((e) => e.type === 'page');
    assert.ok(page_, `timeline: ${JSON.stringify(seen.timeline.map((e) => e.type + ' ' + e.name))}`);
    assert.equal(page_.context.library.name, 'advocate-widget');
    assert.equal(page_.context.page.path, '/widget/demo');
    assert.ok(seen.timeline.some((e) => e.name === 'NPS Survey Shown'));
    assert.ok(!seen.timeline.some((e) => e.name === 'NPS Survey Dismissed'));

    assert.deepEqual(loaded, ['document /widget/demo', 'script /widget.js'], 'the page loads the widget script and nothing else');
    assert.deepEqual(problems, []);
  });

  it('360 px, reduced motion: a full-width bottom sheet that fits, without animation; a score alone is kept when the visitor closes after it', async () => {
    // analytics.js' stored ids (JSON-encoded) are the widget's too.
    const init = `localStorage.setItem('ajs_anonymous_id', JSON.stringify('ajs-anon-360')); localStorage.setItem('ajs_user_id', JSON.stringify('user-360'));`;
    const { page, problems } = await visit({ width: 360, height: 740, init, reducedMotion: 'reduce' });
    const nps = page.getByRole('radiogroup', { name: QUESTION });
    await nps.waitFor();
    assert.equal(await page.locator('advocate-survey .w').evaluate((e) => getComputedStyle(e).animationName), 'none', 'no animation under prefers-reduced-motion');
    const box = (await page.locator('advocate-survey .w').boundingBox())!;
    assert.deepEqual([box.x, box.width, Math.round(box.y + box.height)], [0, 360, 740], `sheet at ${JSON.stringify(box)}`);
    const layout = await page.evaluate(() => {
      const root = document.querySelector('advocate-survey')!.shadowRoot!;
      const radios = [...root.querySelectorAll('[role=radio]')].map((b) => b.getBoundingClientRect());
      return { scrollWidth: document.documentElement.scrollWidth, minWidth: Math.min(...radios.map((r) => r.width)), minHeight: Math.min(...radios.map((r) => r.height)), right: Math.max(...radios.map((r) => r.right)) };
    });
    assert.ok(layout.scrollWidth <= 360, `page scrolls sideways: ${layout.scrollWidth}`);
    assert.ok(layout.minWidth >= 24 && layout.minHeight >= 24, `score buttons too small to tap: ${JSON.stringify(layout)}`);
    assert.ok(layout.right <= 360);
    await page.screenshot({ path: join(artifactsDir(), 'widget-360.png') });

    const scored = page.waitForResponse(isResponse());
    await nps.getByRole('radio', { name: '3', exact: true }).click();
    assert.equal((await scored).status(), 201);
    await page.getByLabel('We are sorry to hear that. What disappointed you?').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('advocate-survey').waitFor({ state: 'detached' });

    const seen = await answersOf('ajs-anon-360');
    assert.equal(seen.profile.userId, 'user-360');
    assert.deepEqual(seen.answers.map((a) => [a.score, a.comment]), [[3, null]]);
    assert.ok(!seen.timeline.some((e) => e.name === 'NPS Survey Dismissed'), 'closing after a score is not a dismissal');
    assert.deepEqual(problems, []);
  });

  it('keyboard only: Tab, arrows, Home/End, Enter and Space answer everything', async () => {
    // A raw (not JSON-encoded) id, as some other code may have written it.
    const { page, problems } = await visit({ init: `localStorage.setItem('ajs_anonymous_id', 'raw-keyboard-visitor')` });
    await page.getByRole('radiogroup', { name: QUESTION }).waitFor();
    assert.equal(await focused(page), 'radio:0, Not at all likely');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(page), 'button:Close');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'radio:0, Not at all likely', 'the scale is one tab stop');
    await page.keyboard.press('End');
    assert.equal(await focused(page), 'radio:10, Extremely likely');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(page), 'radio:8');
    const scored = page.waitForResponse(isResponse());
    await page.keyboard.press('Enter');
    assert.equal((await scored).status(), 201);

    assert.equal(await focused(page), 'textarea:');
    await page.keyboard.type('Keyboard only');
    await page.keyboard.press('Tab'); // CSAT, at 1
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(page), 'radio:3');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab'); // CES, at 1
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'button:Send');
    const updated = page.waitForResponse(isResponse());
    await page.keyboard.press('Enter');
    assert.equal((await updated).status(), 200);
    await page.getByText('Thank you for your feedback.').waitFor();
    assert.equal(await page.getByRole('link', { name: REVIEW.label }).count(), 0, 'the review link is for promoters only');

    const seen = await answersOf('raw-keyboard-visitor');
    assert.deepEqual(seen.answers.map((a) => [a.score, a.comment, a.csat, a.ces]), [[8, 'Keyboard only', 3, 7]]);
    // Escape after answering closes without a dismissal.
    await page.keyboard.press('Escape');
    await page.locator('advocate-survey').waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
  });

  it('Escape dismisses: recorded, focus goes back where it was, and the survey is not offered again on this page', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let checks = 0;
    const { page, problems } = await visit({
      // Hold the server's answer until the visitor has focused something on the page.
      beforeLoad: (p) => p.route('**/api/v1/widget/check', async (route) => {
        checks++;
        await gate;
        await route.continue();
      }),
    });
    await page.focus('#track');
    release();
    await page.getByRole('radiogroup', { name: QUESTION }).waitFor();
    assert.equal(await focused(page), 'radio:0, Not at all likely');

    const dismissed = page.waitForResponse(isResponse('/events', 'dismissed'));
    await page.keyboard.press('Escape');
    const res = await dismissed;
    assert.equal(res.request().postData(), '{"type":"dismissed"}');
    assert.equal(res.status(), 204);
    await page.locator('advocate-survey').waitFor({ state: 'detached' });
    assert.equal(await focused(page), 'page:track', 'focus is back on the element that had it');

    const seen = await answersOf(await storedAnonymousId(page));
    assert.ok(seen.timeline.some((e) => e.name === 'NPS Survey Dismissed'), 'dismissal recorded on the profile');
    assert.deepEqual(seen.answers, []);

    // Once shown, never again in this page view: no further check is even made.
    const before = checks;
    await page.evaluate(() => (window as any).advocate.show());
    await page.evaluate(() => (window as any).advocate.track('Demo Button Clicked'));
    await page.waitForTimeout(300);
    assert.equal(checks, before);
    assert.equal(await page.locator('advocate-survey').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('does not take focus from a field the visitor is typing in, and works with localStorage blocked', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { page, problems } = await visit({
      init: `Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });`,
      beforeLoad: (p) => p.route('**/api/v1/widget/check', async (route) => {
        await gate;
        await route.continue();
      }),
    });
    await page.focus('#field');
    await page.keyboard.type('abc');
    release();
    await page.getByRole('radiogroup', { name: QUESTION }).waitFor();
    await page.keyboard.type('def');
    assert.equal(await page.inputValue('#field'), 'abcdef');
    assert.equal(await focused(page), 'page:field');

    const scored = page.waitForResponse(isResponse());
    await page.getByRole('radio', { name: '5', exact: true }).click();
    assert.equal((await scored).status(), 201);
    assert.deepEqual(problems, []);
  });

  it('on a customer site of another origin: the snippet queue is replayed, requests are CORS-simple, a v4 UUID without crypto.randomUUID', async () => {
    // The real case: the shop's page on its own origin, the widget and the API on ours.
    const shop = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><link rel="icon" href="data:,"><title>Shop</title>
<script>${SNIPPET} advocate.identify('shop-user-1', { plan: 'pro' }); advocate.track('Cart Viewed');</script>
<script src="${server.url}/widget.js" data-write-key="${server.ws.writeKey}" async></script></head><body><h1>Shop</h1></body></html>`);
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    try {
      const methods = new Set<string>();
      const { page, problems } = await visit({
        url: `http://127.0.0.1:${(shop.address() as AddressInfo).port}/`,
        init: 'delete Crypto.prototype.randomUUID;',
        beforeLoad: async (p) => p.on('request', (r) => r.url().startsWith(server.url) && methods.add(r.method())),
      });
      await page.getByRole('radiogroup', { name: QUESTION }).waitFor();
      const scored = page.waitForResponse(isResponse());
      await page.getByRole('radio', { name: '7', exact: true }).click();
      assert.equal((await scored).status(), 201);
      assert.deepEqual([...methods].sort(), ['GET', 'POST'], 'no preflight (OPTIONS)');

      const anonymousId = await storedAnonymousId(page);
      assert.match(anonymousId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const seen = await answersOf(anonymousId);
      assert.equal(seen.profile.userId, 'shop-user-1');
      assert.equal(seen.profile.traits.plan, 'pro');
      assert.deepEqual(seen.answers.map((a) => a.score), [7]);
      assert.ok(seen.timeline.some((e) => e.type === 'track' && e.name === 'Cart Viewed'));
      assert.deepEqual(problems, []);
    } finally {
      await new Promise((r) => shop.close(r));
    }
  });

  it('survey texts and comments are shown and stored as text, never as markup', async () => {
    const hostile = {
      question: `Recommend us? ${XSS}`,
      followUp: `Why? <b>${XSS}</b>`,
      thankYou: `Thanks ${XSS}`,
      submit: `Go ${XSS}`.slice(0, 40),
    };
    const created = await server.post('/api/v1/surveys', server.other.secretKey, {
      name: 'Hostile',
      channels: { web: { enabled: true, delaySeconds: 0 } },
      promoterLink: { url: 'https://reviews.example/other', label: `Review ${XSS}` },
      texts: { en: hostile },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));

    const { page, problems } = await visit({ key: server.other.writeKey });
    const nps = page.getByRole('radiogroup', { name: hostile.question });
    await nps.waitFor();
    const inShadow = () => page.evaluate(() => {
      const root = document.querySelector('advocate-survey')!.shadowRoot!;
      return { imgs: root.querySelectorAll('img, b').length, text: root.querySelector('.q')?.textContent };
    });
    assert.deepEqual(await inShadow(), { imgs: 0, text: hostile.question });

    const scored = page.waitForResponse(isResponse());
    await nps.getByRole('radio', { name: /^10/ }).click();
    await scored;
    await page.getByLabel(hostile.followUp).fill(`I typed ${XSS}`);
    const updated = page.waitForResponse(isResponse());
    await page.getByRole('button', { name: hostile.submit }).click();
    await updated;
    await page.getByText(hostile.thankYou).waitFor();
    await page.getByRole('link', { name: `Review ${XSS}` }).waitFor();
    assert.deepEqual(await inShadow(), { imgs: 0, text: hostile.thankYou });

    const seen = await answersOf(await storedAnonymousId(page), server.other.secretKey);
    assert.deepEqual(seen.answers.map((a) => [a.score, a.comment]), [[10, `I typed ${XSS}`]]);
    await page.waitForTimeout(100); // an onerror handler would have fired by now
    assert.deepEqual(problems, [], 'no dialog, no error');
  });
});
