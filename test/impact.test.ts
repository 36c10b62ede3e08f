import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { differenceVerdict } from '../src/analytics/verdict.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
process.env.ADVOCATE_CLOCK_MS = '3600000';

// ------------------------------------------------------------------ by hand, from STATS.md

/** +1 promoter, 0 passive, −1 detractor. */
const value = (score: number) => (score >= 9 ? 1 : score >= 7 ? 0 : -1);

function handNps(scores: number[]) {
  const p = scores.filter((s) => s >= 9).length / scores.length;
  const d = scores.filter((s) => s <= 6).length / scores.length;
  return { n: scores.length, nps: 100 * (p - d), variance: p + d - (p - d) ** 2 };
}

/** Same people twice: the mean of each person's change, with the Wald se of paired values. */
function handPaired(pairs: Array<[number, number]>) {
  const deltas = pairs.map(([b, a]) => value(a) - value(b));
  const mean = deltas.reduce((s, x) => s + x, 0) / deltas.length;
  const variance = deltas.reduce((s, x) => s + (x - mean) ** 2, 0) / deltas.length;
  return { diff: 100 * mean, se: Math.sqrt(variance / deltas.length) };
}

function handIndependent(a: number[], b: number[]) {
  const x = handNps(a);
  const y = handNps(b);
  return { diff: x.nps - y.nps, se: Math.sqrt(x.variance / x.n + y.variance / y.n) };
}

function handWilson(k: number, n: number) {
  const z = 1.959964;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

const close = (actual: number | null, expected: number, what: string, tolerance = 1e-9) =>
  assert.ok(actual != null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} but by hand ${expected}`);

// ------------------------------------------------------------------ sending data

const iso = (t: number) => new Date(t).toISOString();
const track = (userId: string, event: string, t: number, properties: Record<string, unknown> = {}) => ({ type: 'track', userId, event, timestamp: iso(t), properties });
const answerMsg = (userId: string, score: number, t: number) => track(userId, 'NPS Survey Responded', t, { score, channel: 'email' });
const order = (userId: string, t: number, revenue: number) => track(userId, 'Order Completed', t, { order_id: `${userId}-${t}`, revenue });

async function send(s: TestServer, key: string, batch: unknown[]) {
  for (let i = 0; i < batch.length; i += 200) {
    const r = await s.call('POST', '/v1/batch', key, { batch: batch.slice(i, i + 200) });
    assert.equal(r.status, 200, r.text);
  }
  await s.settle();
}

async function get(s: TestServer, path: string, key = s.ws.secretKey) {
  const r = await s.call('GET', path, key);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}

async function refused(s: TestServer, path: string, field: string) {
  const r = await s.call('GET', path, s.ws.secretKey);
  assert.equal(r.status, 400, `${path}: ${r.text}`);
  assert.equal(r.json.field, field, `${path}: ${r.text}`);
  assert.ok(r.json.message.includes(field.replace(/^querystring\./, '')), r.json.message);
}

// ------------------------------------------------------------------ verdicts in words

describe('impact: verdicts say how sure the figure is', () => {
  const d = (diff: number, low: number, high: number, p: number) => ({ diff, se: 0, z: 0, p, low, high, significant: p < 0.05 });
  it('names size, significance and p-value, and refuses to judge tiny samples', () => {
    assert.deepEqual(differenceVerdict(d(8.14, 3, 13.3, 0.0031), 200), { finding: 'higher', text: '+8.1 points, significant (p = 0.003)' });
    assert.deepEqual(differenceVerdict(d(-12, -20, -4, 0.0002), 200), { finding: 'lower', text: '\u221212.0 points, significant (p < 0.001)' });
    assert.equal(differenceVerdict(d(-1.2, -6, 3.6, 0.62), 900).text, '\u22121.2 points, not significant (p = 0.62): no measurable effect (95% interval \u22126.0 to +3.6)');
    assert.equal(differenceVerdict(d(6, -15, 27, 0.4), 60).finding, 'inconclusive', 'a wide interval is no evidence of no effect');
    assert.deepEqual(differenceVerdict(d(40, 10, 70, 0.01), 12), { finding: 'too-few', text: 'too few answers to say (n = 12; at least 30 needed)' });
  });
});

// ------------------------------------------------------------------ campaign impact, by hand

/** Before and after scores of the exposed and of comparable unexposed people, 32 of each. */
const EXPOSED = Array.from({ length: 4 }, () => [[6, 9], [7, 10], [9, 9], [3, 8], [8, 6], [10, 10], [5, 9], [8, 9]] as Array<[number, number]>).flat();
const UNEXPOSED = Array.from({ length: 4 }, () => [[8, 8], [9, 10], [6, 9], [10, 9], [7, 7], [4, 5], [9, 6], [8, 7]] as Array<[number, number]>).flat();

forEachBackend('impact: campaign before/after and exposed vs not match a hand computation; other workspaces see nothing', async (store) => {
  const s = await startServer(store);
  try {
    const now = Date.now();
    const launch = now - 200 * DAY;
    const batch: unknown[] = [];
    EXPOSED.forEach(([b, a], i) => {
      const id = `e${i}`;
      batch.push(answerMsg(id, b, launch - 30 * DAY + i * HOUR));
      batch.push(track(id, 'Campaign Email Opened', launch + i * HOUR, { campaign: 'Spring Sale', campaign_id: 'cmp_1' }));
      if (i < 4) batch.push(track(id, 'Campaign Clicked', launch + i * HOUR + 60_000, { campaign: 'Spring Sale' }));
      batch.push(answerMsg(id, a, launch + 30 * DAY + i * HOUR));
    });
    // Not the pair's answers: an older one before (the latest before counts), a later one after
    // (the first after counts, but it is an exposed answer in the period), one outside the window.
    batch.push(answerMsg('e0', 0, launch - 100 * DAY), answerMsg('e0', 0, launch + 60 * DAY), answerMsg('e1', 0, launch - 190 * DAY));
    UNEXPOSED.forEach(([b, a], j) => {
      batch.push(answerMsg(`u${j}`, b, launch - 30 * DAY + j * HOUR));
      batch.push(answerMsg(`u${j}`, a, launch + 30 * DAY + j * HOUR));
    });
    // Another campaign (named the Segment Email way) is not this one.
    batch.push(track('u0', 'Email Opened', launch + 10 * DAY, { campaign_name: 'Newsletter 12' }));
    // Newcomers, first seen after the launch: unhappy, and only in the naive comparison.
    for (let k = 0; k < 4; k++) {
      batch.push({ type: 'identify', userId: `n${k}`, timestamp: iso(launch + 10 * DAY), traits: { plan: 'basic' } });
      batch.push(answerMsg(`n${k}`, 2, launch + 20 * DAY));
    }
    await send(s, s.ws.writeKey, batch);
    // One more exposed answer through the answers API, the way a survey tool sends them.
    const viaApi = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'e2' }, score: 10, channel: 'web', timestamp: iso(launch + 90 * DAY) });
    assert.equal(viaApi.status, 201, viaApi.text);
    // The other workspace runs the same campaign on someone of its own.
    await send(s, s.other.writeKey, [track('e0', 'Campaign Email Opened', launch, { campaign: 'Spring Sale' }), answerMsg('e0', 0, launch + DAY)]);

    const r = await get(s, '/api/v1/impact/campaign?campaign=Spring%20Sale');
    assert.deepEqual(r.events, ['Campaign Email Opened', 'Campaign Clicked', 'Email Opened', 'Email Link Clicked']);
    assert.deepEqual([r.exposure.people, r.exposure.answering, r.exposure.firstAt, r.exposure.lastAt], [32, 32, iso(launch), iso(launch + 31 * HOUR)]);
    // 32 exposure times: the median is the 16th.
    assert.equal(r.exposure.medianAt, iso(launch + 15 * HOUR));

    // Before/after: the same 32 people, paired.
    const paired = handPaired(EXPOSED);
    assert.equal(r.beforeAfter.pairs, 32);
    close(r.beforeAfter.change.diff, paired.diff, 'paired change');
    close(r.beforeAfter.change.se, paired.se, 'paired se');
    close(r.beforeAfter.before.nps, handNps(EXPOSED.map((p) => p[0])).nps, 'before NPS');
    close(r.beforeAfter.after.nps, handNps(EXPOSED.map((p) => p[1])).nps, 'after NPS');
    assert.equal(r.beforeAfter.verdict.finding, 'higher');
    assert.match(r.beforeAfter.verdict.text, /^\+75\.0 points, significant \(p < 0\.001\)$/);

    // The unexposed over the same windows around the median exposure, and the net change.
    const control = handPaired(UNEXPOSED);
    assert.equal(r.unexposedBeforeAfter.pairs, 32);
    close(r.unexposedBeforeAfter.change.diff, control.diff, 'unexposed change');
    close(r.netChange.difference.diff, paired.diff - control.diff, 'net change', 1e-9);
    close(r.netChange.difference.se, Math.sqrt(paired.se ** 2 + control.se ** 2), 'net change se');
    assert.equal(r.netChange.verdict.finding, 'higher');

    // Exposed vs not in the period (launch to last exposure + 180 days): the after answers.
    const exposedScores = [...EXPOSED.map((p) => p[1]), 0, 10];
    const unexposedScores = UNEXPOSED.map((p) => p[1]);
    const side = handIndependent(exposedScores, unexposedScores);
    assert.deepEqual([r.exposedVsNot.exposed.n, r.exposedVsNot.unexposed.n], [34, 32]);
    close(r.exposedVsNot.exposed.nps, handNps(exposedScores).nps, 'exposed NPS');
    close(r.exposedVsNot.difference.diff, side.diff, 'exposed vs not');
    close(r.exposedVsNot.difference.se, side.se, 'exposed vs not se');
    close(r.exposedVsNot.difference.z, side.diff / 100 / side.se, 'z');
    assert.equal(r.exposedVsNot.difference.significant, Math.abs(side.diff / 100 / side.se) > 1.959964);
    assert.deepEqual([r.exposedVsNot.from, r.exposedVsNot.to], [iso(launch), iso(launch + 31 * HOUR + 180 * DAY)]);
    assert.match(r.summary, /^Likely a real effect \(NPS up\)/);
    assert.match(r.caveat, /observational/);

    // The naive baseline lets the newcomers in: the unexposed side reads lower.
    const naive = await get(s, '/api/v1/impact/campaign?campaign=Spring%20Sale&baseline=all');
    const naiveSide = handIndependent(exposedScores, [...unexposedScores, 2, 2, 2, 2]);
    assert.equal(naive.exposedVsNot.unexposed.n, 36);
    close(naive.exposedVsNot.difference.diff, naiveSide.diff, 'naive exposed vs not');
    assert.ok(naive.exposedVsNot.difference.diff > r.exposedVsNot.difference.diff);

    // A shorter window loses the pairs (answers lie 30 days from exposure) and says so.
    const short = await get(s, '/api/v1/impact/campaign?campaign=Spring%20Sale&windowDays=20');
    assert.equal(short.beforeAfter.pairs, 0);
    assert.equal(short.beforeAfter.verdict.finding, 'too-few');
    // Any event is an interaction: four clicks are too few to judge.
    const clicks = await get(s, '/api/v1/impact/campaign?event=Campaign%20Clicked');
    assert.deepEqual([clicks.campaign, clicks.exposure.people, clicks.beforeAfter.pairs, clicks.beforeAfter.verdict.finding], [null, 4, 4, 'too-few']);
    close(clicks.beforeAfter.change.diff, handPaired(EXPOSED.slice(0, 4)).diff, 'clickers\' change');
    // An event nobody sent is an answer, not an error.
    const nobody = await get(s, '/api/v1/impact/campaign?event=Webinar%20Attended&campaign=Spring%20Sale');
    assert.equal(nobody.exposure.people, 0);
    assert.equal(nobody.beforeAfter.verdict.finding, 'nobody-exposed');
    assert.equal(nobody.exposedVsNot.verdict.text, 'nobody was exposed: no "Webinar Attended" events naming campaign "Spring Sale" found');

    // CSV: one row per comparison.
    const csv = await s.call('GET', '/api/v1/impact/campaign?campaign=Spring%20Sale&format=csv', s.ws.secretKey);
    assert.match(csv.headers.get('content-type')!, /text\/csv/);
    const rows = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((x) => x.comparison), ['before_after', 'unexposed_before_after', 'net_change', 'exposed_vs_not']);
    assert.equal(rows[0].diff, '75');

    // Campaigns seen, by people, with either naming of the campaign property.
    const list = await get(s, '/api/v1/impact/campaigns');
    assert.deepEqual(list.items.map((c: { campaign: string; people: number; events: number }) => [c.campaign, c.people, c.events]), [['Spring Sale', 32, 36], ['Newsletter 12', 1, 1]]);
    assert.equal(list.items[0].firstAt, iso(launch));

    // Bad input names the field.
    await refused(s, '/api/v1/impact/campaign', 'campaign');
    await refused(s, '/api/v1/impact/campaign?campaign=x&colour=red', 'querystring.colour');
    await refused(s, '/api/v1/impact/campaign?campaign=x&windowDays=0', 'querystring.windowDays');
    await refused(s, '/api/v1/impact/campaign?campaign=x&baseline=everyone', 'querystring.baseline');
    await refused(s, '/api/v1/impact/campaign?campaign=x&from=yesterday', 'from');
    await refused(s, `/api/v1/impact/campaign?campaign=x&from=${iso(now)}&to=${iso(now - DAY)}`, 'to');
    assert.equal((await s.call('GET', '/api/v1/impact/campaign?campaign=x', s.ws.writeKey)).status, 403, 'a public write key reads nothing');
    assert.equal((await s.call('GET', '/api/v1/impact/campaigns', null)).status, 401);

    // The other workspace sees only its own one exposure.
    const theirs = await get(s, '/api/v1/impact/campaign?campaign=Spring%20Sale', s.other.secretKey);
    assert.deepEqual([theirs.exposure.people, theirs.beforeAfter.pairs, theirs.exposedVsNot.exposed.n, theirs.exposedVsNot.unexposed.n], [1, 0, 1, 0]);
    const theirList = await get(s, '/api/v1/impact/campaigns', s.other.secretKey);
    assert.deepEqual(theirList.items.map((c: { campaign: string; people: number }) => [c.campaign, c.people]), [['Spring Sale', 1]]);
  } finally {
    await s.close();
  }
});

// ------------------------------------------------------------------ behaviour after the answer, by hand

forEachBackend('impact: behaviour by category after the answer, churn by inactivity and by event, revenue-weighted NPS', async (store) => {
  const s = await startServer(store);
  try {
    const now = Date.now();
    const A = now - 200 * DAY; // when everyone answered
    await send(s, s.ws.writeKey, [
      // Promoters: p1 keeps buying; p2 bought before and stopped; p3 never bought.
      order('p1', A - 100 * DAY, 100), answerMsg('p1', 10, A), order('p1', A + 10 * DAY, 50), order('p1', A + 40 * DAY, 30),
      answerMsg('p1', 2, now - 30 * DAY), // too recent to have a 90-day window: p1's answer at A counts
      order('p2', A - 30 * DAY, 200), answerMsg('p2', 9, A),
      answerMsg('p3', 9, A),
      // A passive whose next order comes after 100 days.
      order('q1', A - 10 * DAY, 40), answerMsg('q1', 8, A), order('q1', A + 100 * DAY, 70),
      // Detractors: d1 still buys (an older promoter answer is replaced by the latest); d2 left;
      // d3 bought once after answering, then cancelled.
      answerMsg('d1', 10, A - 100 * DAY), order('d1', A - 50 * DAY, 60), answerMsg('d1', 3, A), order('d1', A + 20 * DAY, 25),
      order('d2', A - 150 * DAY, 300), answerMsg('d2', 6, A),
      answerMsg('d3', 0, A), order('d3', A + 5 * DAY, 10), track('d3', 'Subscription Cancelled', A + 30 * DAY),
    ]);
    const asOf = `&asOf=${iso(now)}`;
    const b = await get(s, `/api/v1/metrics/behaviour?days=90${asOf}`);
    assert.deepEqual(b.churn, { inactiveDays: 90, event: null });
    const [promoters, passives, detractors] = b.categories;
    assert.deepEqual(b.categories.map((c: { category: string; customers: number }) => [c.category, c.customers]), [['promoter', 3], ['passive', 1], ['detractor', 3]]);
    assert.equal(b.customers, 7);
    assert.deepEqual([promoters.orders, promoters.revenue, promoters.buying.count, promoters.repeat.count, promoters.repeat.n, promoters.churned.count], [2, 80, 1, 1, 2, 2]);
    close(promoters.revenuePerCustomer, 80 / 3, 'promoter revenue per customer');
    close(promoters.ordersPerCustomer, 2 / 3, 'promoter orders per customer');
    assert.deepEqual([passives.orders, passives.buying.count, passives.repeat.n, passives.churned.count], [0, 0, 1, 1]);
    assert.deepEqual([detractors.orders, detractors.revenue, detractors.buying.count, detractors.repeat.count, detractors.repeat.n, detractors.churned.count], [2, 35, 2, 1, 2, 1]);
    const wilson = handWilson(2, 3);
    close(promoters.churned.share, 2 / 3, 'promoter churn');
    close(promoters.churned.low, wilson.low, 'Wilson low');
    close(promoters.churned.high, wilson.high, 'Wilson high');
    assert.deepEqual([b.detractorsStillBuying.count, b.detractorsStillBuying.n], [2, 3]);
    // Weights: a year's revenue before answering. p1 100, p2 200, q1 40 (passive), d1 60, d2 300.
    close(b.revenueWeighted.nps, (100 * (100 + 200 - 60 - 300)) / 700, 'revenue-weighted NPS');
    assert.deepEqual([b.revenueWeighted.revenue, b.revenueWeighted.customersWithRevenue, b.revenueWeighted.unweightedNps], [700, 5, 0]);
    assert.ok(b.revenueWeighted.low < b.revenueWeighted.nps && b.revenueWeighted.nps < b.revenueWeighted.high);
    close(b.detractorsVsPromoters.churnRate.diff, 100 * (1 / 3 - 2 / 3), 'churn difference in points');
    assert.match(b.findings[0], /^Too few customers/);

    // The workspace's definition adds an explicit churn event: d3 cancelled, so churned.
    assert.equal((await s.call('PUT', '/api/v1/settings/churn', s.ws.secretKey, { inactiveDays: 90, event: 'Subscription Cancelled' })).status, 200);
    const withEvent = await get(s, `/api/v1/metrics/behaviour?${asOf}`);
    assert.deepEqual(withEvent.churn, { inactiveDays: 90, event: 'Subscription Cancelled' });
    assert.deepEqual(withEvent.categories.map((c: { churned: { count: number } }) => c.churned.count), [2, 1, 2]);
    // An empty churnEvent asks for inactivity alone, overriding the setting.
    const inactivity = await get(s, `/api/v1/metrics/behaviour?churnEvent=${asOf}`);
    assert.deepEqual(inactivity.categories.map((c: { churned: { count: number } }) => c.churned.count), [2, 1, 1]);
    // 30 days of silence: p1, d1 and d3 ordered within 30 days of answering; the other four did not.
    const month = await get(s, `/api/v1/metrics/behaviour?churnDays=30&churnEvent=${asOf}`);
    assert.deepEqual(month.categories.map((c: { churned: { count: number } }) => c.churned.count), [2, 1, 1]);
    assert.deepEqual(month.churn, { inactiveDays: 30, event: null });
    // 180 days: q1's order 100 days after answering now counts; every window still fits (answers are 200 days old).
    const half = await get(s, `/api/v1/metrics/behaviour?churnDays=180&churnEvent=${asOf}`);
    assert.deepEqual(half.categories.map((c: { churned: { count: number } }) => c.churned.count), [2, 0, 1]);
    // Windows longer than the answers are old leave everyone out.
    const tooLong = await get(s, `/api/v1/metrics/behaviour?churnDays=365${asOf}`);
    assert.equal(tooLong.customers, 0);

    const csv = await s.call('GET', `/api/v1/metrics/behaviour?format=csv${asOf}`, s.ws.secretKey);
    const rows = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((r) => [r.category, r.customers, r.churn_pct]), [['promoter', '3', '66.7'], ['passive', '1', '100'], ['detractor', '3', '66.7']]);

    await refused(s, '/api/v1/metrics/behaviour?churnDays=0', 'querystring.churnDays');
    await refused(s, '/api/v1/metrics/behaviour?churnDays=9999', 'querystring.churnDays');
    await refused(s, '/api/v1/metrics/behaviour?churnEvent=%20%20', 'churnEvent');
    await refused(s, '/api/v1/metrics/behaviour?days=soon', 'querystring.days');
    await refused(s, '/api/v1/metrics/behaviour?asOf=later', 'asOf');
    await refused(s, '/api/v1/metrics/behaviour?segment=vip', 'querystring.segment');

    const theirs = await get(s, `/api/v1/metrics/behaviour?${asOf}`, s.other.secretKey);
    assert.equal(theirs.customers, 0);
    assert.deepEqual(theirs.churn, { inactiveDays: 90, event: null }, 'settings are per workspace too');
  } finally {
    await s.close();
  }
});
