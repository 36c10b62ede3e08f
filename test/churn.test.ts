import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { activeAt, churnedFrom, loadChurnHistory, snapshotAt, FEATURE_INDEX, FEATURES } from '../src/analytics/churn-features.ts';
import { explainRisk, FOLDS, foldOf } from '../src/analytics/churn-model.ts';
import { InsightEngine } from '../src/analytics/engine.ts';
import { auc, aucInterval } from '../src/domain/auc.ts';
import type { ChurnDefinition } from '../src/domain/churn.ts';
import { fitLogistic, sigmoid } from '../src/domain/logistic.ts';
import { deleteProfile } from '../src/store/erase.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { until } from './helpers/wait.ts';

// One process here: the clock is ticked by hand and jobs are picked up at once.
process.env.ADVOCATE_CLOCK_MS = '3600000';
process.env.ADVOCATE_JOB_POLL_MS = '30';

const DAY = 86_400_000;
const HOUR = 3_600_000;

async function batch(s: TestServer, messages: Array<Record<string, unknown>>, key = s.ws.writeKey) {
  const r = await s.call('POST', '/v1/batch', key, { batch: messages });
  assert.equal(r.status, 200, r.text);
  await s.settle();
}

const order = (userId: string, at: number, revenue: number) => ({ type: 'track', userId, event: 'Order Completed', properties: { revenue }, timestamp: new Date(at).toISOString() });
const answer = (userId: string, at: number, score: number, channel: string) => ({ type: 'track', userId, event: 'NPS Survey Responded', properties: { score, channel }, timestamp: new Date(at).toISOString() });
const identify = (userId: string, at: number, traits: Record<string, unknown>) => ({ type: 'identify', userId, traits, timestamp: new Date(at).toISOString() });

async function profileId(s: TestServer, userId: string, key = s.ws.secretKey): Promise<string> {
  const r = await s.call('GET', `/api/v1/profiles?userId=${encodeURIComponent(userId)}`, key);
  assert.equal(r.status, 200, r.text);
  return r.json.id;
}

describe('churn model: the arithmetic', () => {
  it('AUC is the share of positive–negative pairs ranked right, ties counting half', () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs right.
    assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    // A tie between a positive and a negative counts half: (0.5 + 1 + 1 + 1) / 4.
    assert.equal(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]), 0.875);
    assert.equal(auc([1, 2, 3], [false, true, true]), 1);
    assert.equal(auc([3, 2, 1], [false, true, true]), 0);
    assert.equal(auc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
    assert.equal(auc([1, 2], [1, 1]), null, 'one class only');
    // Hanley–McNeil by hand for A = 0.75 with 2 and 2: Q1 = 0.6, Q2 = 1.125/1.75,
    // variance = (0.1875 + (0.6 − 0.5625) + (Q2 − 0.5625)) / 4.
    const variance = (0.1875 + 0.0375 + (1.125 / 1.75 - 0.5625)) / 4;
    const iv = aucInterval(0.75, 2, 2);
    assert.ok(Math.abs(iv.se - Math.sqrt(variance)) < 1e-12 && Math.abs(iv.se - 0.276295) < 1e-6, `se ${iv.se}`);
    assert.equal(iv.high, 1, 'clipped');
    assert.ok(Math.abs(iv.low - (0.75 - 1.959964 * iv.se)) < 1e-12);
  });

  it('logistic regression without a penalty is the maximum-likelihood fit; with one, it stays finite under separation', () => {
    // One yes/no feature: the MLE is the log-odds of each group. x=0: 3 of 4 churn; x=1: 1 of 5.
    const x = Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const y = [1, 1, 1, 0, 1, 0, 0, 0, 0];
    const fit = fitLogistic(x, 9, 1, y, { lambda: 0 });
    assert.ok(fit.converged);
    assert.ok(Math.abs(fit.intercept - Math.log(3)) < 1e-9, `intercept ${fit.intercept}`);
    assert.ok(Math.abs(fit.coefficients[0] - (Math.log(1 / 4) - Math.log(3))) < 1e-9, `slope ${fit.coefficients[0]}`);
    assert.ok(Math.abs(sigmoid(fit.intercept + fit.coefficients[0]) - 0.2) < 1e-9);

    // Perfectly separated: no finite MLE, but the ridge penalty gives one, in the right direction.
    const sep = fitLogistic(Float64Array.from([-2, -1, 1, 2]), 4, 1, [0, 0, 1, 1], { lambda: 1 });
    assert.ok(sep.converged && Number.isFinite(sep.coefficients[0]) && sep.coefficients[0] > 0);
    // Two copies of one feature share its weight instead of breaking the solve.
    const dup = fitLogistic(Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), 9, 2, y, { lambda: 1 });
    assert.ok(dup.converged && Math.abs(dup.coefficients[0] - dup.coefficients[1]) < 1e-9 && dup.coefficients[0] < 0);
  });

  it('explains a risk by the features that raise it most, in words', () => {
    // Standardised by hand: means below, every spread 1; the person's values against them.
    const model = {
      features: [...FEATURES, 'channel:sms'], channels: ['sms'],
      means: [7, 0.5, 0, 30, 4, 5, 200, 60, 0.2], sds: [1, 1, 1, 1, 1, 1, 1, 1, 1],
      intercept: -1, coefficients: [-0.5, 0.1, 0.3, 0.02, -0.3, 0, 0, 0, 0.4],
    };
    const values = Float64Array.from([3, 0, NaN, 80, 1, Math.log1p(30), 100, 10]);
    const r = explainRisk(model, { profileId: 'p', key: 'p', values, channel: 'sms' });
    // Contributions: score −0.5·(3−7) = 2, recency 0.02·(80−30) = 1, orders −0.3·(1−4) = 0.9,
    // sms 0.4·(1−0.2) = 0.32 (the channel is no reason to tell anyone); "answered" (noAnswer 0) lowers
    // risk but is no reason either, the unknown change adds nothing.
    assert.deepEqual(r.factors.map((f) => f.text), ['Gave a 3 out of 10 last week', 'Hasn\'t ordered in 2 months', 'Only 1 order in the past year']);
    assert.ok(Math.abs(r.factors[0].contribution - 2) < 1e-12);
    assert.ok(Math.abs(r.risk - sigmoid(-1 + 2 + 0.1 * -0.5 + 1 + 0.9 + 0.32)) < 1e-12);
  });

  it('puts people in stable folds of about a quarter each', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    for (let f = 0; f < FOLDS; f++) {
      const share = ids.filter((id) => foldOf(id) === f).length / ids.length;
      assert.ok(Math.abs(share - 1 / FOLDS) < 0.03, `fold ${f}: ${share}`);
    }
    assert.deepEqual(ids.map(foldOf), ids.map(foldOf));
  });
});

// A fixed point in time, well in the past, with every event placed by hand around the cutoff.
const NOW = Date.UTC(2025, 6, 1);
const T = NOW - 90 * DAY;

forEachBackend('churn model: features and labels as of a cutoff match a hand computation', async (store) => {
  const s = await startServer(store);
  try {
    await batch(s, [
      // alice: three orders, a promoter who became a detractor; nothing after the cutoff.
      identify('alice', T - 250 * DAY, { email: 'alice@example.com' }),
      order('alice', T - 200 * DAY, 50), order('alice', T - 30 * DAY, 100), order('alice', T - 10 * DAY, 20),
      answer('alice', T - 60 * DAY, 9, 'email'), answer('alice', T - 5 * DAY, 3, 'sms'),
      // An answer after the cutoff is not known at the cutoff.
      answer('alice', T + 5 * DAY, 10, 'web'),
      // bob: one order in the year before (another before that), no answer, orders again after.
      identify('bob', T - 500 * DAY, { email: 'bob@example.com' }),
      order('bob', T - 400 * DAY, 999), order('bob', T - 80 * DAY, 30), order('bob', T + 20 * DAY, 10),
      // carol: last order 100 days before the cutoff: already churned then.
      order('carol', T - 100 * DAY, 40),
      // dan: answers but never buys: not a customer.
      answer('dan', T - 3 * DAY, 2, 'web'),
      // erin: orders after the cutoff but cancels inside the window.
      order('erin', T - 20 * DAY, 15), order('erin', T + 30 * DAY, 15),
      { type: 'track', userId: 'erin', event: 'Subscription Cancelled', timestamp: new Date(T + 40 * DAY).toISOString() },
      // frank: cancelled after his last order, before the cutoff.
      order('frank', T - 50 * DAY, 25),
      { type: 'track', userId: 'frank', event: 'Subscription Cancelled', timestamp: new Date(T - 10 * DAY).toISOString() },
    ]);
    const engine = new InsightEngine(store.db);
    const cols = await engine.answers(s.ws.id);
    const ids = Object.fromEntries(await Promise.all(['alice', 'bob', 'carol', 'dan', 'erin', 'frank'].map(async (u) => [u, await profileId(s, u)])));
    const byInactivity: ChurnDefinition = { inactiveDays: 90, event: null };
    const h = await loadChurnHistory(store.db, s.ws.id, byInactivity, cols, NOW);
    const profile = (u: string) => h.profiles.find((p) => p.id === ids[u])!;

    const alice = snapshotAt(h, profile('alice'), T)!;
    const v = (f: keyof typeof FEATURE_INDEX) => alice.values[FEATURE_INDEX[f]];
    assert.equal(profile('alice').firstSeenAt, T - 250 * DAY);
    assert.deepEqual(
      [v('latestScore'), v('noAnswer'), v('scoreChange'), v('daysSinceOrder'), v('ordersPastYear'), v('tenureDays'), v('daysSinceAnswer'), alice.channel],
      [3, 0, -6, 10, 3, 250, 5, 'sms'],
    );
    assert.ok(Math.abs(v('revenuePastYear') - Math.log1p(170)) < 1e-12);
    assert.equal(churnedFrom(h, ids.alice, T), true, 'no order in the 90 days after the cutoff');

    const bob = snapshotAt(h, profile('bob'), T)!;
    assert.equal(bob.values[FEATURE_INDEX.noAnswer], 1);
    assert.ok(Number.isNaN(bob.values[FEATURE_INDEX.latestScore]) && Number.isNaN(bob.values[FEATURE_INDEX.scoreChange]) && bob.channel === null);
    assert.equal(bob.values[FEATURE_INDEX.daysSinceOrder], 80);
    assert.equal(bob.values[FEATURE_INDEX.ordersPastYear], 1, 'the order 400 days back is outside the year');
    assert.ok(Math.abs(bob.values[FEATURE_INDEX.revenuePastYear] - Math.log1p(30)) < 1e-12);
    assert.equal(bob.values[FEATURE_INDEX.tenureDays], 500);
    assert.equal(churnedFrom(h, ids.bob, T), false);

    assert.equal(snapshotAt(h, profile('carol'), T), null, 'already silent for 100 days');
    assert.equal(snapshotAt(h, profile('dan'), T), null, 'never ordered');
    assert.equal(churnedFrom(h, ids.erin, T), false, 'ordered in the window; the cancellation does not count by inactivity');
    assert.equal(activeAt(h, ids.frank, T), true);

    // With an explicit churn event, the same people read differently.
    const byEvent: ChurnDefinition = { inactiveDays: 90, event: 'Subscription Cancelled' };
    const he = await loadChurnHistory(store.db, s.ws.id, byEvent, cols, NOW);
    assert.equal(churnedFrom(he, ids.erin, T), true, 'cancelled inside the window');
    assert.equal(activeAt(he, ids.frank, T), false, 'cancelled before the cutoff: already gone');
    assert.equal(churnedFrom(he, ids.bob, T), false);
    assert.deepEqual(new Set((await Promise.all(he.profiles.map((p) => snapshotAt(he, p, T)))).filter(Boolean).map((x) => x!.profileId)), new Set([ids.alice, ids.bob, ids.erin]));
  } finally {
    await s.close();
  }
});

/**
 * Eighty customers relative to the real clock (the API trains as of now): everyone ordered in the
 * month before the cutoff and answered once; who orders again after it follows the score, with a
 * few exceptions so that the outcome is not a pure function of it.
 */
async function customersWhoseScoreMatters(s: TestServer, now: number) {
  const cutoff = now - 90 * DAY;
  const messages: Array<Record<string, unknown>> = [];
  const stays: boolean[] = [];
  for (let i = 0; i < 80; i++) {
    const u = `c${i}`;
    const score = i % 11;
    const stay = (score >= 5) !== (i % 9 === 0);
    stays.push(stay);
    messages.push(identify(u, cutoff - 300 * DAY, { email: `c${i}@example.com`, name: i === 0 ? '=HYPERLINK("http://evil.example","x")' : `Customer ${i}` }));
    messages.push(order(u, cutoff - 30 * DAY - (i % 7) * DAY, 20 + i));
    messages.push(answer(u, cutoff - 15 * DAY, score, i % 2 ? 'email' : 'web'));
    if (stay) messages.push(order(u, cutoff + 20 * DAY, 30));
  }
  messages.push(answer('visitor', now - 2 * DAY, 4, 'web'));
  await batch(s, messages);
  return stays;
}

forEachBackend('churn model: the API trains, reports accuracy, lists people at risk with reasons, retrains on the clock, and keeps workspaces apart', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    // Nothing to learn from yet.
    const empty = await s.call('POST', '/api/v1/churn/model', key);
    assert.equal(empty.status, 409, empty.text);
    assert.match(empty.json.message, /Not enough history.*0 customers were active/);
    // No model yet is a state, said with 200 and a reason, so a dashboard shows it without an error.
    const none = await s.call('GET', '/api/v1/churn/model', key);
    assert.deepEqual([none.status, none.json.model, none.json.history], [200, null, []]);
    assert.match(none.json.reason, /POST \/api\/v1\/churn\/model/);
    const noneAtRisk = await s.call('GET', '/api/v1/churn/at-risk', key);
    assert.deepEqual([noneAtRisk.status, noneAtRisk.json.model, noneAtRisk.json.items], [200, null, []]);
    assert.match(noneAtRisk.json.reason, /POST \/api\/v1\/churn\/model/);

    const stays = await customersWhoseScoreMatters(s, Date.now());
    const churned = stays.filter((x) => !x).length;
    const before = await s.call('GET', `/api/v1/profiles/${await profileId(s, 'c0')}/churn-risk`, key);
    assert.deepEqual([before.status, before.json.model, before.json.status], [200, null, 'not-scored']);
    const trained = await s.call('POST', '/api/v1/churn/model', key);
    assert.equal(trained.status, 201, trained.text);
    const m = trained.json.model;
    assert.equal(m.customers, 80);
    assert.equal(m.churned, churned);
    assert.equal(m.folds.length, 4);
    assert.equal(m.folds.reduce((n: number, f: { n: number }) => n + f.n, 0), 80);
    assert.equal(m.folds.reduce((n: number, f: { churned: number }) => n + f.churned, 0), churned);
    // Folds follow the userId, so they are known in advance.
    for (let f = 0; f < 4; f++) assert.equal(m.folds[f].n, Array.from({ length: 80 }, (_, i) => `c${i}`).filter((u) => foldOf(u) === f).length);
    assert.ok(Math.abs(m.baseRate - churned / 80) < 1e-12);
    assert.equal(m.scored, stays.filter(Boolean).length, 'those who ordered again are the customers active now');
    assert.deepEqual(m.definition, { inactiveDays: 90, event: null });
    assert.equal(m.definitionChanged, false);
    assert.ok(m.auc > 0.8, `auc ${m.auc}`);
    const score = m.coefficients.find((c: { feature: string }) => c.feature === 'latestScore');
    assert.ok(score.coefficient < 0 && score.oddsRatio < 1, 'a lower score, a higher risk');
    assert.equal(score.name, 'Latest NPS score');
    assert.ok(m.coefficients.some((c: { feature: string }) => c.feature === 'channel:web'));
    assert.ok(Math.abs(m.coefficients[0].coefficient) >= Math.abs(m.coefficients.at(-1).coefficient), 'largest effect first');

    const got = await s.call('GET', '/api/v1/churn/model', key);
    assert.equal(got.status, 200);
    assert.equal(got.json.model.id, m.id);
    assert.equal(got.json.history.length, 1);

    // The at-risk list: riskiest first, reasons in words, pages that neither skip nor repeat.
    const all = await s.call('GET', '/api/v1/churn/at-risk?limit=500', key);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.items.length, m.scored);
    assert.equal(all.json.nextCursor, null);
    assert.equal(all.json.model.id, m.id);
    const risks = all.json.items.map((i: { risk: number }) => i.risk);
    assert.deepEqual(risks, [...risks].sort((a, b) => b - a));
    const top = all.json.items[0];
    assert.match(top.email, /^c\d+@example\.com$/);
    assert.ok(top.factors.length >= 1 && top.factors.length <= 3);
    assert.match(top.factors.map((f: { text: string }) => f.text).join('; '), /Gave an? [0-6] out of 10/);
    for (const i of all.json.items) for (const f of i.factors) assert.ok(f.contribution > 0);
    const seen: string[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page: { json: { items: Array<{ profileId: string }>; nextCursor: string | null } } = await s.call('GET', `/api/v1/churn/at-risk?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key);
      seen.push(...page.json.items.map((i) => i.profileId));
      cursor = page.json.nextCursor;
    }
    assert.deepEqual(seen, all.json.items.map((i: { profileId: string }) => i.profileId));
    const median = risks[Math.floor(risks.length / 2)];
    const high = await s.call('GET', `/api/v1/churn/at-risk?minRisk=${median}&limit=500`, key);
    assert.equal(high.json.items.length, risks.filter((r: number) => r >= median).length);

    // CSV, with a formula in a name made harmless.
    const csv = await s.call('GET', '/api/v1/churn/at-risk?format=csv&limit=500', key);
    assert.match(csv.headers.get('content-type')!, /text\/csv/);
    const table = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(table[0]), ['profile_id', 'email', 'name', 'risk', 'reason_1', 'reason_2', 'reason_3', 'scored_at']);
    assert.equal(table.length, m.scored);
    assert.equal(table[0].reason_1, top.factors[0].text);
    const evil = await profileId(s, 'c0');
    const evilRow = table.find((r) => r.profile_id === evil);
    assert.equal(evilRow?.name, '\'=HYPERLINK("http://evil.example","x")');
    const viaAccept = await s.call('GET', '/api/v1/churn/at-risk?limit=500', key, undefined, { accept: 'text/csv' });
    assert.equal(viaAccept.text, csv.text);

    // One person's risk; and why someone has none.
    const scored = await s.call('GET', `/api/v1/profiles/${top.profileId}/churn-risk`, key);
    assert.equal(scored.status, 200, scored.text);
    assert.deepEqual([scored.json.status, scored.json.risk, scored.json.factors], ['scored', top.risk, top.factors]);
    const visitor = await s.call('GET', `/api/v1/profiles/${await profileId(s, 'visitor')}/churn-risk`, key);
    assert.deepEqual([visitor.json.status, visitor.json.risk], ['not-scored', null]);
    assert.match(visitor.json.reason, /no order yet/);
    const gone = await s.call('GET', `/api/v1/profiles/${await profileId(s, `c${stays.indexOf(false)}`)}/churn-risk`, key);
    assert.match(gone.json.reason, /already churned.*no order for \d+ days/);

    // Bad input names the field.
    for (const [path, field] of [
      ['/api/v1/churn/at-risk?limit=0', 'querystring.limit'],
      ['/api/v1/churn/at-risk?minRisk=2', 'querystring.minRisk'],
      ['/api/v1/churn/at-risk?cursor=nonsense', 'cursor'],
      ['/api/v1/churn/at-risk?sort=risk', 'querystring.sort'],
      ['/api/v1/churn/at-risk?format=xml', 'querystring.format'],
    ] as const) {
      const r = await s.call('GET', path, key);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.json.field, field, path);
      assert.ok(r.json.message.startsWith(field), r.json.message);
    }
    const badBody = await s.call('POST', '/api/v1/churn/model', key, { retrain: true });
    assert.equal(badBody.status, 400);
    assert.equal(badBody.json.field, 'body.retrain');
    assert.equal((await s.call('GET', '/api/v1/churn/model', s.ws.writeKey)).status, 403, 'a public key cannot read it');
    assert.equal((await s.call('GET', '/api/v1/churn/model', null)).status, 401);

    // The other workspace sees none of it, not even by profile id.
    assert.equal((await s.call('GET', '/api/v1/churn/model', s.other.secretKey)).json.model, null);
    assert.deepEqual((await s.call('GET', '/api/v1/churn/at-risk', s.other.secretKey)).json.items, []);
    assert.equal((await s.call('GET', `/api/v1/profiles/${top.profileId}/churn-risk`, s.other.secretKey)).status, 404);
    assert.equal((await s.call('POST', '/api/v1/churn/model', s.other.secretKey)).status, 409);

    // The clock: nothing due an hour later.
    const jobs = () => store.db.selectFrom('jobs').select(['workspace_id', 'status']).where('kind', '=', 'churn-train').execute();
    const start = Date.now();
    await s.tick(start + HOUR);
    assert.equal((await jobs()).length, 0);

    // A changed churn definition makes the model due at the next hourly look, and the model says it
    // is out of date. Under 60 days nobody here ordered in the window after the cutoff, so that
    // retraining finds nothing to learn and the current model stays: a job done, not failed.
    assert.equal((await s.call('PUT', '/api/v1/settings/churn', key, { inactiveDays: 60, event: null })).status, 200);
    assert.equal((await s.call('GET', '/api/v1/churn/model', key)).json.model.definitionChanged, true);
    await s.tick(start + 2 * HOUR + 1000);
    await until('the retraining under 60 days', async () => { const j = await jobs(); return j.length === 1 && j[0].status === 'done'; }, 20_000);
    assert.equal((await s.call('GET', '/api/v1/churn/model', key)).json.model.id, m.id);
    const sixty = await s.call('POST', '/api/v1/churn/model', key);
    assert.equal(sixty.status, 409);
    assert.match(sixty.json.message, /0 stayed in the 60 days after/);

    // Back to 90 days, and a day later: one retraining, however often the clock ticks.
    assert.equal((await s.call('PUT', '/api/v1/settings/churn', key, { inactiveDays: 90, event: null })).status, 200);
    await s.tick(start + 25 * HOUR);
    await s.tick(start + 25 * HOUR + 1000);
    await until('the daily retraining', async () => { const j = await jobs(); return j.length === 2 && j.every((x) => x.status === 'done'); }, 20_000);
    assert.ok((await jobs()).every((j) => j.workspace_id === s.ws.id), 'none for the workspace without orders');
    const retrained = await s.call('GET', '/api/v1/churn/model', key);
    assert.notEqual(retrained.json.model.id, m.id);
    assert.equal(retrained.json.model.definitionChanged, false);
    assert.equal(retrained.json.history.length, 2);
    const list = await s.call('GET', '/api/v1/churn/at-risk?limit=500', key);
    assert.equal(list.json.model.id, retrained.json.model.id);
    assert.equal(list.json.items.length, m.scored, 'the old model\'s scores are replaced, not added to');
    assert.equal((await store.db.selectFrom('churn_scores').select('model_id').where('workspace_id', '=', s.ws.id).where('model_id', '=', m.id).execute()).length, 0);

    // Erasing a person removes their score.
    const erased = await deleteProfile(store.db, s.ws.id, top.profileId);
    assert.ok(erased);
    assert.equal((await store.db.selectFrom('churn_scores').select('profile_id').where('profile_id', '=', top.profileId).execute()).length, 0);
  } finally {
    await s.close();
  }
});
