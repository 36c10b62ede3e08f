/**
 * PostgreSQL only: what a database restart costs two servers sharing one database.
 *
 * The servers are real `advocate serve` processes, because the failure this guards against is the
 * process itself exiting (an 'error' event on a pg client with no listener). The database is a
 * cluster of this test's own: stopping test/run.ts's shared cluster would break every other test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { buildApp } from '../src/http/app.ts';
import { openStore } from '../src/store/db.ts';
import { tmpDir } from './helpers/backends.ts';
import { Cluster, findPgBinaries } from './helpers/pg-cluster.ts';
import { basic } from './helpers/server.ts';
import { openSse, type SseStream } from './helpers/sse.ts';
import { until } from './helpers/wait.ts';

const ROOT = join(import.meta.dirname, '..');
const IS_CI = ['', '0', 'false'].indexOf((process.env.CI ?? '').toLowerCase()) < 0;
const bin = findPgBinaries();
/** A request that takes longer than this counts as hung. */
const HUNG_MS = 15_000;
/** After the database is back, every kind of request succeeds again within this, without restarting the servers. */
const RECOVERY_MS = 10_000;
/**
 * Stop, wait, start: twice as in the report, then once for longer than a request waiting on
 * projection is kept waiting while the database is away (ADVOCATE_PROJECTION_WAIT_MS, 10 s).
 */
const OUTAGES_MS = [3_000, 3_000, 13_000];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
}

/** `advocate serve` on the given database, as an operator runs it; resolves once it listens. */
function serve(name: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--no-demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const server: Server = { name, url: '', child, output: () => out, exited: null };
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.on('exit', (code, signal) => (server.exited = { code, signal }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${out}`)), 60_000);
    const check = () => {
      const m = out.match(/Dashboard:\s+(http:\/\/\S+?)\/app/);
      if (m) {
        clearTimeout(timer);
        server.url = m[1];
        resolve(server);
      } else if (server.exited) {
        clearTimeout(timer);
        reject(new Error(`${name} exited while starting:\n${out}`));
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', check);
  });
}

async function stopServer(server: Server): Promise<void> {
  if (server.exited) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

type Kind = 'batch' | 'answer' | 'read';

interface Outcome {
  server: string;
  kind: Kind;
  /** 0: no HTTP answer (timed out, or the connection failed) */
  status: number;
  retryAfter: string | null;
  body: string;
  error?: string;
  startedAt: number;
  ms: number;
}

async function call(server: Server, kind: Kind, path: string, init: RequestInit): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const res = await fetch(server.url + path, { ...init, signal: AbortSignal.timeout(HUNG_MS) });
    const body = await res.text();
    return { server: server.name, kind, status: res.status, retryAfter: res.headers.get('retry-after'), body, startedAt, ms: Date.now() - startedAt };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { server: server.name, kind, status: 0, retryAfter: null, body: '', error: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`, startedAt, ms: Date.now() - startedAt };
  }
}

const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

describe('PostgreSQL only: a database restart', () => {
  test(
    'PostgreSQL only: pg_ctl stop -m immediate and a start 3 s later (twice, then after 13 s) under ingestion, answers, reads and an open live feed: both server processes live on, answer 503 with Retry-After meanwhile (never 500, never hang), recover by themselves (requests, live feed, clock, job worker), and lose or duplicate nothing acknowledged',
    { timeout: 300_000, skip: !bin && !IS_CI ? 'no PostgreSQL server binaries (initdb, pg_ctl) to run a cluster of its own' : false },
    async (t) => {
      // CI must run this test: a missing PostgreSQL there is a failure, not a skip.
      if (!bin) throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH');
      const cluster = new Cluster(bin);
      const servers: Server[] = [];
      const cleanUp = () => {
        for (const s of servers) if (!s.exited) s.child.kill('SIGKILL');
        cluster.stopSync();
      };
      process.once('exit', cleanUp);
      let sse: SseStream | null = null;
      let admin: pg.Client | null = null;
      let running = true;
      let loops: Promise<void>[] = [];
      try {
        await cluster.init();
        // Committed must mean on disk as far as this test can tell: with the shared cluster's
        // synchronous_commit=off an immediate stop would drop commits already acknowledged.
        const port = await cluster.start({ settings: ['synchronous_commit=on'] });
        const databaseUrl = `postgres://postgres@127.0.0.1:${port}/advocate`;
        const bootstrap = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
        await bootstrap.connect();
        await bootstrap.query('CREATE DATABASE advocate');
        await bootstrap.end();

        const dir = tmpDir('advocate-pg-restart-');
        const env: NodeJS.ProcessEnv = {
          ...process.env, DATABASE_URL: databaseUrl, ADVOCATE_DB: '', ADVOCATE_DATA_DIR: dir,
          // The clock and the job worker run all through the outage.
          ADVOCATE_CLOCK_MS: '500', ADVOCATE_JOB_POLL_MS: '200',
        };
        const created = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'workspace', 'create', 'Restart'], { cwd: ROOT, env, encoding: 'utf8' });
        assert.equal(created.status, 0, created.stderr);
        const writeKey = created.stdout.match(/Public write key:\s+(adv_pk_\S+)/)![1];
        const secretKey = created.stdout.match(/Secret key:\s+(adv_sk_\S+)/)![1];
        servers.push(await serve('server A', env), await serve('server B', env));
        const [a, b] = servers;

        // The live feed is watched on A while B stores answers too: it follows the database, not the process.
        sse = await openSse(`${a.url}/api/v1/live/answers`, { authorization: basic(secretKey) });
        assert.equal(sse.status, 200);

        const outcomes: Outcome[] = [];
        const ackedMessages = new Set<string>();
        const ackedAnswers = new Map<string, string>(); // answer id → messageId
        const run = tag();
        const loop = async (server: Server, kind: Kind, send: (seq: number) => Promise<Outcome>) => {
          for (let seq = 0; running; seq++) {
            const o = await send(seq);
            outcomes.push(o);
            await sleep(o.status === 503 ? 100 : 20);
          }
        };
        const batch = (server: Server) => async (seq: number) => {
          const ids = Array.from({ length: 5 }, (_, i) => `${run}-${server.name.slice(-1)}-b${seq}-${i}`);
          const body = { batch: ids.map((messageId, i) => ({ type: 'track', event: 'Page Viewed', userId: `user-${(seq + i) % 40}`, messageId, properties: { seq } })) };
          const o = await call(server, 'batch', '/v1/batch', { method: 'POST', headers: { authorization: basic(writeKey), 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (ok(o)) for (const id of ids) ackedMessages.add(id);
          return o;
        };
        const answer = (server: Server) => async (seq: number) => {
          const messageId = `${run}-${server.name.slice(-1)}-a${seq}`;
          const body = { person: { userId: `user-${seq % 40}` }, score: seq % 11, channel: 'web', messageId };
          const o = await call(server, 'answer', '/api/v1/answers', { method: 'POST', headers: { authorization: basic(writeKey), 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (ok(o)) ackedAnswers.set(JSON.parse(o.body).answer.id, messageId);
          return o;
        };
        const read = (server: Server) => () => call(server, 'read', '/api/v1/metrics/nps', { headers: { authorization: basic(secretKey) } });
        loops = servers.flatMap((s) => [loop(s, 'batch', batch(s)), loop(s, 'answer', answer(s)), loop(s, 'read', read(s))]);

        /** Resolves once every kind of request has succeeded on both servers since `since`. */
        const kinds: Kind[] = ['batch', 'answer', 'read'];
        const succeededSince = (s: Server, k: Kind, since: number) => outcomes.some((o) => o.server === s.name && o.kind === k && o.startedAt >= since && ok(o));
        const allSucceedSince = (since: number) =>
          until('every kind of request to succeed on both servers', async () => {
            const gone = servers.find((s) => s.exited);
            if (gone) throw new Error(`${gone.name} exited (${JSON.stringify(gone.exited)}):\n${gone.output().slice(-3000)}`);
            return servers.every((s) => kinds.every((k) => succeededSince(s, k, since)));
          }, RECOVERY_MS + 20_000).catch((err: Error) => {
            // Say which kind is still failing and how, with the server's last words.
            const missing = servers.flatMap((s) => kinds.filter((k) => !succeededSince(s, k, since)).map((k) => {
              const tried = outcomes.filter((o) => o.server === s.name && o.kind === k && o.startedAt >= since);
              const last = tried.at(-1);
              return `${s.name} ${k}: ${tried.length} tried, last ${last ? `${last.status} in ${last.ms} ms ${last.error ?? last.body.slice(0, 200)}` : 'none'}\n${s.output().slice(-1500)}`;
            }));
            throw new Error(`${err.message}\n${missing.join('\n')}`);
          });

        await allSucceedSince(Date.now());
        await sleep(1_000);
        for (const [i, outage] of OUTAGES_MS.entries()) {
          const round = i + 1;
          const stoppedAt = Date.now();
          await cluster.stopServer();
          await sleep(outage);
          await cluster.start({ port, settings: ['synchronous_commit=on'] });
          const backAt = Date.now();
          await allSucceedSince(backAt);
          const recoveredIn = Date.now() - backAt;
          const refused = outcomes.filter((o) => o.startedAt >= stoppedAt && o.startedAt < backAt && o.status === 503).length;
          const firstOk = servers.flatMap((sv) => kinds.map((k) => `${sv.name.slice(-1)}.${k} ${Math.min(...outcomes.filter((o) => o.server === sv.name && o.kind === k && o.startedAt >= backAt && ok(o)).map((o) => o.startedAt + o.ms - backAt))}`));
          t.diagnostic(`round ${round}: database down ${backAt - stoppedAt} ms, ${refused} requests answered 503 meanwhile, all kinds succeeding again ${recoveredIn} ms after it was back (first 2xx ended at: ${firstOk.join(', ')} ms)`);
          assert.ok(recoveredIn <= RECOVERY_MS, `round ${round}: requests succeeded again only ${recoveredIn} ms after the database was back`);
          // The outage was seen, and said so: requests made while it was down were refused, not lost in silence.
          assert.ok(refused > 0, `round ${round}: no request was answered 503 while the database was down`);
          for (const s of servers) assert.equal(s.exited, null, `${s.name} exited during round ${round}:\n${s.output()}`);
          await sleep(2_000);
        }
        running = false;
        await Promise.all(loops);

        // Both processes are alive and serving.
        for (const s of servers) {
          assert.equal(s.exited, null, `${s.name} exited:\n${s.output()}`);
          assert.equal((await fetch(`${s.url}/health`)).status, 200);
        }
        // Every request ended within the bound, in success or a clear 503 with Retry-After: never a 500,
        // never a hang, never a dropped connection.
        const bad = outcomes.filter((o) => !(ok(o) || (o.status === 503 && o.retryAfter === '1')) || o.ms > HUNG_MS);
        assert.deepEqual(bad.slice(0, 5).map((o) => ({ ...o, body: o.body.slice(0, 300) })), [], `${bad.length} of ${outcomes.length} requests ended badly`);
        for (const o of outcomes.filter((x) => x.status === 503)) assert.match(JSON.parse(o.body).message, /database/i);
        const counts = (k: Kind) => `${outcomes.filter((o) => o.kind === k && ok(o)).length}/${outcomes.filter((o) => o.kind === k).length}`;
        t.diagnostic(`2xx/all: batches ${counts('batch')}, answers ${counts('answer')}, reads ${counts('read')}; slowest ${Math.max(...outcomes.map((o) => o.ms))} ms`);

        // The live feed: either it kept streaming, or a reconnection (as browsers do, with
        // Last-Event-ID) picks up. Either way an answer stored now on B arrives on A's feed.
        const probeId = `${run}-probe`;
        const probe = await call(b, 'answer', '/api/v1/answers', { method: 'POST', headers: { authorization: basic(secretKey), 'content-type': 'application/json' }, body: JSON.stringify({ person: { userId: 'probe' }, score: 10, messageId: probeId }) });
        assert.equal(probe.status, 201, probe.body);
        const probeAnswer = JSON.parse(probe.body).answer.id as string;
        ackedAnswers.set(probeAnswer, probeId);
        let streamEnded = false;
        await Promise.race([sse.ended.then(() => (streamEnded = true)), sleep(50)]);
        if (streamEnded) {
          const lastId = [...sse.events].reverse().find((e) => e.id)?.id;
          const resumed = await openSse(`${a.url}/api/v1/live/answers`, { authorization: basic(secretKey), ...(lastId ? { 'last-event-id': lastId } : {}) });
          assert.equal(resumed.status, 200);
          sse.close();
          sse = resumed;
        }
        const feed = sse;
        const onFeed = () => new Set(feed.events.filter((e) => e.event === 'answer').map((e) => JSON.parse(e.data!).id as string));
        await until('the probe answer on the live feed', async () => onFeed().has(probeAnswer), 10_000);
        // Nothing acknowledged was missed by the feed either: what it could not read while the
        // database was away, it read once it was back.
        const notOnFeed = [...ackedAnswers.keys()].filter((id) => !onFeed().has(id));
        assert.deepEqual(notOnFeed, [], `${notOnFeed.length} of ${ackedAnswers.size} acknowledged answers never came on the live feed`);
        t.diagnostic(streamEnded ? 'live feed: the stream ended and a reconnection with Last-Event-ID picked up' : 'live feed: the stream stayed open through every restart');

        // The clock and the job worker of both processes ran into the outages and work on: the clock
        // turns a release event into an annotation; the job worker runs an audience run to its end.
        const release = `${run}-release`;
        const sent = await call(b, 'batch', '/v1/batch', { method: 'POST', headers: { authorization: basic(writeKey), 'content-type': 'application/json' }, body: JSON.stringify({ batch: [{ type: 'track', event: 'Release Deployed', userId: 'ops', messageId: release, properties: { version: release } }] }) });
        assert.equal(sent.status, 200, sent.body);
        ackedMessages.add(release);
        const survey = await call(a, 'read', '/api/v1/surveys', { method: 'POST', headers: { authorization: basic(secretKey), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'After the restart' }) });
        assert.equal(survey.status, 201, survey.body);
        const surveyId = JSON.parse(survey.body).survey.id as string;
        const started = await call(a, 'read', `/api/v1/surveys/${surveyId}/runs`, { method: 'POST', headers: { authorization: basic(secretKey), 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'email' }) });
        assert.equal(started.status, 202, started.body);
        const runId = JSON.parse(started.body).run.id as string;
        await until('the audience run to finish', async () => {
          const r = await call(b, 'read', `/api/v1/surveys/${surveyId}/runs/${runId}`, { headers: { authorization: basic(secretKey) } });
          return ok(r) && JSON.parse(r.body).run.finishedAt !== null;
        }, 15_000);

        // Nothing acknowledged is lost or stored twice: once both servers have projected everything.
        admin = new pg.Client({ connectionString: databaseUrl });
        await admin.connect();
        const db = admin;
        await until('the inbox to be projected', async () => Number((await db.query('select count(*) as n from inbox')).rows[0].n) === 0, 30_000);
        const messageIds = [...ackedMessages, ...ackedAnswers.values()];
        const stored = await db.query<{ message_id: string; n: string }>('select message_id, count(*) as n from events where message_id = any($1) group by message_id', [messageIds]);
        const times = new Map(stored.rows.map((r) => [r.message_id, Number(r.n)]));
        const missing = messageIds.filter((m) => !times.has(m));
        const twice = messageIds.filter((m) => (times.get(m) ?? 0) > 1);
        assert.deepEqual({ missing: missing.slice(0, 10), twice: twice.slice(0, 10) }, { missing: [], twice: [] }, `of ${messageIds.length} acknowledged messages, ${missing.length} missing, ${twice.length} stored more than once`);
        const answers = await db.query<{ id: string; message_id: string }>('select a.id, e.message_id from answers a join events e on e.id = a.event_id where a.id = any($1)', [[...ackedAnswers.keys()]]);
        assert.equal(answers.rows.length, ackedAnswers.size, 'every answer acknowledged with 2xx exists');
        for (const r of answers.rows) assert.equal(r.message_id, ackedAnswers.get(r.id));
        const repeated = await db.query('select message_id from events group by workspace_id, message_id having count(*) > 1');
        assert.equal(repeated.rows.length, 0);
        await until('the release annotation', async () => (await db.query('select 1 from annotations where label = $1', [release])).rows.length === 1, 15_000);
        t.diagnostic(`${ackedMessages.size} batch messages and ${ackedAnswers.size} answers acknowledged, each stored exactly once`);
      } finally {
        running = false;
        await Promise.all(loops);
        sse?.close();
        await admin?.end().catch(() => {});
        await Promise.all(servers.map(stopServer));
        await cluster.stop();
        process.removeListener('exit', cleanUp);
      }
    },
  );

  test('PostgreSQL only: a database that accepts connections but never answers costs a request a 503 with Retry-After within the connect timeout, not a hang', { timeout: 30_000 }, async () => {
    // A black hole: the TCP handshake succeeds (the kernel does it), then nothing, as with a frozen
    // or partitioned server. Without a connect timeout pg waits for ever.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const store = openStore({ url: `postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/advocate`, connectTimeoutMs: 1_000 });
    const { app } = await buildApp({ store, jobs: false });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const started = Date.now();
      const res = await fetch(`${url}/api/v1/metrics/nps`, { headers: { authorization: basic('adv_sk_whatever') }, signal: AbortSignal.timeout(10_000) });
      const took = Date.now() - started;
      assert.equal(res.status, 503, await res.clone().text());
      assert.equal(res.headers.get('retry-after'), '1');
      assert.match((await res.json()).message, /database/i);
      assert.ok(took < 5_000, `took ${took} ms`);
    } finally {
      await app.close();
      await store.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

function tag(): string {
  return `r${randomBytes(4).toString('hex')}`;
}
