/**
 * People shown as people in the dashboard: on the overview, the people page, the live feed (answers
 * from before the page opened and one sent while watching), a survey's results and a profile,
 * every answer names its person (name, else email, else phone, else an id) as the link to their
 * profile, and its survey by title. "Open person" appears nowhere; hostile names stay text.
 * Chromium at 1280 and 390 px, on SQLite (the storage side is test/people-names.test.ts).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../src/http/app.ts';
import { addMember } from '../src/store/accounts.ts';
import type { Store } from '../src/store/db.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, signIn, watch, webBuild } from './helpers/browser.ts';
import { keyedCaller, workspaceWithKeys, type Call, type TestWorkspace } from './helpers/server.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const WIDTHS = [1280, 390] as const;
const HOSTILE = '<img src=x onerror=alert(1)><b>Mallory</b>';
const SURVEY = 'Post-purchase NPS';

interface Sent { id: string; profileId: string; label: string; survey: boolean }

let store: Store;
let url: string;
let call: Call;
let ws: TestWorkspace;
let close: () => Promise<void>;
let surveyId: string;
const sent: Sent[] = [];
/** Answers sent while a live feed was watched (they show on later pages too). */
const sentLive: Sent[] = [];
const admin = { email: 'cx-lead@example.com', password: 'people are people too' };

async function answer(body: Record<string, unknown>, label: string | null): Promise<Sent> {
  const r = await call('POST', '/api/v1/answers', ws.writeKey, body);
  assert.equal(r.status, 201, r.text);
  const a = r.json.answer;
  return { id: a.id, profileId: a.profileId, label: label ?? `Anonymous ${a.profileId.slice(-6)}`, survey: 'surveyId' in body };
}

before(async () => {
  await webBuild();
  store = await backends()[0].open();
  ws = await workspaceWithKeys(store, 'People shop');
  assert.equal((await addMember(store.db, ws.id, { email: admin.email, name: 'Casey Lead', role: 'admin', password: admin.password })).status, 'created');
  const { app, services: { writer } } = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  call = keyedCaller(url, writer);
  close = async () => {
    await app.close();
    await store.close();
  };
  const survey = await call('POST', '/api/v1/surveys', ws.secretKey, { name: SURVEY });
  assert.equal(survey.status, 201, survey.text);
  surveyId = survey.json.survey.id;
  // Oldest first: the lists show the newest first, so every one of these is on the overview's first eight.
  const hour = 3600_000;
  const at = (h: number) => new Date(Date.now() - h * hour).toISOString();
  sent.push(
    await answer({ person: { userId: 'ada' }, score: 6, timestamp: at(9) }, 'Ada Lovelace'),
    await answer({ person: { userId: 'ada', email: 'ada@example.com', traits: { name: 'Ada Lovelace' } }, score: 9, surveyId, comment: 'Quick delivery', timestamp: at(7) }, 'Ada Lovelace'),
    await answer({ person: { email: 'bo@example.com' }, score: 7, surveyId, timestamp: at(6) }, 'bo@example.com'),
    await answer({ person: { phone: '+1 555 010 3000' }, score: 4, channel: 'sms', timestamp: at(5) }, '+15550103000'),
    await answer({ person: { anonymousId: 'anon-9c1d' }, score: 10, channel: 'web', surveyId, timestamp: at(4) }, null),
    await answer({ person: { email: 'mallory@example.com', traits: { name: HOSTILE } }, score: 0, comment: HOSTILE, surveyId, timestamp: at(3) }, HOSTILE),
    await answer({ person: { userId: 'cust_00042', traits: { firstName: 'Grace', lastName: 'Hopper' } }, score: 8, timestamp: at(2) }, 'Grace Hopper'),
  );
});

after(async () => {
  await close?.();
});

describe('people and surveys named in the dashboard', { skip: NO_BROWSER }, () => {
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(width: number) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-US', reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems = watch(page);
    await signIn(page, `${url}/app`, admin);
    return { page, problems, close: () => context.close() };
  }

  const shot = (page: Page, name: string, width: number) => page.screenshot({ path: join(artifactsDir(), `dashboard-people-${name}-${width}.png`), fullPage: true });

  /** Every answer of `list` that the test sent names its person as the link to their profile, and its survey by title. */
  async function assertNamed(page: Page, list: string, answers: Sent[], showsSurvey = true) {
    const ul = page.getByRole('list', { name: list });
    await ul.waitFor();
    for (const a of answers) {
      const li = ul.locator(`li[data-answer-id="${a.id}"]`);
      await li.waitFor({ timeout: 5000 });
      const person = li.locator('a.person');
      assert.equal(await person.textContent(), a.label, `${list}: the person of ${a.id}`);
      assert.equal(await person.getAttribute('href'), `/app/people/${a.profileId}`, `${list}: the link of ${a.label}`);
      const surveyLink = li.getByRole('link', { name: SURVEY, exact: true });
      if (a.survey && showsSurvey) assert.equal(await surveyLink.getAttribute('href'), `/app/surveys/${surveyId}`, `${list}: the survey of ${a.label}`);
      else assert.equal(await surveyLink.count(), 0, `${list}: no survey on ${a.label}`);
      assert.equal(await li.getByText(surveyId).count(), 0, `${list}: the survey's id is not shown`);
    }
    await assertNoStandIns(page, list);
  }

  /** No "Open person", no bare profile id as a name, and no element made of a name. */
  async function assertNoStandIns(page: Page, where: string) {
    const text = await page.locator('main').innerText();
    assert.doesNotMatch(text, /Open person/, where);
    for (const label of await page.locator('main a.person').allTextContents()) assert.doesNotMatch(label, /^prof_/, `${where}: ${label}`);
    assert.equal(await page.locator('main img[src="x"], main b').count(), 0, `${where}: a name became markup`);
  }

  it('names every person and survey on the overview, people, live feed, survey results and profile pages, at 1280 and 390 px', { timeout: 150_000 }, async () => {
    for (const width of WIDTHS) {
      const { page, problems, close: done } = await open(width);
      try {
        await page.goto(`${url}/app`);
        await assertNamed(page, 'Latest answers', sent);
        await shot(page, 'overview', width);

        // The people page: one row per person, by their latest answer, named and linked.
        await page.goto(`${url}/app/people`);
        const table = page.getByRole('table', { name: 'People who answered lately' });
        await table.waitFor();
        const people = new Map([...sent, ...sentLive].map((a) => [a.profileId, a.label]));
        const rows = table.locator('tbody tr');
        await rows.nth(people.size - 1).waitFor();
        assert.equal(await rows.count(), people.size, 'each person once, however often they answered');
        for (const [profileId, label] of people) {
          const link = table.locator(`tr[data-profile-id="${profileId}"] a.person`);
          assert.deepEqual([await link.textContent(), await link.getAttribute('href')], [label, `/app/people/${profileId}`]);
        }
        await table.locator(`tr[data-profile-id="${sent[0].profileId}"]`).getByText('2 recent answers').waitFor();
        await table.locator(`tr[data-profile-id="${sent[1].profileId}"]`).getByText('ada@example.com').waitFor();
        await assertNoStandIns(page, 'people');
        await shot(page, 'people', width);

        await page.goto(`${url}/app/surveys/${surveyId}`);
        // The survey's own page need not say its name on every answer.
        await assertNamed(page, `Latest answers to ${SURVEY}`, sent.filter((a) => a.survey), false);
        await shot(page, 'survey-results', width);

        // The live feed: the answers from before the page opened, then one sent while watching.
        await page.goto(`${url}/app/live`);
        await page.getByText('Live: new answers appear here').waitFor();
        await assertNamed(page, 'Live answers', sent);
        const fresh = await answer({ person: { phone: `+1 555 010 ${4000 + width}`, traits: { first_name: 'Lin', last_name: `Width${width}` } }, score: 10, surveyId, channel: 'app' }, `Lin Width${width}`);
        sentLive.push(fresh);
        await assertNamed(page, 'Live answers', [fresh, ...sent]);
        await shot(page, 'live', width);

        // Following a name leads to that person's profile, headed by the same label.
        await page.getByRole('list', { name: 'Live answers' }).locator(`li[data-answer-id="${fresh.id}"] a.person`).click();
        await page.waitForURL(new RegExp(`/app/people/${fresh.profileId}$`));
        await page.getByRole('heading', { level: 1, name: fresh.label, exact: true }).waitFor();
        await page.getByText(`+1555010${4000 + width}`).first().waitFor();
        await page.locator('ol.timeline').getByRole('link', { name: SURVEY }).first().waitFor();

        const anonymous = sent.find((a) => a.label.startsWith('Anonymous'))!;
        await page.goto(`${url}/app/people/${anonymous.profileId}`);
        await page.getByRole('heading', { level: 1, name: anonymous.label, exact: true }).waitFor();
        await page.getByRole('list', { name: 'Answers of this person' }).getByRole('link', { name: SURVEY }).waitFor();
        await assertNoStandIns(page, 'anonymous profile');

        const hostile = sent.find((a) => a.label === HOSTILE)!;
        await page.goto(`${url}/app/people/${hostile.profileId}`);
        await page.getByRole('heading', { level: 1, name: HOSTILE, exact: true }).waitFor();
        await page.getByText('mallory@example.com').first().waitFor();
        await assertNoStandIns(page, 'hostile profile');
        await shot(page, 'profile', width);
        assert.deepEqual(problems, [], `at ${width} px`);
      } catch (err) {
        await shot(page, 'failure', width).catch(() => {});
        throw new Error(`${(err as Error).message}\n(at ${page.url()}; problems: ${problems.join('; ') || 'none'})`, { cause: err });
      } finally {
        await done();
      }
    }
  });
});
