/**
 * The dashboard's controls on the demo, in headless Chromium (issue 12, items 9–12): who is signed
 * in and which workspace is shown, told apart, and a sign-out that really ends the session; the
 * trait picker and the segment filter offering what the workspace has, and filtering consistently
 * with the API; breakdown rows with readable labels that list their own answers a page at a time;
 * one rounding in the plot and the table; a new survey that starts as a one-channel draft; and the
 * fatigue policy edited in Settings. SQLite only: the dashboard talks HTTP, storage is the API
 * suites' concern (test/traits.test.ts covers the traits API on both backends).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDemoWorkspace, type DemoWorkspace } from '../src/demo/load.ts';
import { buildApp } from '../src/http/app.ts';
import { addMember } from '../src/store/accounts.ts';
import type { Store } from '../src/store/db.ts';
import { fmtNps } from '../web/src/format.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, signIn, watch, webBuild } from './helpers/browser.ts';
import { keyedCaller, type Call } from './helpers/server.ts';

// The person shares the workspace's name, as the demo login does: the header must still tell them apart.
const USER = { email: 'demo-admin@example.com', name: 'Demo', password: 'correct horse battery staple' };
const SEGMENTS = ['Pro plan customers', 'Repeat buyers who are detractors'];

let store: Store;
let demo: DemoWorkspace;
let url: string;
let call: Call;
let closeApp: () => Promise<void>;
let browser: Browser;
const contexts: BrowserContext[] = [];

const secret = () => demo.secretKey;
const shot = (page: Page, name: string, width: number) => page.screenshot({ path: join(artifactsDir(), `controls-${name}-${width}.png`), fullPage: true });

/** Signs in on the way to `path` (the sign-in page brings the person back there). */
async function open(width: number, path: string) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-US', reducedMotion: 'reduce' });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, `${url}${path}`, USER);
  return { context, page, problems };
}

before(async () => {
  await webBuild();
  store = await backends()[0].open();
  demo = await createDemoWorkspace(store, { customers: 400, quiet: true });
  assert.equal(demo.name, 'Demo');
  assert.equal((await addMember(store.db, demo.workspaceId, { ...USER, role: 'admin' })).status, 'created');
  const { app, services: { writer } } = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  call = keyedCaller(url, writer);
  closeApp = async () => {
    await app.close();
    await store.close();
  };
  // Saved segments of our own: the demo's may or may not be there; the filter must list every one.
  for (const [name, conditions] of [[SEGMENTS[0], [{ field: 'traits.plan', op: 'eq', value: 'pro' }]], [SEGMENTS[1], [{ field: 'latestNpsCategory', op: 'eq', value: 'detractor' }, { field: 'orderCount', op: 'gte', value: 2 }]]] as const) {
    const r = await call('POST', '/api/v1/segments', secret(), { name, conditions });
    assert.equal(r.status, 201, r.text);
  }
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await closeApp?.();
});

describe('dashboard controls in Chromium', { skip: NO_BROWSER }, () => {
  before(async () => {
    browser = await launchChromium();
  });

  it('shows the person (name and email) and the workspace apart, and signs out for real at 1280 and 390 px', { timeout: 90_000 }, async () => {
    for (const width of [1280, 390]) {
      const { context, page, problems } = await open(width, '/app/breakdowns?range=all');
      await page.getByRole('table').first().waitFor();
      const header = page.locator('header.topbar');
      await header.getByText('Workspace:').waitFor();
      assert.equal(await header.locator('.ws-select strong').textContent(), 'Demo');
      const account = header.getByRole('button', { name: `Account: Demo (${USER.email})` });
      await account.waitFor();
      if (width === 1280) {
        // Both the name and the email are on the bar itself, and so is the way out.
        assert.ok(await header.getByText(USER.email).isVisible(), 'the email shows on a wide screen');
        assert.ok(await header.getByRole('button', { name: 'Sign out' }).isVisible());
      } else {
        assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'folded into the account menu on a phone');
        await account.click();
        await page.locator('#user-popover').getByText(USER.email).waitFor();
      }
      await shot(page, 'header', width);
      // The session's cookie, kept aside: after signing out it must open nothing, not merely be dropped by the browser.
      const cookie = (await context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
      assert.equal((await fetch(`${url}/api/v1/metrics/nps`, { headers: { cookie } })).status, 200, 'the cookie opens the API while signed in');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Advocate' }).waitFor();
      for (const path of ['/api/v1/metrics/nps', '/api/v1/session']) {
        const r = await fetch(`${url}${path}`, { headers: { cookie } });
        assert.equal(r.status, 401, `${path} after sign-out: ${await r.text()}`);
      }
      assert.equal((await context.request.get(`${url}/api/v1/metrics/nps`)).status(), 401, 'nor does the browser hold a session');
      await page.goto(`${url}/app/breakdowns`);
      await page.waitForURL(/\/app\/sign-in/);
      assert.deepEqual(problems, [], `at ${width} px`);
    }
  });

  it('offers known traits and their values, and filtering by one gives the API\'s figure; lists every saved segment', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(1280, '/app/breakdowns?by=channel&range=all');
    const traits = (await call('GET', '/api/v1/traits', secret())).json.items as Array<{ name: string; values: Array<{ value: string; answers: number }> }>;
    const plan = traits.find((t) => t.name === 'plan');
    assert.ok(plan, `the demo's plan trait is offered: ${traits.map((t) => t.name).join(', ')}`);
    assert.ok(!traits.some((t) => t.name === 'email' || t.name === 'name'), 'identifiers are not offered');
    const traitSelect = page.getByLabel('Trait', { exact: true });
    await traitSelect.locator('option').filter({ hasText: /^plan$/ }).waitFor({ state: 'attached' });
    assert.deepEqual(await traitSelect.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean)), traits.map((t) => t.name));
    await traitSelect.selectOption('plan');
    const valueSelect = page.getByLabel('is', { exact: true });
    assert.deepEqual(
      await valueSelect.locator('option').evaluateAll((os) => os.filter((o) => (o as HTMLOptionElement).value).map((o) => o.textContent)),
      plan.values.map((v) => `${v.value} (${v.answers.toLocaleString('en-US')} answers)`),
    );
    const before = Number((await page.locator('tfoot td.num').first().textContent())!.replace(/,/g, ''));
    await valueSelect.selectOption('pro');
    await page.getByRole('button', { name: 'Add trait filter' }).click();
    await page.waitForURL(/trait\.plan=pro/);
    await page.locator('.chip', { hasText: 'plan = pro' }).waitFor();
    const api = await call('GET', '/api/v1/metrics/nps?trait.plan=pro', secret());
    assert.equal(api.json.n, plan.values.find((v) => v.value === 'pro')!.answers, 'the picker counted what the filter keeps');
    await page.locator('tfoot td.num').first().filter({ hasText: api.json.n.toLocaleString('en-US') }).waitFor();
    assert.ok(api.json.n < before, `the filter narrowed the figure (${before} → ${api.json.n})`);
    assert.equal(await page.locator('tfoot td.num').nth(1).textContent(), fmtNps(api.json.nps), 'the same NPS as the API');

    const segments = (await call('GET', '/api/v1/segments', secret())).json.items as Array<{ id: string; name: string }>;
    for (const name of SEGMENTS) assert.ok(segments.some((s) => s.name === name), name);
    const options = await page.getByLabel('Segment', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
    assert.deepEqual(options, [['', 'All'], ...segments.map((s) => [s.id, s.name])]);
    await shot(page, 'filters', 1280);
    assert.deepEqual(problems, []);
  });

  it('labels breakdown rows, lists a picked row\'s answers a page at a time, explains "few", and rounds the plot as the table', { timeout: 90_000 }, async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await open(width, '/app/breakdowns?by=channel&range=all');
      const table = page.getByRole('table').first();
      await table.waitFor();
      for (const label of ['SMS', 'Email', 'Web', 'In-store']) await table.getByRole('button', { name: label, exact: true }).waitFor();

      await table.getByRole('button', { name: 'SMS', exact: true }).click();
      await page.waitForURL(/row=sms/);
      assert.equal(await table.getByRole('button', { name: 'SMS', exact: true }).getAttribute('aria-pressed'), 'true');
      await page.getByRole('heading', { name: 'Answers: Channel SMS' }).waitFor();
      const first = await call('GET', '/api/v1/answers?channel=sms&limit=20', secret());
      assert.ok(first.json.nextCursor, 'the demo has more than a page of SMS answers');
      const list = page.getByRole('list', { name: 'Answers' });
      const ids = () => list.locator('li[data-answer-id]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-answer-id')));
      await list.locator(`li[data-answer-id="${first.json.items[0].id}"]`).waitFor();
      assert.deepEqual(await ids(), first.json.items.map((a: { id: string }) => a.id), 'the first page: the SMS answers only, newest first');
      await page.getByRole('button', { name: 'Show 20 more' }).click();
      const second = await call('GET', `/api/v1/answers?channel=sms&limit=20&cursor=${encodeURIComponent(first.json.nextCursor)}`, secret());
      await list.locator(`li[data-answer-id="${second.json.items.at(-1).id}"]`).waitFor();
      assert.deepEqual(await ids(), [...first.json.items, ...second.json.items].map((a: { id: string }) => a.id), 'the next page follows the cursor');
      await shot(page, 'breakdown-picked', width);
      await page.getByRole('button', { name: 'Show all answers' }).click();
      await page.waitForURL((u) => !u.searchParams.has('row'));
      await page.getByRole('heading', { name: 'Answers', exact: true }).waitFor();

      // One rounding: the dashed line's figure in the caption is the table's "All" row, digit for digit.
      const all = await page.locator('tfoot td.num').nth(1).textContent();
      const caption = await page.locator('figcaption').textContent();
      assert.ok(caption!.includes(`(${all})`), `plot says "${caption}", table says ${all}`);
      const plotLabel = String(await page.locator('figure svg[role=img]').getAttribute('aria-label'));
      for (const row of await table.locator('tbody tr').all()) {
        const name = await row.locator('th button.link').first().textContent();
        const nps = await row.locator('td.num').nth(1).evaluate((td) => td.firstChild?.textContent);
        assert.ok(plotLabel.includes(`${name} ${nps} (`), `row ${name}: table ${nps}, plot "${plotLabel}"`);
      }
      assert.deepEqual(problems, [], `at ${width} px`);
    }

    // "few" says its threshold, to the eye (tooltip) and to a screen reader.
    const { page, problems } = await open(1280, '/app/breakdowns?by=hour&range=30d');
    const byHour = page.getByRole('table').first();
    await byHour.waitFor();
    const badge = byHour.locator('.badge.warn').first();
    await badge.waitFor();
    assert.match(String(await badge.getAttribute('title')), /wider than ±10 points/);
    assert.match(String(await badge.locator('.visually-hidden').textContent()), /^few answers: the 95% interval is wider than ±10 points/);
    assert.deepEqual(problems, []);
  });

  it('starts a new survey as a one-channel draft, and edits the fatigue policy in Settings, not in the survey', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(1280, '/app/surveys/new');
    await page.getByRole('heading', { name: 'New survey' }).waitFor();
    assert.equal(await page.getByLabel('Status').inputValue(), 'paused');
    assert.equal(await page.getByLabel('Status').locator('option:checked').textContent(), 'Draft: asks nobody yet');
    const checked = await page.locator('fieldset', { hasText: 'Channels and sending' }).locator('input[type=checkbox][id^=c-]:checked').evaluateAll((cs) => cs.map((c) => c.id));
    assert.deepEqual(checked, ['c-web'], 'one channel: the web widget');
    // The fatigue policy is said here but set in Settings.
    assert.equal(await page.locator('#fp-max').count(), 0);
    await page.getByText('Nobody is asked more than').waitFor();
    await shot(page, 'survey-new', 1280);
    await page.getByLabel('Name', { exact: true }).fill('Draft NPS');
    await page.getByRole('button', { name: 'Create survey' }).click();
    await page.waitForURL(/\/app\/surveys\/srv_[^?]+\?tab=share$/);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    const saved = (await call('GET', `/api/v1/surveys/${id}`, secret())).json.survey;
    assert.equal(saved.status, 'paused');
    assert.deepEqual(Object.entries(saved.definition.channels).filter(([, c]) => (c as { enabled: boolean }).enabled).map(([k]) => k), ['web']);
    await page.getByText('this survey asks nobody yet').waitFor();
    await page.getByRole('button', { name: 'Make it active' }).click();
    await page.getByText('this survey asks nobody yet').waitFor({ state: 'detached' });
    assert.equal((await call('GET', `/api/v1/surveys/${id}`, secret())).json.survey.status, 'active');

    await page.goto(`${url}/app/surveys/${id}?tab=edit`);
    await page.getByRole('link', { name: 'Change the fatigue policy in Settings' }).click();
    await page.waitForURL(/\/app\/settings/);
    const panel = page.getByRole('region', { name: 'Fatigue policy' });
    await panel.getByLabel('At most (surveys)').fill('2');
    await panel.getByLabel('Per (days)').fill('30');
    await panel.getByRole('button', { name: 'Save fatigue policy' }).click();
    await panel.getByText(/^Saved\./).waitFor();
    assert.deepEqual((await call('GET', '/api/v1/settings/contact-policy', secret())).json, { maxSurveys: 2, perDays: 30 });
    await shot(page, 'settings-fatigue', 1280);
    await page.goto(`${url}/app/surveys/${id}?tab=edit`);
    await page.locator('p', { hasText: 'Nobody is asked more than 2 times in 30 days' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
