/**
 * One message that cannot be projected must not stop projection for anyone (issue 11, defect 0).
 * The fault is a real one the validator knows nothing about: a database trigger that refuses one
 * userId's events, on the write path's own connection.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';
import type { Store } from '../src/store/db.ts';

async function plantFault(store: Store): Promise<void> {
  if (store.backend === 'sqlite') {
    await sql.raw(`create trigger poison before insert on events when new.user_id like 'poison%' begin select raise(abort, 'injected fault'); end`).execute(store.db);
  } else {
    await sql.raw(`create function poison() returns trigger language plpgsql as $$ begin if new.user_id like 'poison%' then raise exception 'injected fault'; end if; return new; end $$`).execute(store.db);
    await sql.raw('create trigger poison before insert on events for each row execute function poison()').execute(store.db);
  }
}

async function removeFault(store: Store): Promise<void> {
  await sql.raw('drop trigger poison' + (store.backend === 'postgres' ? ' on events' : '')).execute(store.db);
}

/** Milliseconds until the profile of `userId` can be read, polling the API directly (no settle). */
async function untilProfile(s: TestServer, key: string, userId: string, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await fetch(`${s.url}/api/v1/profiles?userId=${encodeURIComponent(userId)}`, { headers: { authorization: basic(key) } });
    await r.arrayBuffer();
    if (r.status === 200) return performance.now() - started;
    const spent = performance.now() - started;
    if (spent > withinMs) throw new Error(`${userId} was not on a profile after ${Math.round(spent)} ms (last status ${r.status})`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

forEachBackend('a message that fails projection is set aside; the rest go on, in order, and it can be replayed', async (store) => {
  const s = await startServer(store);
  try {
    await s.call('POST', '/v1/track', s.ws.writeKey, { userId: 'warm-up', event: 'E' });
    await s.settle();
    await plantFault(store);

    // A single poisoned event, then a normal one right behind it: the normal one is on its profile within a second.
    assert.equal((await s.call('POST', '/v1/track', s.ws.writeKey, { userId: 'poison-1', event: 'E', messageId: 'p-1' })).status, 200);
    assert.equal((await s.call('POST', '/v1/track', s.ws.writeKey, { userId: 'normal-1', event: 'E', messageId: 'n-1' })).status, 200);
    const took = await untilProfile(s, s.ws.secretKey, 'normal-1', 1_000);
    assert.ok(took <= 1_000, `${took} ms`);

    // The same inside one batch, around the poisoned message, and in another workspace meanwhile.
    const batch = await s.call('POST', '/v1/batch', s.ws.writeKey, {
      batch: [
        { type: 'identify', userId: 'before', traits: { name: 'Before' }, messageId: 'b-1' },
        { type: 'track', userId: 'poison-2', event: 'E', messageId: 'p-2' },
        { type: 'track', userId: 'before', event: 'After The Poison', messageId: 'b-2' },
      ],
    });
    assert.equal(batch.status, 200);
    assert.equal((await s.call('POST', '/v1/track', s.other.writeKey, { userId: 'elsewhere', event: 'E' })).status, 200);
    await untilProfile(s, s.other.secretKey, 'elsewhere', 1_000);
    await untilProfile(s, s.ws.secretKey, 'before', 1_000);
    const before = await s.call('GET', '/api/v1/profiles?userId=before', s.ws.secretKey);
    assert.equal(before.json.traits?.name ?? before.json.profile?.traits?.name, 'Before', before.text);
    const timeline = await s.call('GET', `/api/v1/profiles/${before.json.id ?? before.json.profile.id}/timeline`, s.ws.secretKey);
    assert.match(timeline.text, /After The Poison/);

    // An answer whose projection fails is a clear server error that says where the answer went.
    const answer = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'poison-3' }, score: 9, comment: 'kept', messageId: 'p-3' });
    assert.equal(answer.status, 500, answer.text);
    assert.match(answer.json.message, /could not be put on its profile; it is kept as ingestion error ierr_/);

    // All three are set aside with the reason, readable, and nobody else's.
    const listed = await s.call('GET', '/api/v1/ingestion-errors?kind=projection', s.ws.secretKey);
    assert.deepEqual(listed.json.items.map((e: any) => e.messageId).sort(), ['p-1', 'p-2', 'p-3'], listed.text);
    for (const e of listed.json.items) {
      assert.equal(e.kind, 'projection');
      assert.equal(e.replayable, true);
      assert.match(e.error, /injected fault/);
    }
    assert.equal((await s.call('GET', '/api/v1/ingestion-errors', s.other.secretKey)).json.items.length, 0);
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=poison-1', s.ws.secretKey)).status, 404);
    assert.equal((await s.call('GET', '/api/v1/ingestion/status', s.ws.secretKey)).json.pending, 0);

    // Once the cause is gone, a replay puts them where they belong; the errors go.
    await removeFault(store);
    const p3 = listed.json.items.find((e: any) => e.messageId === 'p-3');
    assert.equal((await s.call('POST', `/api/v1/ingestion-errors/${p3.id}/replay`, s.other.secretKey)).status, 404);
    for (const e of listed.json.items) {
      const r = await s.call('POST', `/api/v1/ingestion-errors/${e.id}/replay`, s.ws.secretKey);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, 'stored');
    }
    assert.equal((await s.call('GET', '/api/v1/ingestion-errors?kind=projection', s.ws.secretKey)).json.items.length, 0);
    for (const u of ['poison-1', 'poison-2', 'poison-3']) assert.equal((await s.call('GET', `/api/v1/profiles?userId=${u}`, s.ws.secretKey)).status, 200, u);
    const answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.find((a: any) => a.messageId === 'p-3')?.comment, 'kept');
    // A message refused by validation is not replayable.
    await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: [{ type: 'track', userId: 'x', event: 'E' }, { type: 'track', event: 'no id' }] });
    const rejected = (await s.call('GET', '/api/v1/ingestion-errors?kind=rejected', s.ws.secretKey)).json.items[0];
    assert.equal((await s.call('POST', `/api/v1/ingestion-errors/${rejected.id}/replay`, s.ws.secretKey)).status, 409);
  } finally {
    await s.close();
  }
});
