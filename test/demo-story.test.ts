/**
 * The demo tells one true story: its answers belong to surveys that exist (with the runs of their
 * scheduled waves), it ships saved segments and the shop's preferences, its planted campaign is
 * established on the Impact page, and every number the README's walk-through quotes is what the
 * API says on the demo exactly as `npm start` makes it, whatever the day it is made on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { evaluate } from '../src/domain/conditions.ts';
import { demoTruth, demoWaveTimes, generateDemo, type DemoOptions } from '../src/demo/generate.ts';
import { createDemoWorkspace, DEMO_PREFERENCES, type DemoWorkspace } from '../src/demo/load.ts';
import { DEMO_SEGMENTS } from '../src/demo/segments.ts';
import { WallClock } from '../src/demo/wall-clock.ts';
import { NPS_RESPONDED } from '../src/domain/event.ts';
import type { Store } from '../src/store/db.ts';
import { profilesAfter } from '../src/store/profiles.ts';
import { stageRulesOf } from '../src/store/workspaces.ts';
import { Writer } from '../src/store/writer.ts';
import { readSpecBatch } from '../src/ingest/segment-spec.ts';
import { schedulePeriod, startDueSchedules } from '../src/surveys/audience.ts';
import { factsOf } from '../src/surveys/eligibility.ts';
import { SURVEY_TRIGGERS } from '../src/surveys/triggers.ts';
import { listCursors } from '../src/store/consumer-cursors.ts';
import { headPosition } from '../src/store/facts.ts';
import { parseFilters, timeWindow } from '../web/src/filters.ts';
import { fmtInt, fmtNps, fmtSigned } from '../web/src/format.ts';
import { backends, forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const DAY = 86_400_000;
const ZONE = DEMO_PREFERENCES.timeZone;
/** What `npm start` (src/cli.ts serve) asks for; the seed and the end are the generator's defaults. */
const NPM_START_CUSTOMERS = 5000;
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The figures the README's walk-through quotes, by the name in their `<!-- demo:name -->` marker. */
function readmeFigures(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of README.matchAll(/<!-- demo:([a-z0-9-]+) -->([\s\S]*?)<!-- \/demo -->/g)) {
    assert.ok(!out.has(m[1]), `README quotes demo:${m[1]} twice`);
    out.set(m[1], m[2].trim());
  }
  return out;
}

/** "about N" in the README: how far the page may be from N on the day the demo is made. */
const aboutTolerance = (n: number) => Math.max(5, Math.round(n * 0.1));

async function get(s: TestServer, path: string, key: string) {
  const r = await s.call('GET', path, key);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}

const query = (q: Record<string, string | number>) => new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString();

describe('the demo as npm start makes it: the README walk-through is what the dashboard shows', () => {
  let store: Store;
  let s: TestServer;
  let demo: DemoWorkspace;
  /** The end of the demo's history: the last midnight in the shop's zone, as npm start computes it. */
  let end: number;
  /** The dashboard's default window ("last 90 days"), on the day the demo is made. */
  let window: { from: string; to: string };
  const actual = new Map<string, string>();
  const about = new Map<string, number>();
  /** Figures between 0 and 1 quoted to two decimals, with how far they may move over the day. */
  const fraction = new Map<string, number>();

  before(async () => {
    store = await backends()[0].open();
    s = await startServer(store);
    end = new WallClock(ZONE).midnightBefore(Date.now());
    const t0 = performance.now();
    demo = await createDemoWorkspace(store, { customers: NPM_START_CUSTOMERS, quiet: true, writer: s.services.writer });
    process.stderr.write(`# demo of ${NPM_START_CUSTOMERS} customers made in ${Math.round(performance.now() - t0)} ms\n`);
    const w = timeWindow(parseFilters({}, ZONE), end + 12 * 3_600_000);
    window = { from: new Date(w.from!).toISOString(), to: new Date(w.to!).toISOString() };
  });
  after(async () => {
    await s?.close();
    await store?.close();
  });

  it('has the shop\'s preferences', async () => {
    const r = await get(s, '/api/v1/settings/workspace', demo.secretKey);
    assert.deepEqual(r.preferences, DEMO_PREFERENCES);
  });

  it('answers belong to the two surveys it made, with their wording, trigger, schedule and the runs of the waves', async () => {
    const surveys = (await get(s, '/api/v1/surveys', demo.secretKey)).items as Array<{ id: string; name: string; status: string; version: number; definition: any }>;
    assert.deepEqual(surveys.map((x) => x.name).sort(), ['Post-purchase NPS', 'Quarterly relationship survey']);
    const post = surveys.find((x) => x.name === 'Post-purchase NPS')!;
    const rel = surveys.find((x) => x.name === 'Quarterly relationship survey')!;
    for (const x of surveys) {
      assert.equal(x.status, 'active');
      assert.equal(x.version, 1, 'switching a survey on after the history is in makes no new version');
      const en = x.definition.texts.en;
      assert.ok(en.question && en.followUp.detractor && en.thankYou.promoter && en.emailSubject, `${x.name} has its own wording`);
    }
    assert.deepEqual(post.definition.triggers, [{ event: 'Order Delivered', delayHours: 72, channel: 'email' }]);
    assert.equal(post.definition.schedule, null);
    assert.equal(rel.definition.schedule.everyDays, 91);
    assert.equal(rel.definition.schedule.channel, 'email');

    // Every answer is one of theirs: the two surveys' counts add up to all answers, all time.
    const all = await get(s, '/api/v1/metrics/nps', demo.secretKey);
    const byPost = await get(s, `/api/v1/metrics/nps?surveyId=${post.id}`, demo.secretKey);
    const byRel = await get(s, `/api/v1/metrics/nps?surveyId=${rel.id}`, demo.secretKey);
    assert.ok(byPost.n > 1000 && byRel.n > 500, `${byPost.n} and ${byRel.n}`);
    assert.equal(byPost.n + byRel.n, all.n);
    const one = await get(s, `/api/v1/answers?limit=1&surveyId=${post.id}`, demo.secretKey);
    assert.equal(one.items[0].surveyVersion, 1);

    // The survey page's results, over the dashboard's default window.
    const recent = await get(s, `/api/v1/metrics/nps?${query({ surveyId: post.id, ...window })}`, demo.secretKey);
    actual.set('post-purchase-nps', fmtNps(recent.nps));
    actual.set('post-purchase-answers', fmtInt(recent.n));

    // Its runs tab: one finished run per wave, each at the time its answers started to come in.
    const runs = (await get(s, `/api/v1/surveys/${rel.id}/runs`, demo.secretKey)).items as Array<{ period: number; status: string; scheduled: number; createdAt: string; progress: { total: number; scanned: number }; skipped: Record<string, number> }>;
    const waves = demoWaveTimes({ timeZone: ZONE, now: end });
    assert.deepEqual(runs.map((r) => r.period).sort(), [0, 1, 2, 3]);
    for (const r of runs) {
      assert.equal(r.status, 'done');
      assert.equal(Date.parse(r.createdAt), waves[r.period]);
      assert.equal(r.progress.scanned, r.progress.total);
      assert.equal(r.scheduled + Object.values(r.skipped).reduce((a, b) => a + b, 0), r.progress.total, 'every customer is either sent to or skipped with a reason');
    }
    const latest = runs.find((r) => r.period === 3)!;
    actual.set('relationship-runs', String(runs.length));
    actual.set('relationship-last-wave', fmtInt(latest.scheduled));
    // Answers to a wave come after it.
    const firstAnswer = await get(s, `/api/v1/answers?${query({ limit: 1, surveyId: rel.id, from: new Date(0).toISOString(), to: new Date(waves[0]).toISOString() })}`, demo.secretKey);
    assert.equal(firstAnswer.items.length, 0, 'no relationship answer before the first wave');

    // The schedule lines up with the waves: the clock has nothing to run until the next one is due,
    // and the trigger does not read the year of history as new orders.
    const first = Date.parse(rel.definition.schedule.startAt);
    assert.equal(first, waves[0]);
    assert.equal(schedulePeriod(rel.definition.schedule, 0, end), 3);
    assert.equal(schedulePeriod(rel.definition.schedule, 0, first + 4 * 91 * DAY), 4);
    const triggered = async () => (await get(s, `/api/v1/contacts?surveyId=${post.id}&limit=500`, demo.secretKey)).items.length as number;
    const before = await triggered();
    // (The text consumer and the re-reading of comments by the demo's model announce analyses in
    // the background meanwhile: every event stored before catching up is what counts.)
    const stored = await headPosition(store.db);
    await s.bus.catchUp();
    const cursor = (await listCursors(store.db)).find((c) => c.name === SURVEY_TRIGGERS);
    assert.ok(cursor && cursor.position >= stored, `the trigger has read every event stored (${cursor?.position} of ${stored})`);
    assert.equal(await triggered(), before, 'the history schedules no trigger sends');
    const writer = new Writer(store, readSpecBatch);
    try {
      const ctx = { db: store.db, writer, outbox: null, publicUrl: s.url };
      assert.equal(await startDueSchedules(ctx), 0);
    } finally {
      await writer.close();
    }
  });

  it('ships saved segments that tell the story, each with a good number of people', async () => {
    const listed = (await get(s, '/api/v1/segments', demo.secretKey)).items as Array<{ id: string; name: string }>;
    assert.deepEqual(listed.map((x) => x.name), DEMO_SEGMENTS.map((x) => x.name));
    // Over the day the demo is made the days since each last order grow, so the membership at the
    // day's start and at its end bound what the page can show that day.
    const rules = await stageRulesOf(store.db, demo.workspaceId);
    const facts: Array<[ReturnType<typeof factsOf>, ReturnType<typeof factsOf>]> = [];
    for (let afterId: string | null = null; ;) {
      const page = await profilesAfter(store.db, demo.workspaceId, afterId, 1000);
      for (const p of page) facts.push([factsOf(p, end, rules), factsOf(p, end + DAY - 1, rules)]);
      if (page.length < 1000) break;
      afterId = page[page.length - 1].id;
    }
    for (const seg of listed) {
      const { segment } = await get(s, `/api/v1/segments/${seg.id}`, demo.secretKey);
      assert.ok(segment.people >= 50, `${seg.name}: ${segment.people} people`);
      assert.ok(segment.answers >= segment.people, `${seg.name}: their answers`);
      const { conditions } = DEMO_SEGMENTS.find((x) => x.name === seg.name)!;
      const bounds = [0, 1].map((i) => facts.filter((f) => evaluate(conditions, f[i]).ok).length);
      const key = `segment-${seg.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      actual.set(key, String(segment.people));
      about.set(key, Math.max(...bounds.map((n) => Math.abs(n - segment.people))));
    }
    // "Never asked" means something: the email tool wrote who was asked onto their profile.
    const askedPromoters = facts.filter(([f]) => f.latestNpsCategory === 'promoter' && f.traits.referral_invited_at).length;
    assert.ok(askedPromoters > 100, `${askedPromoters} promoters were asked for a referral`);
  });

  it('establishes the planted campaign on the Impact page, and credits no other', async () => {
    const truth = demoTruth({ timeZone: ZONE, now: end });
    const r = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(truth.campaign.name)}`, demo.secretKey);
    // The page's headline is the summary up to its first colon.
    assert.match(r.summary, /^Likely a real effect \(NPS up\): /);
    assert.equal(r.exposedVsNot.verdict.finding, 'higher');
    assert.equal(r.netChange.verdict.finding, 'higher');
    actual.set('impact-headline', r.summary.split(': ')[0]);
    actual.set('impact-people', fmtInt(r.exposure.people));
    actual.set('impact-before', fmtNps(r.beforeAfter.before.nps));
    actual.set('impact-after', fmtNps(r.beforeAfter.after.nps));
    actual.set('impact-pairs', fmtInt(r.beforeAfter.pairs));
    actual.set('impact-net', r.netChange.verdict.text);
    actual.set('impact-exposed', r.exposedVsNot.verdict.text);
    const campaigns = (await get(s, '/api/v1/impact/campaigns', demo.secretKey)).items as Array<{ campaign: string }>;
    assert.equal(campaigns[0].campaign, truth.campaign.name, 'the page opens on it');
    for (const { campaign } of campaigns.slice(1)) {
      const other = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(campaign)}`, demo.secretKey);
      assert.doesNotMatch(other.summary, /^Likely a real effect/, campaign);
    }
  });

  it('shows the overview figure and the weak channel over the last 90 days', async () => {
    const nps = await get(s, `/api/v1/metrics/nps?${query(window)}`, demo.secretKey);
    actual.set('overview-nps', fmtNps(nps.nps));
    actual.set('overview-answers', fmtInt(nps.n));
    const b = await get(s, `/api/v1/metrics/breakdown?${query({ by: 'channel', ...window })}`, demo.secretKey);
    const rows = b.rows as Array<{ value: string; n: number; nps: number; mark: string | null }>;
    const sms = rows.find((x) => x.value === 'sms')!;
    assert.equal(sms.mark, 'lower');
    assert.equal(rows.reduce((a, x) => (x.nps < a.nps ? x : a)).value, 'sms');
    for (const x of rows) if (x.value !== 'sms') assert.notEqual(x.mark, 'lower', x.value);
    actual.set('sms-nps', fmtNps(sms.nps));
    actual.set('sms-answers', fmtInt(sms.n));
  });

  it('ranks the themes of the comments: late deliveries cost the most points', async () => {
    // Every comment analysed on the bus as it came (the demo's model reads them again in the
    // background; the ranking rests on the themes, which the model does not change). The bus
    // only: a tick would also run the clock's due survey waves.
    await s.bus.catchUp();
    const d = await get(s, `/api/v1/metrics/drivers?${query(window)}`, demo.secretKey);
    const [first, second] = d.themes;
    assert.equal(first.id, 'delivery', d.themes.map((t: any) => `${t.id} ${t.impact}`).join(', '));
    assert.ok(first.readable && first.impactHigh < 0);
    actual.set('themes-first', first.name);
    actual.set('themes-first-impact', fmtSigned(first.impact, 1));
    actual.set('themes-first-mentions', fmtInt(first.mentions));
    actual.set('themes-first-nps', fmtNps(first.with.nps));
    actual.set('themes-first-without', fmtNps(first.without.nps));
    actual.set('themes-second', second.name);
  });

  it('learns who churns from the demo\'s history, the latest score first, better than chance', async () => {
    const trained = await s.call('POST', '/api/v1/churn/model', demo.secretKey);
    assert.equal(trained.status, 201, trained.text);
    const m = trained.json.model;
    assert.ok(m.coefficients[0].feature.toLowerCase().includes('score'), `the strongest factor is ${m.coefficients[0].feature}`);
    assert.ok(m.aucInterval.low > 0.5, `AUC ${m.auc}: its interval ${m.aucInterval.low}–${m.aucInterval.high} reaches chance`);
    actual.set('churn-auc', m.auc.toFixed(2));
    actual.set('churn-auc-low', m.aucInterval.low.toFixed(2));
    actual.set('churn-auc-high', m.aucInterval.high.toFixed(2));
    // Trained as of the moment it runs, a few hours into the demo's day: it moves a little with the hour.
    for (const key of ['churn-auc', 'churn-auc-low', 'churn-auc-high']) fraction.set(key, 0.03);
  });

  it('quotes in the README exactly these numbers', (t) => {
    const quoted = readmeFigures();
    t.diagnostic(`the demo shows: ${[...actual].map(([k, v]) => `${k}=${v}`).join('; ')}`);
    assert.deepEqual([...quoted.keys()].sort(), [...actual.keys()].sort(), 'every number the walk-through quotes is checked, and every checked number is quoted');
    for (const [key, text] of quoted) {
      if (fraction.has(key)) {
        const [said, shown] = [Number(text), Number(actual.get(key))];
        assert.ok(Math.abs(said - shown) <= fraction.get(key)!, `${key}: the README says ${said}; the page shows ${shown}`);
      } else if (about.has(key)) {
        const said = Number(text.replace(/,/g, ''));
        const shown = Number(actual.get(key));
        const drift = about.get(key)!;
        t.diagnostic(`${key}: README about ${said}, page ${shown}, moving by up to ${drift} over the day`);
        assert.ok(Math.abs(said - shown) + drift <= aboutTolerance(said), `${key}: the README says about ${said}; the page shows ${shown} (±${drift} over the day)`);
      } else {
        assert.equal(text, actual.get(key), `README demo:${key}`);
      }
    }
  });
});

// ------------------------------------------------------------------ the same on any day

/**
 * The demo made with `now`: for the first `whole` customers each message with its times written as
 * (local wall time − the end's local wall time), which must not change with the date; for all,
 * the answers.
 */
function relative(options: DemoOptions & { now: number }, whole: number) {
  const clock = new WallClock(ZONE);
  const wallEnd = clock.toWall(options.now);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const messages: string[] = [];
  const answers: Array<{ at: number; score: number }> = [];
  let customer = 0;
  for (const batch of generateDemo(options)) {
    for (const m of batch) {
      if (m.event === NPS_RESPONDED) answers.push({ at: Date.parse(String(m.timestamp)), score: Number(m.properties!.score) });
      if (customer < whole) messages.push(JSON.stringify(m, (_, v) => (typeof v === 'string' && iso.test(v) ? clock.toWall(Date.parse(v)) - wallEnd : v)));
    }
    customer++;
  }
  return { messages, answers };
}

describe('the demo is the same story on any day', () => {
  it('two different start dates (winter and summer time, a leap day between) give the same local days and hours, so the same figures', (t) => {
    const clock = new WallClock(ZONE);
    const today = clock.midnightBefore(Date.now());
    // Summer time, with 29 February 2028 inside the year.
    const other = clock.midnightBefore(Date.UTC(2028, 6, 20, 12));
    const base = { customers: NPM_START_CUSTOMERS, timeZone: ZONE };
    // Each customer is simulated from a stream of their own, so a few hundred show the messages are
    // the same; the answers of all show the figures are.
    const a = relative({ ...base, now: today }, 500);
    const b = relative({ ...base, now: other }, 500);
    assert.equal(a.messages.length, b.messages.length);
    // Times inside the hour the clocks skip are written as the moment they jump, so those few
    // may read up to an hour apart; every other message is identical.
    let differing = 0;
    for (let i = 0; i < a.messages.length; i++) if (a.messages[i] !== b.messages[i]) differing++;
    t.diagnostic(`${a.messages.length} messages of 500 customers, ${differing} differ only inside a skipped hour`);
    assert.ok(differing <= a.messages.length / 1000, `${differing} messages differ`);
    // The overview's default window holds the same answers on both days.
    const inWindow = (xs: typeof a.answers, end: number) => {
      const w = timeWindow(parseFilters({}, ZONE), end + 12 * 3_600_000);
      return xs.filter((x) => x.at >= w.from! && x.at < w.to!).map((x) => x.score);
    };
    const [wa, wb] = [inWindow(a.answers, today), inWindow(b.answers, other)];
    assert.deepEqual(wa, wb);
    assert.equal(fmtInt(wa.length), readmeFigures().get('overview-answers'));
  });
});

// ------------------------------------------------------------------ on both databases

forEachBackend('a small demo keeps its story to its own workspace', async (store) => {
  const s = await startServer(store);
  try {
    const demo = await createDemoWorkspace(store, { customers: 300, seed: 7, quiet: true, writer: s.services.writer });
    const surveys = (await get(s, '/api/v1/surveys', demo.secretKey)).items as Array<{ id: string }>;
    assert.equal(surveys.length, 2);
    const all = await get(s, '/api/v1/metrics/nps', demo.secretKey);
    let counted = 0;
    for (const x of surveys) counted += (await get(s, `/api/v1/metrics/nps?surveyId=${x.id}`, demo.secretKey)).n;
    assert.ok(all.n > 0);
    assert.equal(counted, all.n, 'every answer belongs to one of the demo surveys');
    const scheduled = surveys.find((x: any) => x.definition.schedule)!;
    const runs = await get(s, `/api/v1/surveys/${scheduled.id}/runs`, demo.secretKey);
    assert.equal(runs.items.length, 4);
    assert.equal((await get(s, '/api/v1/segments', demo.secretKey)).items.length, DEMO_SEGMENTS.length);
    assert.deepEqual((await get(s, '/api/v1/settings/workspace', demo.secretKey)).preferences, DEMO_PREFERENCES);
    // Another workspace sees none of it.
    assert.equal((await get(s, '/api/v1/surveys', s.ws.secretKey)).items.length, 0);
    assert.equal((await get(s, '/api/v1/segments', s.ws.secretKey)).items.length, 0);
    assert.equal((await s.call('GET', `/api/v1/surveys/${surveys[0].id}/runs`, s.ws.secretKey)).status, 404);
    assert.equal((await get(s, '/api/v1/settings/workspace', s.ws.secretKey)).preferences.timeZone, 'UTC');
  } finally {
    await s.close();
  }
});
