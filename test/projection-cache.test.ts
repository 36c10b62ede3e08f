/**
 * What projection keeps between transactions (store/projection-cache.ts, SQLite's writer) never
 * changes what it stores: the same messages in the same chunks give the same people, traits,
 * counters and NPS through one long-lived writer as through a fresh writer per chunk, which reads
 * everything back from the database. And a second writer on the same file (an import run beside
 * the server) is seen at once, however the first one kept its people.
 *
 * ADVOCATE_CACHE_SEED=<n> replays a failing run.
 */
import assert from 'node:assert/strict';
import { Random } from '../src/domain/random.ts';
import type { IngestEvent } from '../src/domain/event.ts';
import { parseMessage, readSpecBatch } from '../src/ingest/segment-spec.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { Writer } from '../src/store/writer.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { connectionOf, forEachBackend } from './helpers/backends.ts';

const SEED = Number(process.env.ADVOCATE_CACHE_SEED ?? Date.now() % 1_000_000);

const USERS = ['u1', 'u2', 'u3', "u'4"];
const ANONS = ['a1', 'a2', 'a3', 'a4', 'a5'];
const EMAILS = ['e1@example.com', 'e2@example.com', 'e3@example.com'];

/** A stream that merges, joins components, answers late and repeats messageIds. */
function stream(rng: Random, n: number): IngestEvent[] {
  const start = Date.UTC(2026, 0, 1);
  const out: IngestEvent[] = [];
  for (let i = 0; i < n; i++) {
    // Timestamps out of order now and then: a late answer makes projection recompute NPS.
    const at = start + (rng.chance(0.15) ? rng.int(0, i) : i) * 60_000;
    const m: Record<string, unknown> = { messageId: rng.chance(0.05) && i > 0 ? `m${rng.int(0, i - 1)}` : `m${i}`, timestamp: new Date(at).toISOString() };
    const kind = rng.weighted([['identify', 4], ['track', 3], ['answer', 2], ['order', 1], ['alias', 1]] as const);
    if (kind === 'alias') Object.assign(m, { type: 'alias', userId: rng.pick(USERS), previousId: rng.pick([...USERS, ...ANONS]) });
    else {
      if (rng.chance(0.5)) m.userId = rng.pick(USERS);
      if (!m.userId || rng.chance(0.5)) m.anonymousId = rng.pick(ANONS);
      if (kind === 'identify') {
        const traits: Record<string, unknown> = { plan: rng.pick(['free', 'plus', 'pro']), [`t${rng.int(0, 3)}`]: i };
        if (rng.chance(0.4)) traits.email = rng.pick(EMAILS);
        Object.assign(m, { type: 'identify', traits });
      } else if (kind === 'track') Object.assign(m, { type: 'track', event: 'Viewed', context: { campaign: { name: `c${rng.int(0, 2)}`, source: 's' } } });
      else if (kind === 'order') Object.assign(m, { type: 'track', event: 'Order Completed', properties: { revenue: rng.int(1, 200) } });
      else Object.assign(m, { type: 'track', event: 'NPS Survey Responded', properties: { score: rng.int(0, 10) } });
    }
    out.push(parseMessage(m, start + n * 60_000));
  }
  return out;
}

/** The people of a workspace as a reader sees them, keyed by their identities (ids and write times aside). */
async function people(store: Store, workspaceId: string): Promise<string[]> {
  const ids = await store.db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('workspace_id', '=', workspaceId).execute();
  const names = new Map<string, string[]>();
  for (const r of ids) (names.get(r.profile_id) ?? names.set(r.profile_id, []).get(r.profile_id)!).push(`${r.kind}:${r.value}`);
  const profiles = await store.db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('merged_into', 'is', null).execute();
  const events = await store.db.selectFrom('events').select(['profile_id', 'message_id']).where('workspace_id', '=', workspaceId).execute();
  const eventsOf = new Map<string, string[]>();
  for (const e of events) (eventsOf.get(e.profile_id) ?? eventsOf.set(e.profile_id, []).get(e.profile_id)!).push(e.message_id);
  return profiles
    .map((p) => JSON.stringify({
      identities: (names.get(p.id) ?? []).sort(),
      events: (eventsOf.get(p.id) ?? []).sort(),
      user: p.user_id,
      traits: JSON.parse(p.traits),
      // A split refolds a profile at the time it runs: that moment differs between the two runs.
      seen: [p.first_seen_at, p.last_seen_at].map((t) => (t > Date.UTC(2026, 5, 1) ? 'when projected' : t)),
      orders: [p.order_count, p.revenue, p.first_order_at, p.last_order_at],
      nps: [p.nps_score, p.nps_category, p.nps_answered_at, p.nps_prev_score],
      campaign: [p.last_campaign, p.last_utm_source],
    }))
    .sort();
}

forEachBackend(`projection cache: one writer across chunks stores what a fresh writer per chunk stores (seed ${SEED})`, async (store) => {
  const rng = new Random(SEED);
  const kept = new Writer(store, readSpecBatch);
  try {
    for (let s = 0; s < 25; s++) {
      const events = stream(rng, rng.int(10, 40));
      const chunks: IngestEvent[][] = [];
      for (let i = 0; i < events.length; ) {
        const size = rng.int(1, Math.min(8, events.length - i));
        chunks.push(events.slice(i, i + size));
        i += size;
      }
      const a = await createWorkspace(store.db, `kept ${s}`);
      const b = await createWorkspace(store.db, `fresh ${s}`);
      for (const chunk of chunks) await kept.write(a.id, chunk);
      for (const chunk of chunks) {
        const fresh = new Writer(store, readSpecBatch);
        await fresh.write(b.id, chunk);
        await fresh.close();
      }
      assert.deepEqual(await people(store, a.id), await people(store, b.id), `seed ${SEED}, stream ${s}`);
    }
  } finally {
    await kept.close();
  }
});

forEachBackend('projection cache: a second writer on the same database is seen by the first at once', async (store) => {
  const other = openStore({ url: connectionOf(store), file: connectionOf(store) });
  const first = new Writer(store, readSpecBatch);
  const second = new Writer(other, readSpecBatch);
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
  const msg = (i: number, m: Record<string, unknown>) => parseMessage({ messageId: `m${i}`, timestamp: at(i), ...m }, Date.UTC(2026, 0, 2));
  try {
    const ws = (await createWorkspace(store.db, 'two writers')).id;
    await first.write(ws, [msg(1, { type: 'identify', userId: 'ann', anonymousId: 'tab', traits: { plan: 'free' } })]);
    await first.write(ws, [msg(2, { type: 'identify', anonymousId: 'phone', traits: { device: 'phone' } })]);
    // The other writer changes Ann's traits and joins the phone to her.
    await second.write(ws, [msg(3, { type: 'identify', userId: 'ann', anonymousId: 'phone', traits: { plan: 'pro' } })]);
    // The first writer's next message for Ann must land on what the second left.
    await first.write(ws, [msg(4, { type: 'track', anonymousId: 'phone', event: 'Viewed' }), msg(5, { type: 'identify', userId: 'ann', traits: { seen: true } })]);
    const rows = await store.db.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('merged_into', 'is', null).execute();
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual(JSON.parse(rows[0].traits), { plan: 'pro', device: 'phone', seen: true });
    assert.equal(rows[0].last_seen_at, Date.parse(at(5)));
    const events = await store.db.selectFrom('events').select(['message_id', 'profile_id']).where('workspace_id', '=', ws).execute();
    assert.deepEqual(new Set(events.map((e) => e.profile_id)), new Set([rows[0].id]));
    assert.equal(events.length, 5);
  } finally {
    await first.close();
    await second.close();
    await other.close();
  }
});
