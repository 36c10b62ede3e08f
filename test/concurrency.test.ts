import assert from 'node:assert/strict';
import { openStore, type Store } from '../src/store/db.ts';
import { parseMessage, readSpecBatch } from '../src/ingest/segment-spec.ts';
import { Writer } from '../src/store/writer.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend } from './helpers/backends.ts';

// Two writers on one database, as two API processes would be on PostgreSQL (on SQLite, two writers
// in one process stand in for that): the same messages delivered to both, interleaved, must end
// up stored once, on one profile per person, with every order counted once.
forEachBackend('two writers sharing one database store every message exactly once', async (store, backend) => {
  // The test cluster trusts local connections, so its URL carries no password to mask.
  const second: Store = backend === 'postgres' ? openStore({ url: store.location }) : store;
  const writers = [new Writer(store, readSpecBatch), new Writer(second, readSpecBatch)];
  try {
    const ws = await createWorkspace(store.db, 'shared');
    const now = Date.now();
    const messages = Array.from({ length: 600 }, (_, i) => {
      const person = i % 40;
      const m =
        i < 40
          ? { type: 'identify', userId: `user-${person}`, anonymousId: `anon-${person}`, traits: { n: i } }
          : i % 3 === 0
            ? { type: 'track', anonymousId: `anon-${person}`, event: 'Order Completed', properties: { revenue: 1 } }
            : { type: 'track', userId: `user-${person}`, event: 'Viewed', properties: { i } };
      return { ...m, messageId: `m-${i}`, timestamp: new Date(now - (600 - i) * 1000).toISOString() };
    });
    const batches: Array<Array<(typeof messages)[number]>> = [];
    for (let i = 0; i < messages.length; i += 50) batches.push(messages.slice(i, i + 50));
    // Every batch goes to both writers, in a different order on each: redelivery under contention.
    await Promise.all([
      ...batches.map((b) => writers[0].write(ws.id, b.map((m) => parseMessage(m, now)), [], { wait: 'accepted' })),
      ...[...batches].reverse().map((b) => writers[1].write(ws.id, b.map((m) => parseMessage(m, now)), [], { wait: 'accepted' })),
    ]);
    await Promise.all(writers.map((w) => w.settled()));
    await Promise.all(writers.map((w) => w.settled()));

    const db = store.db;
    const events = await db.selectFrom('events').select(['message_id', 'profile_id']).where('workspace_id', '=', ws.id).execute();
    assert.equal(events.length, 600, 'each message once');
    assert.equal(new Set(events.map((e) => e.message_id)).size, 600);
    assert.ok(events.every((e) => e.profile_id !== ''), 'all projected');
    const live = await db.selectFrom('profiles').select(['id', 'order_count']).where('workspace_id', '=', ws.id).where('merged_into', 'is', null).execute();
    assert.equal(live.length, 40, 'one profile per person');
    const orders = messages.filter((m) => m.type === 'track' && (m as { event?: string }).event === 'Order Completed').length;
    assert.equal(live.reduce((s, p) => s + p.order_count, 0), orders);
    const ids = await db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('workspace_id', '=', ws.id).execute();
    assert.equal(ids.length, 80);
    const liveIds = new Set(live.map((p) => p.id));
    assert.ok(ids.every((i) => liveIds.has(i.profile_id)), 'identities point at surviving profiles');
  } finally {
    await Promise.all(writers.map((w) => w.close()));
    if (second !== store) await second.close();
  }
});
