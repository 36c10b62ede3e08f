/**
 * Profile lookup latency: GET /api/v1/profiles?userId=… against 100,000 profiles, seeded through
 * the Writer in-process (the same path events take) and served by a child-process server. Then the
 * web widget's eligibility check (POST /api/v1/widget/check) on the same profiles, a tenth of
 * whom answered a survey lately, so the fatigue policy has history to read.
 */
import { join } from 'node:path';
import type { SpecMessage } from '../src/ingest/types.ts';
import { parseMessage, readSpecBatch } from '../src/ingest/segment-spec.ts';
import { migrate } from '../src/store/db.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { Writer } from '../src/store/writer.ts';
import { basicAuth, failures, fmt, load, openSqlite, withServer, type BenchOptions, type Row } from './lib/harness.ts';
import { people, type Person } from './lib/spec-messages.ts';

export const name = 'lookup';

const FULL_PROFILES = 100_000;
// A quick run (the test suite's smoke run) seeds a fifth: the same code paths, 15 s less.
const QUICK_PROFILES = 20_000;
const CHUNK = 2_000;
const CONNECTIONS = Number(process.env.BENCH_LOOKUP_CONNECTIONS ?? 4);
const TARGET_P99_MS = 5;
const TARGET_CHECK_P99_MS = 5;
const ANSWERED_EVERY = 10;

interface Ctx {
  userId: string;
}

export async function run(opts: BenchOptions): Promise<Row[]> {
  // Quick (the test suite's smoke run) checks that the code paths work, not how fast they are.
  const seconds = opts.quick ? 1 : 10;
  const warmup = opts.quick ? 0.5 : 1;
  const PROFILES = opts.quick ? QUICK_PROFILES : FULL_PROFILES;
  const file = join(opts.dir, 'lookup.db');

  const store = openSqlite(file);
  let seedSeconds: number;
  let profiles: number;
  let workspaceId: string;
  try {
    await migrate(store);
    workspaceId = (await createWorkspace(store.db, 'Lookup benchmark')).id;
    const writer = new Writer(store, readSpecBatch);
    const pool = people(PROFILES, 23);
    const started = Date.now();
    let stored = 0;
    for (let from = 0; from < PROFILES; from += CHUNK) {
      const now = Date.now();
      const events = pool.slice(from, from + CHUNK).flatMap((p, k) => {
        const i = from + k;
        const list = [parseMessage(identify(p, i, now), now)];
        if (i % ANSWERED_EVERY === 0) list.push(parseMessage(answer(i, now), now));
        return list;
      });
      stored += (await writer.write(workspaceId, events)).stored;
      if ((from / CHUNK) % 10 === 9 || from + CHUNK >= PROFILES) {
        opts.log(`seeding: ${fmt(from + events.length)}/${fmt(PROFILES)} profiles (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
    seedSeconds = (Date.now() - started) / 1000;
    const expected = PROFILES + Math.ceil(PROFILES / ANSWERED_EVERY);
    if (stored !== expected) throw new Error(`seeding stored ${stored} events, expected ${expected}`);
    const row = await store.db
      .selectFrom('profiles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    profiles = Number(row.n);
  } finally {
    await store.close();
  }

  let wrong = 0;
  const drive = (url: string, secretKey: string, duration: number) =>
    load({
      url,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'GET',
          headers: { authorization: basicAuth(secretKey) },
          setupRequest(request, context) {
            const userId = seedUserId(Math.floor(Math.random() * PROFILES));
            (context as Ctx).userId = userId;
            return { ...request, path: `/api/v1/profiles?userId=${userId}` };
          },
          onResponse(status, body, context) {
            // A 200 for somebody else would be a fast wrong answer, not a fast lookup.
            if (status === 200 && !body.includes(`"userId":"${(context as Ctx).userId}"`)) wrong++;
          },
        },
      ],
    });

  // Checks answered with the wrong decision: an answered person offered a survey, or the reverse.
  let wrongDecision = 0;
  const driveChecks = (url: string, writeKey: string, duration: number) =>
    load({
      url,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/widget/check',
          headers: { 'content-type': 'text/plain' },
          setupRequest(request, context) {
            const i = Math.floor(Math.random() * PROFILES);
            (context as Ctx & { i: number }).i = i;
            return { ...request, body: JSON.stringify({ writeKey, userId: seedUserId(i), url: 'https://shop.example.com/checkout/thank-you', language: 'en' }) };
          },
          onResponse(status, body, context) {
            if (status !== 200) return;
            const answered = (context as Ctx & { i: number }).i % ANSWERED_EVERY === 0;
            if (body.includes('"show":true') === answered) wrongDecision++;
          },
        },
      ],
    });

  const { result, checks } = await withServer(file, { workspaceId, cpuProfDir: opts.cpuProfDir }, async (server) => {
    opts.log(`server pid ${server.pid} on ${server.url}; warm-up ${warmup} s, then ${seconds} s with ${CONNECTIONS} connections`);
    await drive(server.url, server.secretKey, warmup);
    wrong = 0;
    const result = await drive(server.url, server.secretKey, seconds);
    const created = await fetch(`${server.url}/api/v1/surveys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(server.secretKey) },
      body: JSON.stringify({ name: 'Benchmark NPS', channels: { web: { delaySeconds: 0 } } }),
    });
    if (created.status !== 201) throw new Error(`creating the survey answered ${created.status}: ${await created.text()}`);
    opts.log(`eligibility checks: warm-up ${warmup} s, then ${seconds} s with ${CONNECTIONS} connections`);
    await driveChecks(server.url, server.writeKey, warmup);
    wrongDecision = 0;
    const checks = await driveChecks(server.url, server.writeKey, seconds);
    return { result, checks };
  });
  opts.log(`eligibility checks: ${fmt(checks['2xx'])} answered 2xx, ${checks.non2xx} non-2xx, ${wrongDecision} wrong decisions`);
  const failed = failures(result) + wrong;
  opts.log(`lookups: ${fmt(result['2xx'])} answered 2xx in ${result.duration} s, ${result.non2xx} non-2xx, ${result.errors} errors, ${wrong} wrong profile`);

  return [
    { metric: 'lookup profiles seeded', value: profiles, unit: 'profiles', target: `= ${fmt(PROFILES)}`, ok: profiles === PROFILES, check: true },
    { metric: 'lookup seed time', value: seedSeconds, unit: 's' },
    { metric: 'lookup latency p50', value: result.latency.p50, unit: 'ms' },
    { metric: 'lookup latency p99', value: result.latency.p99, unit: 'ms', target: `≤ ${TARGET_P99_MS}`, ok: result.latency.p99 <= TARGET_P99_MS },
    { metric: 'lookup requests/s', value: result['2xx'] / result.duration, unit: 'req/s' },
    { metric: 'lookup failed requests', value: failed, unit: 'requests', target: '0', ok: failed === 0, check: true },
    { metric: 'eligibility check latency p50', value: checks.latency.p50, unit: 'ms' },
    { metric: 'eligibility check latency p99', value: checks.latency.p99, unit: 'ms', target: `≤ ${TARGET_CHECK_P99_MS}`, ok: checks.latency.p99 <= TARGET_CHECK_P99_MS },
    { metric: 'eligibility checks/s', value: checks['2xx'] / checks.duration, unit: 'req/s' },
    { metric: 'eligibility wrong decisions', value: wrongDecision + failures(checks), unit: 'requests', target: '0', ok: wrongDecision + failures(checks) === 0, check: true },
  ];
}

/** An answer given a few days ago, so the contact budget says "not asked" to this person. */
function answer(i: number, now: number): SpecMessage {
  return {
    type: 'track',
    messageId: `seed-answer-${i}`,
    userId: seedUserId(i),
    event: 'NPS Survey Responded',
    timestamp: new Date(now - 3 * 86_400_000).toISOString(),
    properties: { score: i % 11, channel: 'email' },
  };
}

function seedUserId(i: number): string {
  return `seed_${String(i).padStart(6, '0')}`;
}

/** An identify with the traits and browser context analytics.js would send on sign-up. */
function identify(p: Person, i: number, now: number): SpecMessage {
  return {
    type: 'identify',
    messageId: `seed-${i}`,
    userId: seedUserId(i),
    anonymousId: p.anonymousId,
    timestamp: new Date(now - (i % 86_400) * 1000).toISOString(),
    context: { library: { name: 'analytics.js', version: 'next-1.72.0' }, ip: p.ip, locale: p.locale, timezone: p.timezone, userAgent: p.userAgent },
    traits: {
      email: `${p.firstName}.${p.lastName}.${i}@example.com`.toLowerCase(),
      firstName: p.firstName,
      lastName: p.lastName,
      name: `${p.firstName} ${p.lastName}`,
      plan: p.plan,
      createdAt: p.createdAt,
    },
  };
}
