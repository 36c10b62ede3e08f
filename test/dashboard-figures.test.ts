/**
 * Figures that say what they cover, the benchmark a workspace chose, and a fast first visit (issue 12,
 * items 2, 8 and 13). On both backends: every figure reply carries the window it used; benchmarks
 * default to the workspace's industry (and only its own); a signed-in visit to the overview gets its
 * first figures in the HTML, escaped, never cached and only its own workspace's. In Chromium (SQLite):
 * the window sentence next to each figure on every page, benchmark options grouped by industry with
 * their sources, the industry saved in Settings as the default, no layout shift on the overview, and
 * a first visit that fetches none of the figures it was served.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createDemoWorkspace, type DemoWorkspace } from '../src/demo/load.ts';
import { BENCHMARKS, INDUSTRIES } from '../src/domain/benchmarks.ts';
import { zoneOrUtc } from '../src/domain/zoned-time.ts';
import { buildApp } from '../src/http/app.ts';
import { FIRST_FIGURES_ID } from '../src/http/first-figures.ts';
import { addMember } from '../src/store/accounts.ts';
import type { Store } from '../src/store/db.ts';
import { artifactsDir, backends, forEachBackend } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, watch, webBuild } from './helpers/browser.ts';
import { keyedCaller, startServer, type Call } from './helpers/server.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const DAY = 86_400_000;
const ZONE = 'America/New_York';

before(async () => {
  await webBuild();
});

/** Signs a member in over HTTP and returns the session cookie. */
async function signIn(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(res.status, 200, await res.text());
  const cookie = /adv_session=[^;]+/.exec(String(res.headers.get('set-cookie')))?.[0];
  assert.ok(cookie, 'a session cookie');
  return cookie;
}

/** The JSON block of the served page, or null. */
function firstBlock(html: string): any {
  const m = new RegExp(`<script type="application/json" id="${FIRST_FIGURES_ID}">([^<]*)</script>`).exec(html);
  return m ? JSON.parse(m[1]) : null;
}

forEachBackend('figures: every figure reply carries the window it used, as instants', async (store) => {
  const s = await startServer(store);
  try {
    const now = Date.now();
    for (const score of [10, 9, 3]) {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `u${score}` }, score, timestamp: new Date(now - 5 * DAY).toISOString() });
      assert.equal(r.status, 201, r.text);
    }
    const from = new Date(now - 30 * DAY).toISOString();
    const to = new Date(now + DAY).toISOString();
    const bounded = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    for (const path of ['/api/v1/metrics/nps', '/api/v1/metrics/breakdown?by=channel&', '/api/v1/metrics/trend', '/api/v1/metrics/benchmarks']) {
      const sep = path.endsWith('&') ? '' : '?';
      const r = await s.call('GET', `${path}${sep}${bounded}`, s.ws.secretKey);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.window, { from, to }, path);
    }
    // Unbounded: from the first answer up to the moment it was computed.
    const before = Date.now();
    const all = await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey);
    assert.equal(all.json.window.from, null);
    assert.ok(Date.parse(all.json.window.to) >= before && Date.parse(all.json.window.to) <= Date.now(), all.json.window.to);
    assert.equal(all.json.n, 3);
    const bd = await s.call('GET', '/api/v1/metrics/breakdown?by=channel', s.ws.secretKey);
    assert.equal(bd.json.window.from, null);
    // The trend and the benchmark comparison have default windows of their own: they say which.
    const trend = await s.call('GET', '/api/v1/metrics/trend?interval=week', s.ws.secretKey);
    assert.equal(Date.parse(trend.json.window.to) - Date.parse(trend.json.window.from), 26 * 7 * DAY);
    const bench = await s.call('GET', '/api/v1/metrics/benchmarks', s.ws.secretKey);
    assert.equal(Date.parse(bench.json.window.to) - Date.parse(bench.json.window.from), 90 * DAY);
  } finally {
    await s.close();
  }
});

forEachBackend('benchmarks: default to the workspace\'s industry, list every published figure with a stable id, and never another workspace\'s choice', async (store) => {
  const s = await startServer(store);
  try {
    const none = await s.call('GET', '/api/v1/metrics/benchmarks', s.ws.secretKey);
    assert.equal(none.status, 200, none.text);
    assert.equal(none.json.industry, null);
    assert.equal(none.json.benchmarks.length, BENCHMARKS.length, 'no industry chosen: every figure');
    assert.equal(none.json.published.length, BENCHMARKS.length);
    const ids = none.json.published.map((b: { id: string }) => b.id);
    assert.equal(new Set(ids).size, ids.length, `ids are unique: ${ids.join(', ')}`);
    assert.ok(ids.includes('retail-xm-institute-2023'), ids.join(', '));
    for (const b of none.json.published) assert.ok(b.source && b.year && b.region, JSON.stringify(b));
    assert.deepEqual([...new Set(none.json.published.map((b: { industry: string }) => b.industry))], INDUSTRIES, 'grouped by industry, in order');

    const put = await s.call('PUT', '/api/v1/settings/workspace', s.ws.secretKey, { industry: 'Retail' });
    assert.equal(put.status, 200, put.text);
    const retail = await s.call('GET', '/api/v1/metrics/benchmarks', s.ws.secretKey);
    assert.equal(retail.json.industry, 'retail');
    assert.deepEqual(retail.json.benchmarks.map((b: { industry: string; nps: number; year: number }) => [b.industry, b.nps, b.year]), [['retail', 28, 2023], ['retail', 50, 2016], ['retail', 50, 2025]]);
    assert.equal(retail.json.published.length, BENCHMARKS.length, 'the picker still gets every figure');

    // Asking for another industry, or for every figure, overrides the setting.
    const banking = await s.call('GET', '/api/v1/metrics/benchmarks?industry=banking', s.ws.secretKey);
    assert.deepEqual(banking.json.benchmarks.map((b: { industry: string }) => b.industry), ['banking']);
    const every = await s.call('GET', '/api/v1/metrics/benchmarks?industry=', s.ws.secretKey);
    assert.equal(every.json.industry, null);
    assert.equal(every.json.benchmarks.length, BENCHMARKS.length);
    const bad = await s.call('GET', '/api/v1/metrics/benchmarks?industry=space%20travel', s.ws.secretKey);
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^industry:/);

    // The other workspace chose nothing: it still sees every figure.
    const other = await s.call('GET', '/api/v1/metrics/benchmarks', s.other.secretKey);
    assert.equal(other.json.industry, null);
    assert.equal(other.json.benchmarks.length, BENCHMARKS.length);
  } finally {
    await s.close();
  }
});

forEachBackend('first visit: the overview\'s HTML carries the session and its first figures, escaped, uncached and of its own workspace only', async (store) => {
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/workspace', s.ws.secretKey, { timeZone: ZONE, industry: 'retail' });
    const now = Date.now();
    for (const [i, score] of [10, 9, 8, 2].entries()) {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${i}` }, score, timestamp: new Date(now - (i + 1) * DAY).toISOString() });
      assert.equal(r.status, 201, r.text);
    }
    // A hostile annotation label must stay inside the JSON block.
    const hostile = '</script><script>alert(1)</script><!--';
    assert.equal((await s.call('POST', '/api/v1/annotations', s.ws.secretKey, { at: new Date(now - 2 * DAY).toISOString(), kind: 'note', label: hostile })).status, 201);
    await s.call('POST', '/api/v1/answers', s.other.writeKey, { person: { userId: 'other' }, score: 0 });
    const password = 'first visit password 1234';
    assert.equal((await addMember(store.db, s.ws.id, { email: 'ada@example.com', name: 'Ada', role: 'viewer', password })).status, 'created');
    const cookie = await signIn(s.url, 'ada@example.com', password);
    await s.settle();

    const page = await fetch(`${s.url}/app`, { headers: { cookie, 'accept-encoding': 'gzip' } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store, private', 'a person\'s figures are never stored by a cache');
    assert.match(String(page.headers.get('vary')), /Cookie/);
    assert.match(String(page.headers.get('content-security-policy')), /script-src 'self'(;|$)/);
    const html = await page.text();
    assert.ok(!html.includes(hostile), 'the label cannot close the block');
    const first = firstBlock(html);
    assert.ok(first, 'the page carries the first figures');
    assert.equal(first.workspaceId, s.ws.id);
    assert.equal(first.session.workspaceId, s.ws.id);

    // The keys are the overview's own requests for its default filters: 90 whole days of the workspace's zone.
    const zone = zoneOrUtc(ZONE);
    const tomorrow = zone.dayOf(Date.now()) + 1;
    const from = encodeURIComponent(new Date(zone.dayStart(tomorrow - 90)).toISOString());
    const to = encodeURIComponent(new Date(zone.dayStart(tomorrow)).toISOString());
    // Parameters sorted by name: the page sorts its request the same way to find them.
    const keys = [`/api/v1/metrics/benchmarks?from=${from}&to=${to}`, `/api/v1/metrics/nps?from=${from}&to=${to}`, `/api/v1/metrics/trend?from=${from}&interval=week&to=${to}`];
    for (const key of keys) assert.ok(key in first.replies, `${key} in ${Object.keys(first.replies).join(', ')}`);
    // The filter bar's lists come along when they are ready in time (they are not waited for), and are this workspace's.
    for (const list of Object.keys(first.replies).filter((k) => !keys.includes(k))) assert.ok(['/api/v1/metrics/dimensions', '/api/v1/surveys', '/api/v1/segments', '/api/v1/traits'].includes(list), list);
    const dims = first.replies['/api/v1/metrics/dimensions'];
    if (dims) assert.deepEqual(dims, (await s.call('GET', '/api/v1/metrics/dimensions', s.ws.secretKey)).json);
    // Each is what the API itself answers to that request, for this workspace only.
    for (const key of keys) {
      const api = await s.call('GET', key, s.ws.secretKey);
      const inlined = first.replies[key];
      delete api.json.window?.to;
      delete inlined.window?.to;
      assert.deepEqual(inlined, api.json, key);
    }
    const nps = first.replies[keys[1]];
    assert.equal(nps.window.from, decodeURIComponent(from));
    assert.equal(nps.n, 4, 'the other workspace\'s answer is not in it');
    assert.equal(first.replies[keys[0]].industry, 'retail');
    assert.ok(first.replies[keys.find((k) => k.includes('trend'))!].annotations.some((a: { label: string }) => a.label === hostile));

    // Not signed in, another page, or filters in the URL: the static page, as before.
    const anonymous = await fetch(`${s.url}/app`);
    assert.equal(firstBlock(await anonymous.text()), null);
    assert.equal(anonymous.headers.get('cache-control'), 'no-cache');
    assert.equal(firstBlock(await (await fetch(`${s.url}/app/breakdowns`, { headers: { cookie } })).text()), null);
    assert.equal(firstBlock(await (await fetch(`${s.url}/app?range=30d`, { headers: { cookie } })).text()), null);
    assert.equal(firstBlock(await (await fetch(`${s.url}/app`, { headers: { cookie: 'adv_session=forged' } })).text()), null);
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------------------------------------
// In Chromium, on a demo workspace

describe('figures in Chromium', { skip: NO_BROWSER }, () => {
  let browser: Browser;
  let store: Store;
  let demo: DemoWorkspace;
  let url: string;
  let call: Call;
  let closeApp: () => Promise<void>;
  const admin = { email: 'admin@example.com', password: 'correct horse battery staple' };

  before(async () => {
    store = await backends()[0].open();
    demo = await createDemoWorkspace(store, { customers: 400, quiet: true });
    assert.equal((await addMember(store.db, demo.workspaceId, { ...admin, name: 'Ada Admin', role: 'admin' })).status, 'created');
    const { app, services: { writer } } = await buildApp({ store });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    call = keyedCaller(url, writer);
    closeApp = () => app.close();
    // Whatever the demo chose, this test chooses its own: a zone, and no industry until Settings picks one.
    const put = await call('PUT', '/api/v1/settings/workspace', demo.secretKey, { timeZone: ZONE, industry: null });
    assert.equal(put.status, 200, put.text);
    assert.equal((await call('POST', '/api/v1/churn/model', demo.secretKey)).status, 201);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await closeApp?.();
    await store?.close();
  });

  async function signedInPage(width = 1280): Promise<{ page: Page; problems: string[]; metricRequests: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-US', reducedMotion: 'reduce' });
    const signIn = await context.request.post(`${url}/api/v1/session`, { data: admin });
    assert.equal(signIn.status(), 200);
    await context.addInitScript(() => {
      localStorage.setItem('advocate.signedIn', '1');
      const w = window as unknown as { __cls: number; __shifts: string[] };
      w.__cls = 0;
      w.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: Array<{ node?: Node }> }>) {
          if (e.hadRecentInput) continue;
          w.__cls += e.value;
          w.__shifts.push(`${e.value.toFixed(4)} ${(e.sources ?? []).map((s) => (s.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? '?').join(' | ')}`);
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    const page = await context.newPage();
    const problems = watch(page);
    const metricRequests: string[] = [];
    page.on('request', (r) => /\/api\/v1\/(metrics\/(nps|trend|benchmarks|dimensions)|session)/.test(r.url()) && metricRequests.push(r.url()));
    return { page, problems, metricRequests };
  }

  const notes = (page: Page, section: string) => page.locator(`${section} [data-testid=window-note]`).allTextContents();
  const shot = (page: Page, name: string) => page.screenshot({ path: join(artifactsDir(), `figures-${name}.png`), fullPage: true });

  it('saves the industry in Settings, and the overview opens with it chosen, grouped figures with sources, window sentences, no layout shift and no figure fetched twice', { timeout: 120_000 }, async () => {
    const { page, problems, metricRequests } = await signedInPage();
    await page.goto(`${url}/app/settings`);
    const panel = page.getByRole('region', { name: 'Workspace' });
    await panel.getByLabel('Time zone').waitFor();
    assert.equal(await panel.getByLabel('Time zone').inputValue(), ZONE);
    const zoneOptions = await page.locator('#w-zones option').count();
    assert.ok(zoneOptions > 300, `the time zone field lists every zone this browser knows (${zoneOptions})`);
    assert.equal(await panel.getByLabel('Currency').inputValue(), 'USD');
    await panel.getByLabel('Industry').selectOption('retail');
    await panel.getByRole('button', { name: 'Save workspace settings' }).click();
    await panel.getByText('Saved. Every page and export uses these from now on.').waitFor();
    const saved = await call('GET', '/api/v1/settings/workspace', demo.secretKey);
    assert.equal(saved.json.preferences.industry, 'retail');
    await shot(page, 'settings-workspace');

    // A first visit: a full navigation, as a person opening the dashboard.
    metricRequests.length = 0;
    await page.goto(`${url}/app`);
    await page.locator('[data-testid=trend-chart][data-drawn=true]').waitFor();
    await page.getByRole('heading', { name: 'Latest answers' }).waitFor();
    await page.waitForTimeout(1000);
    assert.deepEqual(metricRequests, [], 'the session and the first figures came with the page');

    const headline = await notes(page, 'section[aria-labelledby=h-nps]');
    assert.equal(headline.length, 1);
    assert.match(headline[0], /^last 90 days · [\d,]+ answers$/);
    const zone = zoneOrUtc(ZONE);
    const tomorrow = zone.dayOf(Date.now()) + 1;
    const q = new URLSearchParams({ from: new Date(zone.dayStart(tomorrow - 90)).toISOString(), to: new Date(zone.dayStart(tomorrow)).toISOString() });
    const inWindow = await call('GET', `/api/v1/metrics/nps?${q}`, demo.secretKey);
    assert.equal(headline[0], `last 90 days · ${inWindow.json.n.toLocaleString('en-US')} answers`, 'the count is the 90-day figure\'s');
    for (const section of ['h-cat', 'h-dist', 'h-trend']) {
      const [text] = await notes(page, `section[aria-labelledby=${section}]`);
      assert.match(text, /^last 90 days · [\d,]+ answers$/, section);
    }

    // The benchmark picker: grouped by industry, each figure with its source, year and region; retail chosen.
    const groups = await page.locator('#benchmark optgroup').evaluateAll((gs) => gs.map((g) => (g as HTMLOptGroupElement).label));
    assert.deepEqual(groups, INDUSTRIES);
    const options = await page.locator('#benchmark optgroup option').allTextContents();
    assert.equal(options.length, BENCHMARKS.length);
    assert.equal(new Set(options).size, options.length, `no two options read the same: ${options.join(' | ')}`);
    for (const b of BENCHMARKS) assert.ok(options.some((o) => o.includes(b.source) && o.includes(String(b.year)) && o.includes(b.region)), `${b.industry} ${b.source}`);
    const selected = await page.locator('#benchmark').evaluate((s) => {
      const o = (s as HTMLSelectElement).selectedOptions[0];
      return { group: (o.parentElement as HTMLOptGroupElement).label, text: o.textContent };
    });
    assert.equal(selected.group, 'retail', 'the industry saved in Settings is the default');
    assert.match(String(selected.text), /XM Institute.*2023.*US consumers/);
    assert.match(await page.getByTestId('benchmark-sentence').innerText(), /^Benchmark \(retail, US consumers, 2023\): \+28 average, XM Institute/);

    const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
    const shifts = await page.evaluate(() => (window as unknown as { __shifts: string[] }).__shifts);
    assert.ok(cls < 0.01, `cumulative layout shift ${cls}: ${shifts.join('\n')}`);
    await shot(page, 'overview');

    // Another figure from the picker: the sentence follows; a reload keeps it (it is in the URL).
    await page.locator('#benchmark').selectOption({ label: options.find((o) => o.startsWith('streaming:') && o.includes('Temkin'))! });
    await page.getByTestId('benchmark-sentence').filter({ hasText: 'Benchmark (streaming, US, 2018): +39 average, Temkin' }).waitFor();
    assert.match(page.url(), /benchmark=streaming-temkin-group-nps-benchmark-2018/);
    await page.reload();
    await page.getByTestId('benchmark-sentence').filter({ hasText: 'Benchmark (streaming, US, 2018)' }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('says each figure\'s window and population on breakdowns, impact, survey results and a profile', { timeout: 120_000 }, async () => {
    const { page, problems } = await signedInPage();
    await page.goto(`${url}/app/breakdowns?by=channel`);
    await page.getByRole('heading', { name: /NPS by/ }).waitFor();
    const bd = await notes(page, 'section[aria-labelledby=h-table]');
    const bdApi = await call('GET', '/api/v1/metrics/breakdown?by=channel', demo.secretKey);
    assert.match(bd[0], /^last 90 days · [\d,]+ answers$/);
    assert.deepEqual(await notes(page, 'section[aria-labelledby=h-plot]'), bd);
    await page.goto(`${url}/app/breakdowns?by=channel&range=all`);
    await page.locator('section[aria-labelledby=h-table] [data-testid=window-note]', { hasText: 'all answers up to' }).waitFor();
    const all = (await notes(page, 'section[aria-labelledby=h-table]'))[0];
    assert.equal(all.split(' · ')[1], `${bdApi.json.total.n.toLocaleString('en-US')} answers`, 'all time counts every answer');
    const today = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: 'short', day: 'numeric' }).format(new Date());
    assert.equal(all.split(' · ')[0], `all answers up to ${today}`);
    await shot(page, 'breakdowns');

    await page.goto(`${url}/app/impact`);
    await page.getByText('Revenue-weighted NPS').waitFor();
    const behaviour = await notes(page, '#behaviour');
    assert.match(behaviour[0], /^all answers up to .+ · [\d,]+ customers · each by their latest answer, whose 90 days after answering have ended$/);
    const before = page.locator('[data-testid=window-note]', { hasText: 'who saw it and answered both' });
    const campaign = await page.locator('#campaign').count();
    if (campaign) {
      await before.first().waitFor();
      assert.match(await before.first().innerText(), /^[\d,]+ (person|people) · who saw it and answered both in the [\d,]+ days before and in the [\d,]+ days after$/);
      assert.match(await page.locator('[data-testid=window-note]').filter({ hasText: / to / }).first().innerText(), /^.+ to .+ · [\d,]+ answers$/);
    }
    assert.match(await page.locator('section[aria-labelledby=h-churn] [data-testid=window-note]').first().innerText(), /^[\d,]+ customers · active on .+, each followed for the \d+ days after$/);
    await shot(page, 'impact');

    const surveys = await call('GET', '/api/v1/surveys', demo.secretKey);
    const answered = await call('GET', '/api/v1/answers?limit=1', demo.secretKey);
    const surveyId = answered.json.items[0].surveyId as string | null;
    if (surveyId && surveys.json.items.some((x: { id: string }) => x.id === surveyId)) {
      await page.goto(`${url}/app/surveys/${surveyId}`);
      await page.getByRole('heading', { name: 'Over time' }).waitFor();
      const results = await page.locator('[data-testid=window-note]').allTextContents();
      assert.ok(results.length >= 4, results.join(' | '));
      for (const r of results) assert.match(r, /^last 90 days · [\d,]+ answers$/);
      await shot(page, 'survey-results');
    }

    const profileId = answered.json.items[0].profileId as string;
    await page.goto(`${url}/app/people/${profileId}`);
    await page.locator('section[aria-labelledby=h-nps-history] [data-testid=window-note]').waitFor();
    assert.match((await notes(page, 'section[aria-labelledby=h-nps-history]'))[0], /^all answers up to .+ · [\d,]+ answers? · every answer of this person$/);
    await shot(page, 'profile');
    assert.deepEqual(problems, []);
  });
});
