import assert from 'node:assert/strict';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { importCsv } from '../src/ingest/csv-import.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const BT_FILE = resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'bt_nps_verbatims_textsummary.csv');
const DAY = 86_400_000;
// The clock is ticked by hand.
process.env.ADVOCATE_CLOCK_MS = '3600000';

/** NPS by hand: share of 9–10 minus share of 0–6, in points. */
function handNps(scores: number[]) {
  const p = scores.filter((s) => s >= 9).length;
  const d = scores.filter((s) => s <= 6).length;
  return { n: scores.length, nps: (100 * (p - d)) / scores.length };
}

async function answer(s: TestServer, body: Record<string, unknown>) {
  const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

if (!existsSync(BT_FILE)) {
  it('insight: the BT data set by stage', (t) => t.skip(`../shared/data absent: ${BT_FILE} not found`));
} else {
  forEachBackend('insight: the BT data set broken down by stage matches a hand computation, as JSON and CSV', async (store) => {
    const s = await startServer(store);
    try {
      await importCsv(store, s.ws.id, 'answers', createReadStream(BT_FILE), {
        map: { NPS_SCORE: 'score', text: 'comment', CUSTOMER_RESPONSE_DATE: 'timestamp', SURVEY_SUB_TYPE: 'stage' }, dateFormat: 'dmy', quiet: true, writer: s.services.writer,
      });
      // The hand computation, from the file itself.
      const rows = parse(readFileSync(BT_FILE), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
      const byStage = new Map<string, number[]>();
      for (const r of rows) {
        if (r.NPS_SCORE === '') continue;
        byStage.set(r.SURVEY_SUB_TYPE, [...(byStage.get(r.SURVEY_SUB_TYPE) ?? []), Number(r.NPS_SCORE)]);
      }

      const res = await s.call('GET', '/api/v1/metrics/breakdown?by=stage', s.ws.secretKey);
      assert.equal(res.status, 200, res.text);
      const got = new Map(res.json.rows.map((r: { value: string; n: number; nps: number }) => [r.value, r]));
      for (const [stage, n, nps] of [['Order', 962, '-10.0'], ['First Payment', 1130, '-29.3'], ['Equipment Received', 231, '-56.7'], ['Service in Use', 30, '-76.7']] as const) {
        const row = got.get(stage) as { n: number; nps: number; adjusted: { low: number; high: number }; lowSample: boolean };
        const hand = handNps(byStage.get(stage)!);
        assert.equal(row.n, n, stage);
        assert.equal(hand.n, n, `${stage} by hand`);
        assert.equal(row.nps.toFixed(1), nps, stage);
        assert.ok(Math.abs(row.nps - hand.nps) < 1e-9, `${stage}: ${row.nps} vs ${hand.nps} by hand`);
        assert.ok(row.adjusted.low < row.nps && row.nps < row.adjusted.high + 1e-9);
      }
      assert.equal(res.json.total.n, 2353);
      assert.ok(Math.abs(res.json.total.nps - -24.692) < 0.01);
      // Order is far above the rest, Service in Use (30 answers) far below but a low sample.
      assert.equal((got.get('Order') as { mark: string }).mark, 'higher');
      assert.equal((got.get('Equipment Received') as { mark: string }).mark, 'lower');
      assert.equal((got.get('Service in Use') as { lowSample: boolean }).lowSample, true);

      const csv = await s.call('GET', '/api/v1/metrics/breakdown?by=stage&format=csv', s.ws.secretKey);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type')!, /text\/csv/);
      const table = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
      const order = table.find((r) => r.stage === 'Order')!;
      assert.deepEqual([order.answers, order.nps, order.significant], ['962', '-10', 'higher']);
      const viaAccept = await s.call('GET', '/api/v1/metrics/breakdown?by=stage', s.ws.secretKey, undefined, { accept: 'text/csv' });
      assert.equal(viaAccept.text, csv.text);

      // Filters combine: the Order stage in April 2018 only.
      const april = await s.call('GET', '/api/v1/metrics/nps?stage=Order&from=2018-04-01&to=2018-05-01', s.ws.secretKey);
      const aprilHand = handNps(rows.filter((r) => r.NPS_SCORE !== '' && r.SURVEY_SUB_TYPE === 'Order' && /^\d\d\/04\/2018/.test(r.CUSTOMER_RESPONSE_DATE)).map((r) => Number(r.NPS_SCORE)));
      assert.equal(april.json.n, aprilHand.n);
      assert.ok(Math.abs(april.json.nps - aprilHand.nps) < 1e-9);
      assert.equal(april.json.distribution.reduce((a: number, b: number) => a + b, 0), aprilHand.n);
      assert.ok(april.json.previous, 'the month before is the comparison period');
    } finally {
      await s.close();
    }
  });
}

forEachBackend('insight: figures follow new answers, changed scores and erasures at once; trends, filters and bad input', async (store) => {
  const s = await startServer(store);
  try {
    const now = Date.now();
    const base = now - 20 * DAY;
    // Three weeks of answers: email promoters, web detractors, one app passive.
    for (let i = 0; i < 30; i++) {
      await answer(s, {
        person: { userId: `p${i}` }, score: i % 3 === 0 ? 3 : i % 3 === 1 ? 10 : 9, channel: i % 3 === 0 ? 'web' : 'email',
        timestamp: new Date(base + i * 12 * 3_600_000).toISOString(), properties: { plan: i % 2 ? 'pro' : 'free' },
      });
    }
    const first = await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey);
    assert.equal(first.json.n, 30);

    assert.ok(Math.abs(first.json.nps - (100 * (20 - 10)) / 30) < 1e-9);

    // A new answer counts in the next read: here through the web widget's token.
    await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Web NPS' });
    const offer = await s.call('POST', '/api/v1/widget/check', s.ws.writeKey, { userId: 'late', url: 'https://shop.example/' });
    assert.equal(offer.json.show, true, offer.text);
    assert.equal((await s.call('POST', `/api/v1/responses/${offer.json.token}`, null, { score: 8 })).status, 201);
    const second = await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey);
    assert.equal(second.json.n, 31);
    assert.equal(second.json.passives, 1);
    // A second click on another score changes the answer: passive becomes promoter.
    assert.equal((await s.call('POST', `/api/v1/responses/${offer.json.token}`, null, { score: 10 })).status, 200);
    const third = await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey);
    assert.deepEqual([third.json.n, third.json.passives, third.json.promoters], [31, 0, 21]);

    // Breakdowns by channel and by an answer property, each row against the rest.
    const channels = await s.call('GET', '/api/v1/metrics/breakdown?by=channel', s.ws.secretKey);
    const web = channels.json.rows.find((r: { value: string }) => r.value === 'web');
    assert.deepEqual([web.n, web.nps, web.mark], [11, 100 * (1 - 10) / 11, 'lower']);
    const plans = await s.call('GET', '/api/v1/metrics/breakdown?by=property.plan&channel=email', s.ws.secretKey);
    assert.equal(plans.status, 200, plans.text);
    assert.deepEqual(plans.json.rows.map((r: { value: string; n: number }) => [r.value, r.n]).sort(), [['free', 10], ['pro', 10]]);
    const filtered = await s.call('GET', '/api/v1/metrics/nps?property.plan=pro&channel=web', s.ws.secretKey);
    assert.equal(filtered.json.n, 5);

    // Weekly trend: points add up to the total; rolling windows are wider than a week.
    const weekly = await s.call('GET', `/api/v1/metrics/trend?interval=week&from=${new Date(base).toISOString()}`, s.ws.secretKey);
    assert.equal(weekly.status, 200, weekly.text);
    assert.equal(weekly.json.points.reduce((a: number, p: { n: number }) => a + p.n, 0), 31);
    for (const p of weekly.json.points) assert.equal(new Date(p.start).getUTCDay(), 1, 'weeks start on Monday');
    const rolling = await s.call('GET', `/api/v1/metrics/trend?interval=day&rolling=30&from=${new Date(now - 2 * DAY).toISOString()}`, s.ws.secretKey);
    assert.equal(rolling.json.points.at(-1).n, 31, 'the last 30-day window holds every answer');
    const csv = await s.call('GET', '/api/v1/metrics/trend?interval=week&format=csv', s.ws.secretKey);
    assert.match(csv.text.split('\n')[0], /^start,end,answers,nps,low,high,low_sample/);

    // Annotations: one made through the API, and a campaign sent as events to two people, marked once at its first.
    const note = await s.call('POST', '/api/v1/annotations', s.ws.secretKey, { at: new Date(base + 3 * DAY).toISOString(), kind: 'release', label: 'App 2.0' });
    assert.equal(note.status, 201, note.text);
    await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: [
      { type: 'track', event: 'Campaign Email Opened', userId: 'p1', timestamp: new Date(base + 5 * DAY).toISOString(), properties: { campaign: 'Spring Sale' } },
      { type: 'track', event: 'Campaign Email Opened', userId: 'p2', timestamp: new Date(base + 5 * DAY + 3_600_000).toISOString(), properties: { campaign: 'Spring Sale' } },
    ] });
    await s.settle();
    await s.tick();
    await s.tick();
    const annotated = await s.call('GET', `/api/v1/metrics/trend?interval=week&from=${new Date(base).toISOString()}`, s.ws.secretKey);
    assert.deepEqual(annotated.json.annotations.map((a: { kind: string; label: string; at: string; source: string }) => [a.kind, a.label, a.at, a.source]), [
      ['release', 'App 2.0', new Date(base + 3 * DAY).toISOString(), 'api'],
      ['campaign', 'Spring Sale', new Date(base + 5 * DAY).toISOString(), 'Campaign Email Opened'],
    ]);
    const badKind = await s.call('POST', '/api/v1/annotations', s.ws.secretKey, { at: new Date().toISOString(), kind: 'party', label: 'x' });
    assert.equal(badKind.status, 400);
    assert.match(badKind.json.message, /kind/);
    const badAt = await s.call('POST', '/api/v1/annotations', s.ws.secretKey, { at: 'yesterday', kind: 'note', label: 'x' });
    assert.equal(badAt.status, 400);
    assert.match(badAt.json.message, /body\.at/);
    assert.equal((await s.call('DELETE', `/api/v1/annotations/${note.json.annotation.id}`, s.other.secretKey)).status, 404);
    assert.equal((await s.call('GET', '/api/v1/annotations', s.other.secretKey)).json.items.length, 0);

    // Against published figures, each with its source, and against the previous 90 days.
    const bench = await s.call('GET', '/api/v1/metrics/benchmarks?industry=Retail', s.ws.secretKey);
    assert.equal(bench.status, 200, bench.text);
    assert.equal(bench.json.workspace.n, 31);
    assert.equal(bench.json.previous.n, 0);
    assert.deepEqual(bench.json.benchmarks.map((b: { nps: number; year: number }) => [b.nps, b.year]), [[28, 2023], [50, 2016], [50, 2025]]);
    for (const b of bench.json.benchmarks) {
      assert.ok(b.source && b.region, 'every figure names its source and region');
      const { low, high } = bench.json.workspace.adjusted;
      assert.equal(b.position, low > b.nps ? 'above' : high < b.nps ? 'below' : 'within');
    }
    const unknown = await s.call('GET', '/api/v1/metrics/benchmarks?industry=space%20travel', s.ws.secretKey);
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.message, /industry.*retail/);

    // Erasing a person takes their answers out of every figure.
    const profile = await s.call('GET', '/api/v1/profiles?userId=late', s.ws.secretKey);
    assert.equal((await s.call('DELETE', `/v1/people/${profile.json.id}`, s.ws.secretKey)).status, 202);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey)).json.n, 30);

    // Another workspace sees none of it.
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', s.other.secretKey)).json.n, 0);
    assert.deepEqual((await s.call('GET', '/api/v1/metrics/breakdown?by=channel', s.other.secretKey)).json.rows, []);

    for (const [path, field] of [
      ['/api/v1/metrics/breakdown?by=colour', /by/],
      ['/api/v1/metrics/breakdown', /by/],
      ['/api/v1/metrics/nps?colour=red', /colour/],
      ['/api/v1/metrics/trend?interval=year', /interval/],
      ['/api/v1/metrics/trend?interval=day&from=2000-01-01', /from/],
      ['/api/v1/metrics/nps?from=2026-02-01&to=2026-01-01', /to/],
    ] as const) {
      const r = await s.call('GET', path, s.ws.secretKey);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.json.message, field, path);
    }
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', s.ws.writeKey)).status, 403, 'a public write key cannot read figures');
  } finally {
    await s.close();
  }
});

forEachBackend('insight: saved segments over traits and NPS filter every figure; traits break down and filter like any dimension', async (store) => {
  const s = await startServer(store);
  try {
    const batch = Array.from({ length: 40 }, (_, i) => ({ type: 'identify', userId: `s${i}`, messageId: `id-s${i}`, traits: { plan: i % 4 === 0 ? 'pro' : 'free' } }));
    assert.equal((await s.call('POST', '/v1/batch', s.ws.writeKey, { batch })).status, 200);
    for (let i = 0; i < 40; i++) await answer(s, { person: { userId: `s${i}` }, score: i % 4 === 0 ? 10 : i % 2 ? 4 : 8, channel: i % 3 ? 'email' : 'web' });

    const pro = await s.call('POST', '/api/v1/segments', s.ws.secretKey, { name: 'Pro plan', conditions: [{ field: 'traits.plan', op: 'eq', value: 'pro' }] });
    assert.equal(pro.status, 201, pro.text);
    assert.deepEqual([pro.json.segment.people, pro.json.segment.answers], [10, 10]);
    const figure = await s.call('GET', `/api/v1/metrics/nps?segment=${pro.json.segment.id}`, s.ws.secretKey);
    assert.deepEqual([figure.json.n, figure.json.nps], [10, 100]);
    const byChannel = await s.call('GET', `/api/v1/metrics/breakdown?by=channel&segment=${pro.json.segment.id}`, s.ws.secretKey);
    assert.equal(byChannel.json.total.n, 10);

    // A person's own segments, evaluated now: s0 is on the pro plan (and a promoter), s1 is not.
    const s0 = (await s.call('GET', '/api/v1/profiles?userId=s0', s.ws.secretKey)).json.id;
    const s1 = (await s.call('GET', '/api/v1/profiles?userId=s1', s.ws.secretKey)).json.id;
    assert.deepEqual((await s.call('GET', `/api/v1/profiles/${s0}/segments`, s.ws.secretKey)).json, { items: [{ id: pro.json.segment.id, name: 'Pro plan' }], of: 1 });
    assert.deepEqual((await s.call('GET', `/api/v1/profiles/${s1}/segments`, s.ws.secretKey)).json, { items: [], of: 1 });
    assert.equal((await s.call('GET', `/api/v1/profiles/${s0}/segments`, s.other.secretKey)).status, 404);

    // Any trait is a dimension: pro people all gave 10; free ones half 4 (detractors) and half 8.
    const byPlan = await s.call('GET', '/api/v1/metrics/breakdown?by=trait.plan', s.ws.secretKey);
    assert.equal(byPlan.status, 200, byPlan.text);
    const plans = Object.fromEntries(byPlan.json.rows.map((r: { value: string; n: number; nps: number; mark: string }) => [r.value, r]));
    assert.deepEqual([plans.pro.n, plans.pro.nps, plans.pro.mark], [10, 100, 'higher']);
    assert.deepEqual([plans.free.n, plans.free.nps.toFixed(3), plans.free.mark], [30, (-200 / 3).toFixed(3), 'lower']);
    const freeByChannel = await s.call('GET', '/api/v1/metrics/breakdown?by=channel&trait.plan=free', s.ws.secretKey);
    assert.equal(freeByChannel.json.total.n, 30);
    const freeWeb = await s.call('GET', '/api/v1/metrics/nps?trait.plan=free&channel=web', s.ws.secretKey);
    assert.equal(freeWeb.json.n, [...Array(40).keys()].filter((i) => i % 4 !== 0 && i % 3 === 0).length);
    assert.equal((await s.call('GET', '/api/v1/metrics/breakdown?by=trait.', s.ws.secretKey)).status, 400);
    assert.equal((await s.call('GET', '/api/v1/metrics/breakdown?by=trait.plan', s.other.secretKey)).json.total.n, 0, 'another workspace sees none of it');

    // A segment on NPS itself: the detractors, by their latest answer.
    const detractors = await s.call('POST', '/api/v1/segments', s.ws.secretKey, { name: 'Detractors', conditions: [{ field: 'latestNpsCategory', op: 'eq', value: 'detractor' }] });
    assert.equal(detractors.json.segment.people, 20);
    const trend = await s.call('GET', `/api/v1/metrics/trend?interval=day&segment=${detractors.json.segment.id}`, s.ws.secretKey);
    assert.equal(trend.json.points.at(-1).detractors, 20);
    assert.equal(trend.json.points.at(-1).n, 20);

    const changed = await s.call('PUT', `/api/v1/segments/${pro.json.segment.id}`, s.ws.secretKey, { name: 'Free plan', conditions: [{ field: 'traits.plan', op: 'eq', value: 'free' }] });
    assert.equal(changed.json.segment.people, 30);
    assert.equal((await s.call('GET', `/api/v1/metrics/nps?segment=${pro.json.segment.id}`, s.ws.secretKey)).json.n, 30);
    assert.equal((await s.call('GET', '/api/v1/segments', s.ws.secretKey)).json.items.length, 2);

    assert.equal((await s.call('GET', `/api/v1/metrics/nps?segment=${pro.json.segment.id}`, s.other.secretKey)).status, 404, 'another workspace cannot use it');
    assert.equal((await s.call('GET', `/api/v1/segments/${pro.json.segment.id}`, s.other.secretKey)).status, 404);
    const bad = await s.call('POST', '/api/v1/segments', s.ws.secretKey, { name: 'Bad', conditions: [{ field: 'traits.plan', op: 'like', value: 'p%' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /conditions\.0\.op/);
    assert.equal((await s.call('DELETE', `/api/v1/segments/${pro.json.segment.id}`, s.ws.secretKey)).status, 204);
    assert.equal((await s.call('GET', `/api/v1/metrics/nps?segment=${pro.json.segment.id}`, s.ws.secretKey)).status, 404);
  } finally {
    await s.close();
  }
});

forEachBackend('answers list: most recently answered first, whatever the order they were stored in; filters and cursor', async (store) => {
  const s = await startServer(store);
  try {
    const base = Date.now() - 10 * DAY;
    for (let i = 0; i < 12; i++) {
      await answer(s, { person: { userId: `l${i}` }, score: i % 11, channel: i % 2 ? 'web' : 'email', timestamp: new Date(base + i * DAY).toISOString() });
    }
    // Stored last, answered first: an import of an old answer.
    await answer(s, { person: { userId: 'old' }, score: 5, channel: 'web', timestamp: new Date(base - 30 * DAY).toISOString() });
    const seen: Array<{ id: string; answeredAt: string; channel: string }> = [];
    for (let cursor: string | null = null, pages = 0; ; pages++) {
      const r = await s.call('GET', `/api/v1/answers?limit=5${cursor ? `&cursor=${cursor}` : ''}`, s.ws.secretKey);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items);
      cursor = r.json.nextCursor;
      if (!cursor) break;
      assert.ok(pages < 5, 'paging ends');
    }
    assert.equal(seen.length, 13);
    assert.equal(new Set(seen.map((a) => a.id)).size, 13, 'nothing twice');
    assert.deepEqual(seen.map((a) => a.answeredAt), seen.map((a) => a.answeredAt).sort().reverse());
    assert.equal(seen.at(-1)!.answeredAt, new Date(base - 30 * DAY).toISOString());
    assert.equal((await s.call('GET', '/api/v1/answers?channel=web&limit=100', s.ws.secretKey)).json.items.length, 7);
    assert.equal((await s.call('GET', '/api/v1/answers?cursor=nonsense', s.ws.secretKey)).status, 400);
    assert.equal((await s.call('GET', '/api/v1/answers?colour=red', s.ws.secretKey)).status, 400);
    assert.equal((await s.call('GET', '/api/v1/answers', s.other.secretKey)).json.items.length, 0);
  } finally {
    await s.close();
  }
});
