import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { encodeFacts, type Fact } from '../src/domain/facts.ts';
import type { Command } from '../src/domain/commands.ts';
import { Bus } from '../src/store/bus.ts';
import { createWriter } from '../src/ingest/writer.ts';
import { consumerErrors } from '../src/store/consumer-cursors.ts';
import type { Store } from '../src/store/db.ts';
import { appendWorkspaceFacts, headPosition, readFacts } from '../src/store/facts.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { connectionOf, forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';
import { until } from './helpers/wait.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every fact in the log, in commit order, with its position. */
async function wholeLog(store: Store, workspaceId?: string): Promise<Array<{ position: number; fact: Fact }>> {
  const out: Array<{ position: number; fact: Fact }> = [];
  let after = 0;
  for (;;) {
    const batches = await readFacts(store.db, after, { workspaceId, limit: 500 });
    for (const b of batches) for (const fact of b.facts) out.push({ position: b.position, fact });
    if (batches.length < 500) return out;
    after = batches[batches.length - 1].position;
  }
}

forEachBackend('bus: projection, answer edits, merges and erasures announce what they committed, in commit order', async (store) => {
  const s = await startServer(store);
  try {
    const post = async (batch: unknown[]) => {
      const r = await s.call('POST', '/v1/batch', s.ws.writeKey, { batch });
      assert.equal(r.status, 200, r.text);
      await s.settle();
    };
    const from = await headPosition(store.db);
    await post([
      { type: 'track', event: 'NPS Survey Responded', anonymousId: 'visitor-1', properties: { score: 4 }, messageId: 'a1' },
      { type: 'track', event: 'Order Completed', anonymousId: 'visitor-1', properties: { revenue: 20 }, messageId: 'o1' },
    ]);
    // visitor-1 was on a profile of its own: identifying them merges it into ada's.
    await post([{ type: 'identify', userId: 'ada', traits: { name: 'Ada' }, messageId: 'i1' }]);
    await post([{ type: 'identify', userId: 'ada', anonymousId: 'visitor-1', messageId: 'i2' }]);
    const answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    const answer = answers.json.items[0];
    const edited = await s.call('PATCH', `/api/v1/answers/${answer.id}`, s.ws.secretKey, { comment: 'Slow delivery' });
    assert.equal(edited.status, 200, edited.text);
    const erased = await s.call('DELETE', `/api/v1/profiles/${answer.profileId}`, s.ws.secretKey);
    assert.equal(erased.status, 200, erased.text);

    // Less the text consumer's announcements of analyses, made in the background.
    const batches = (await readFacts(store.db, from, { limit: 100 })).filter((b) => !b.facts.every((f) => f.type === 'answer.analyzed'));
    assert.ok(batches.every((b) => b.workspaceId === s.ws.id), 'nothing of the other workspace');
    const positions = batches.map((b) => b.position);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    const types = batches.map((b) => b.facts.map((f) => f.type));
    const [first, identified, merged, edit, erasure] = batches;
    // 1. A new anonymous profile with its answer and order.
    assert.deepEqual(types[0].filter((t) => t !== 'identity.linked'), ['profile.created', 'event.stored', 'event.stored', 'answer.created']);
    const created = first.facts.find((f) => f.type === 'profile.created')!;
    const answerFact = first.facts.find((f) => f.type === 'answer.created');
    assert.deepEqual(answerFact, { type: 'answer.created', answerId: answer.id, profileId: (created as { profileId: string }).profileId });
    assert.deepEqual(first.facts.filter((f) => f.type === 'event.stored').map((f) => (f as { name: string }).name), ['NPS Survey Responded', 'Order Completed']);
    // 2. Ada, new.
    assert.ok(identified.facts.some((f) => f.type === 'profile.created'));
    assert.ok(identified.facts.some((f) => f.type === 'identity.linked' && f.kind === 'user'));
    // 3. The visitor's profile merged into Ada's, and the answer moved with it.
    const merge = merged.facts.find((f) => f.type === 'profile.merged');
    assert.deepEqual(merge, { type: 'profile.merged', profileId: (created as { profileId: string }).profileId, into: answer.profileId });
    assert.ok(merged.facts.some((f) => f.type === 'answer.changed' && f.answerId === answer.id && f.profileId === answer.profileId));
    // 4. The comment edit.
    assert.deepEqual(edit.facts, [{ type: 'answer.changed', answerId: answer.id, profileId: answer.profileId }]);
    // 5. The erasure: the answer and both profiles (the survivor and the one merged into it).
    assert.deepEqual(erasure.facts.filter((f) => f.type === 'answer.erased'), [{ type: 'answer.erased', answerId: answer.id }]);
    assert.deepEqual(erasure.facts.filter((f) => f.type === 'profile.erased').map((f) => (f as { profileId: string }).profileId).sort(), [answer.profileId, (created as { profileId: string }).profileId].sort());
    assert.equal(batches.length, 5, JSON.stringify(types));
    // The log names no one: no email, name or trait value in it.
    const text = JSON.stringify(batches);
    assert.ok(!text.includes('Ada') && !text.includes('Slow delivery'), text);
  } finally {
    await s.close();
  }
});

forEachBackend('bus: answer edits, Delighted email changes and erasures are commands the writer applies, each announced', async (store) => {
  // The real writer, with its commands noted on the way through.
  const real = createWriter(store);
  const commands: string[] = [];
  const writer = new Proxy(real, {
    get(target, key) {
      if (key === 'apply') return (ws: string, c: Command) => (commands.push(c.type), target.apply(ws, c));
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set: (target, key, value) => Reflect.set(target, key, value),
  });
  const s = await startServer(store, { writer });
  try {
    const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'ada', email: 'ada@example.com' }, score: 6 });
    assert.equal(r.status, 201, r.text);
    const from = await headPosition(store.db);
    assert.equal((await s.call('PATCH', `/api/v1/answers/${r.json.answer.id}`, s.ws.secretKey, { comment: 'Too slow' })).status, 200);
    const moved = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'ada@example.com', email_update: 'ada@new.example', send: false });
    assert.ok(moved.status < 300, moved.text);
    assert.equal((await s.call('DELETE', '/api/v1/profiles?email=ada%40new.example', s.ws.secretKey)).status, 200);
    assert.deepEqual(commands, ['answer.edit', 'person.email', 'person.erase']);
    const announced = (await readFacts(store.db, from, { limit: 100 })).filter((b) => !b.facts.every((f) => f.type === 'answer.analyzed')).map((b) => b.facts.map((f) => f.type).filter((t) => t !== 'profile.erased').join(','));
    // The Delighted update is the email command, then the identify it sends like any client.
    assert.deepEqual(announced, ['answer.changed', 'identity.linked,profile.changed', 'profile.changed,event.stored', 'answer.erased']);
  } finally {
    await s.close();
  }
});

forEachBackend('bus: a consumer that fails on some facts sets them aside with the reason and goes on', async (store) => {
  const ws = await createWorkspace(store.db, 'Bus');
  const s = await startServer(store);
  try {
    const from = await headPosition(store.db);
    for (const name of ['Viewed', 'Poison', 'Viewed']) {
      await s.call('POST', '/v1/track', s.ws.writeKey, { event: name, userId: 'ada', messageId: `m-${name}-${Math.random()}` });
      await s.settle();
    }
    const bus = new Bus(store);
    const seen: string[] = [];
    let attempts = 0;
    bus.consume({
      name: 'picky',
      wants: (f) => f.type === 'event.stored',
      async handle(_tx, batch) {
        for (const f of batch.facts) {
          if (f.type === 'event.stored' && f.name === 'Poison') {
            attempts++;
            throw new Error('cannot digest this');
          }
        }
        for (const f of batch.facts) if (f.type === 'event.stored') seen.push(f.name!);
      },
    });
    await bus.catchUp();
    await bus.stop();
    // Tried three times, then set aside; the events before and after it were handled once each.
    assert.equal(attempts, 3);
    assert.deepEqual(seen, ['Viewed', 'Viewed']);
    const errors = await consumerErrors(store.db, 'picky');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].workspaceId, s.ws.id);
    assert.ok(errors[0].position > from);
    assert.match(errors[0].reason, /cannot digest this/);
    assert.notEqual(ws.id, s.ws.id);
  } finally {
    await s.close();
  }
});

forEachBackend('bus: positions follow commit order, so a reader between two commits never passes over the earlier one', async (store) => {
  const ws = await createWorkspace(store.db, 'Order');
  const bus = new Bus(store);
  const seen: string[] = [];
  bus.consume({ name: 'order', wants: () => true, async handle(_tx, b) {
    for (const f of b.facts) if (f.type === 'profile.changed') seen.push(f.profileId);
  } });
  await bus.catchUp();
  let appended!: () => void;
  let release!: () => void;
  const aAppended = new Promise<void>((r) => (appended = r));
  const gate = new Promise<void>((r) => (release = r));
  // A appends first and commits late; B appends after it and would commit at once.
  const a = store.db.transaction().execute(async (tx) => {
    await appendWorkspaceFacts(tx, ws.id, [{ type: 'profile.changed', profileId: 'A' }]);
    appended();
    await gate;
  });
  await aAppended;
  const b = store.db.transaction().execute((tx) => appendWorkspaceFacts(tx, ws.id, [{ type: 'profile.changed', profileId: 'B' }]));
  await new Promise((r) => setTimeout(r, 200));
  // A reader in between (on SQLite it waits for A's transaction, on PostgreSQL it reads).
  const between = bus.catchUp();
  await new Promise((r) => setTimeout(r, 200));
  release();
  await Promise.all([a, b, between]);
  await bus.catchUp();
  await bus.stop();
  assert.deepEqual(seen, ['A', 'B']);
});

function child(...args: string[]): ChildProcess & { output: () => string } {
  const c = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/bus-child.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  return Object.assign(c, { output: () => out });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode != null || c.signalCode ? r(c.exitCode) : c.once('exit', (code) => r(code))));

forEachBackend('bus: a durable consumer killed mid-stream (and on PostgreSQL, two processes of it) sees every fact once, in commit order', async (store, backend) => {
  const url = connectionOf(store);
  const ws = await createWorkspace(store.db, 'Bus');
  await sql.raw(backend === 'postgres'
    ? 'create table bus_seen (seq bigserial primary key, position bigint not null, fact text not null, pid integer not null)'
    : 'create table bus_seen (seq integer primary key autoincrement, position bigint not null, fact text not null, pid integer not null)').execute(store.db);
  const seenCount = async () => Number((await sql<{ n: number }>`select count(*) as n from bus_seen`.execute(store.db)).rows[0].n);
  // On PostgreSQL two processes write at once, so commits interleave; and two consume.
  const writers = backend === 'postgres' ? ['p', 'q'] : ['p'];
  const producers = writers.map((tag) => child('produce', url, ws.id, tag, '40'));
  const consumers = (backend === 'postgres' ? [1, 2] : [1]).map(() => child('consume', url));
  const all = [...producers, ...consumers];
  try {
    const victim = consumers[0];
    const seenBy = async (pid: number) => Number((await sql<{ n: number }>`select count(*) as n from bus_seen where pid = ${pid}`.execute(store.db)).rows[0].n);
    await until('the consumer is part-way', async () => ((await seenBy(victim.pid!)) >= 10 ? true : null), 60_000);
    victim.kill('SIGKILL');
    await exited(victim);
    // Mid-stream: facts were left to consume at the kill, already in the log or still to be
    // written (consumers keeping pace with the producers can be idle at that instant).
    const stillWriting = producers.some((p) => p.exitCode === null && p.signalCode === null);
    assert.ok(stillWriting || (await seenCount()) < (await wholeLog(store)).length, 'killed part-way through the stream');
    const replacement = child('consume', url);
    all.push(replacement);
    for (const p of producers) assert.equal(await exited(p), 0, p.output());
    const total = (await wholeLog(store, ws.id)).length;
    await until('the consumers caught up', async () => ((await seenCount()) >= total ? true : null), 60_000);
    assert.ok((await seenBy(victim.pid!)) < total, 'the killed process saw only part of the log');
    // Settled: nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    const log = await wholeLog(store);
    const seen = (await sql<{ position: number; fact: string; pid: number }>`select position, fact, pid from bus_seen order by seq`.execute(store.db)).rows;
    assert.equal(seen.length, log.length, 'each fact once');
    seen.forEach((r, i) => {
      assert.equal(Number(r.position), log[i].position, `fact ${i} in commit order`);
      assert.equal(r.fact, encodeFacts([log[i].fact]), `fact ${i} as committed`);
    });
    const pids = new Set(seen.map((r) => r.pid));
    assert.ok(pids.has(victim.pid!) && (backend === 'postgres' || pids.has(replacement.pid!)), 'the killed process did part of it, and the rest was done by the others');
    assert.ok(log.some((l) => l.fact.type === 'profile.merged'), 'merges too');
  } catch (err) {
    (err as Error).message += `\n${all.map((c, i) => `process ${i}:\n${c.output()}`).join('\n')}`;
    throw err;
  } finally {
    for (const c of all) if (c.exitCode == null && !c.signalCode) c.kill('SIGKILL');
    await Promise.all(all.map(exited));
  }
});
