/**
 * The outbox (automation/outbox.ts) over its table (store/jobs.ts): workers on separate
 * connections, as in separate processes, never run a job twice; a job whose worker died is taken
 * again when its lease runs out; failures back off, then stay failed until replayed; a dedupe key
 * makes one job however often it is enqueued.
 */
import assert from 'node:assert/strict';
import { Outbox, PermanentJobError, type Job } from '../src/automation/outbox.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { claimJobs, enqueue, listJobs, retryJob } from '../src/store/jobs.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend } from './helpers/backends.ts';

const KIND = 'test.job';

/** A second connection to the same database, as another process would have. */
const reopen = (store: Store) => (store.backend === 'postgres' ? openStore({ url: store.location }) : openStore({ url: store.location, file: store.location }));

forEachBackend('outbox: two workers on two connections run each due job exactly once', async (store) => {
  const ws = await createWorkspace(store.db, 'Jobs');
  const other = reopen(store);
  try {
    const ran: string[] = [];
    const handler = async (job: Job) => {
      ran.push(String(job.payload.n));
      await new Promise((r) => setTimeout(r, 1)); // let the other worker claim meanwhile
    };
    const a = new Outbox(store, { batch: 5 }).register(KIND, handler);
    const b = new Outbox(other, { batch: 5 }).register(KIND, handler);
    const now = Date.now();
    for (let n = 0; n < 40; n++) await enqueue(store.db, { kind: KIND, workspaceId: ws.id, payload: { n } }, now);
    await enqueue(store.db, { kind: KIND, workspaceId: ws.id, payload: { n: 'later' }, runAt: now + 3_600_000 }, now);
    await enqueue(store.db, { kind: 'nobody.handles', workspaceId: ws.id, payload: {} }, now);

    const [byA, byB] = await Promise.all([a.runDue(now), b.runDue(now)]);
    assert.equal(byA + byB, 40, `every due job ran once (a ran ${byA}, b ran ${byB})`);
    assert.deepEqual([...ran].sort(), Array.from({ length: 40 }, (_, n) => String(n)).sort(), 'no job ran twice');
    const jobs = await listJobs(store.db, ws.id, undefined, 100);
    assert.equal(jobs.filter((j) => j.status === 'done').length, 40);
    assert.deepEqual(jobs.filter((j) => j.status === 'pending').map((j) => j.payload.n ?? j.kind).sort(), ['later', 'nobody.handles'].sort(),
      'a job not yet due, and a kind no worker handles, are left alone');
    assert.ok(jobs.every((j) => j.status !== 'done' || j.attempts === 1));
  } finally {
    await other.close();
  }
});

forEachBackend('outbox: a lost lease, retries with backoff, failure after the last attempt, replay, dedupe keys', async (store) => {
  const ws = await createWorkspace(store.db, 'Jobs');
  const now = Date.now();

  // One job per dedupe key, however often it is enqueued.
  const first = await enqueue(store.db, { kind: KIND, workspaceId: ws.id, payload: { n: 'once' }, dedupeKey: 'k1' }, now);
  assert.ok(first);
  assert.equal(await enqueue(store.db, { kind: KIND, workspaceId: ws.id, payload: { n: 'again' }, dedupeKey: 'k1' }, now), null);

  // A worker claims it and dies: nobody else takes it until the lease ends, then the next one does.
  const [claimed] = await claimJobs(store, [KIND], now, 60_000, 10);
  assert.equal(claimed.id, first);
  assert.equal(claimed.attempts, 1);
  assert.deepEqual(await claimJobs(store, [KIND], now + 59_000, 60_000, 10), [], 'held while the lease runs');
  const seen: Job[] = [];
  const outbox = new Outbox(store, { backoffMs: 1_000 }).register(KIND, async (job) => {
    seen.push(job);
  });
  assert.equal(await outbox.runDue(now + 61_000), 1, 'taken again once the lease ran out');
  assert.deepEqual(seen.map((j) => [j.id, j.attempts, j.payload.n]), [[first, 2, 'once']]);

  // Failures: retried after 1 s, 2 s, …; after maxAttempts kept as failed, and its owner told.
  const failing = await enqueue(store.db, { kind: 'test.failing', workspaceId: ws.id, payload: {}, maxAttempts: 3 }, now);
  const failures: string[] = [];
  const flaky = new Outbox(store, { backoffMs: 1_000 }).register('test.failing', async () => {
    throw new Error('smtp said no');
  }, async (job, error) => {
    failures.push(`${job.id}: ${error}`);
  });
  const state = async () => (await listJobs(store.db, ws.id, undefined, 10)).find((j) => j.id === failing)!;
  let t = Date.now();
  assert.equal(await flaky.runDue(t), 1);
  assert.equal((await state()).status, 'pending');
  assert.equal((await state()).lastError, 'smtp said no');
  const retryAt = Date.parse((await state()).runAt);
  assert.ok(retryAt >= t + 1_000 && retryAt <= Date.now() + 1_000, 'the first retry waits backoffMs');
  assert.equal(await flaky.runDue(retryAt - 1), 0, 'not before its time');
  t = Date.now();
  assert.equal(await flaky.runDue(retryAt), 1);
  const secondRetry = Date.parse((await state()).runAt);
  assert.ok(secondRetry >= t + 2_000 && secondRetry <= Date.now() + 2_000, 'the second retry waits twice as long');
  assert.equal(await flaky.runDue(secondRetry + 1), 1);
  assert.equal((await state()).status, 'failed');
  assert.equal((await state()).attempts, 3);
  assert.deepEqual(failures, [`${failing}: smtp said no`]);
  assert.equal(await flaky.runDue(Date.now() + 3_600_000), 0, 'a failed job stays failed');

  // Replayed from the start: it runs again (and a permanent error fails it at once).
  assert.equal(await retryJob(store.db, ws.id, failing!), true);
  assert.equal(await retryJob(store.db, ws.id, failing!), false, 'only a failed job is replayed');
  assert.equal((await state()).attempts, 0);
  const permanent = new Outbox(store).register('test.failing', async () => {
    throw new PermanentJobError('address does not exist');
  });
  assert.equal(await permanent.runDue(Date.now()), 1);
  assert.equal((await state()).status, 'failed');
  assert.equal((await state()).attempts, 1);
  assert.equal(await retryJob(store.db, 'another workspace', failing!), false, 'another workspace cannot replay it');
});
