/**
 * Identity resolution does not depend on the order messages arrive in (issue 11, defect 1).
 *
 * Random streams of identify / track / answer / alias over a small pool of userIds, anonymousIds,
 * emails and phones are replayed in many random orders, in random chunks (so both the in-batch and
 * the across-batch paths run), each order in a workspace of its own. Every order must give the
 * grouping the rule gives for the set of messages as a whole (domain/identity.ts groupIdentifiers),
 * so every order gives the same grouping, and two userIds are never one person without an alias.
 * Every event must also sit on the profile of its userId, or of its soft ids when it has none.
 *
 * ADVOCATE_IDENTITY_SEED=<n> replays a failing run; ADVOCATE_IDENTITY_ORDERS sets the orders per backend.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { groupIdentifiers, identifierKey, type IdentityMessage } from '../src/domain/identity.ts';
import { Random } from '../src/domain/random.ts';
import type { IngestEvent } from '../src/domain/event.ts';
import { parseMessage, readSpecBatch } from '../src/ingest/segment-spec.ts';
import type { Store } from '../src/store/db.ts';
import { Writer } from '../src/store/writer.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

const SEED = Number(process.env.ADVOCATE_IDENTITY_SEED ?? Date.now() % 1_000_000);
const ORDERS = Number(process.env.ADVOCATE_IDENTITY_ORDERS ?? 200);
const ORDERS_PER_STREAM = 5;

// Some ids are spelled to trip up SQL and array literals (PostgreSQL looks ids up as one array).
const USERS = ['u1', 'NULL', '{u,"3"}\\'];
const ANONS = ['a1', 'a2', "a'3", 'a 4'];
const EMAILS = ['e1@example.com', 'e2@example.com'];
const PHONES = ['+15550000001', '+15550000002'];

function stream(rng: Random, n: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const m: Record<string, unknown> = { messageId: `m${i}`, timestamp: new Date(start + i * 60_000).toISOString() };
    const kind = rng.weighted([['identify', 4], ['track', 3], ['answer', 2], ['alias', 1]] as const);
    if (kind === 'alias') {
      Object.assign(m, { type: 'alias', userId: rng.pick(USERS), previousId: rng.pick([...USERS, ...ANONS]) });
      if (rng.chance(0.3)) m.anonymousId = rng.pick(ANONS);
      out.push(m);
      continue;
    }
    const withUser = rng.chance(0.55);
    if (withUser) m.userId = rng.pick(USERS);
    if (!withUser || rng.chance(0.5)) m.anonymousId = rng.pick(ANONS);
    if (kind === 'identify') {
      const traits: Record<string, unknown> = { name: `n${i}` };
      if (rng.chance(0.5)) traits.email = rng.pick(EMAILS);
      if (rng.chance(0.35)) traits.phone = rng.pick(PHONES);
      Object.assign(m, { type: 'identify', traits });
    } else if (kind === 'track') Object.assign(m, { type: 'track', event: 'Viewed' });
    else Object.assign(m, { type: 'track', event: 'NPS Survey Responded', properties: { score: rng.int(0, 10) } });
    out.push(m);
  }
  return out;
}

function shuffled<T>(rng: Random, list: T[]): T[] {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The grouping stored for a workspace, over the identifiers the rule names, as sorted lists. */
async function storedGrouping(store: Store, workspaceId: string, keys: string[]): Promise<string[][]> {
  const rows = await store.db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('workspace_id', '=', workspaceId).execute();
  const byKey = new Map(rows.map((r) => [identifierKey(r.kind, r.value), r.profile_id]));
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    // A previousId no message carried as a userId is kept as an alias identity.
    const p = byKey.get(k) ?? (k.startsWith('user:') ? byKey.get(`alias:${k.slice(5)}`) : undefined) ?? `missing ${k}`;
    (groups.get(p) ?? groups.set(p, []).get(p)!).push(k);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Every event on the profile of its userId, or, without one, of its soft ids. */
async function eventsWhereTheyBelong(store: Store, workspaceId: string): Promise<string[]> {
  const ids = await store.db.selectFrom('identities').select(['kind', 'value', 'profile_id']).where('workspace_id', '=', workspaceId).execute();
  const profileOf = new Map(ids.map((r) => [identifierKey(r.kind, r.value), r.profile_id]));
  const events = await store.db.selectFrom('events').select(['message_id', 'profile_id', 'user_id', 'anonymous_id', 'email', 'phone']).where('workspace_id', '=', workspaceId).execute();
  const wrong: string[] = [];
  for (const e of events) {
    const expected = e.user_id ? profileOf.get(identifierKey('user', e.user_id))
      : profileOf.get(identifierKey('anon', e.anonymous_id ?? '')) ?? profileOf.get(identifierKey('email', e.email ?? '')) ?? profileOf.get(identifierKey('phone', e.phone ?? ''));
    if (expected !== e.profile_id) wrong.push(`${e.message_id} is on ${e.profile_id}, expected ${expected}`);
  }
  return wrong;
}

forEachBackend(`identity: any order of the same messages gives the same people (seed ${SEED}, ${ORDERS} orders)`, async (store) => {
  const rng = new Random(SEED);
  const writer = new Writer(store, readSpecBatch);
  try {
    const streams = Math.ceil(ORDERS / ORDERS_PER_STREAM);
    for (let s = 0; s < streams; s++) {
      const raw = stream(rng, rng.int(6, 18));
      const receivedAt = Date.UTC(2026, 0, 2);
      const events: IngestEvent[] = raw.map((m) => parseMessage(m, receivedAt));
      const expected = groupIdentifiers(events as IdentityMessage[]);
      const keys = expected.flat();
      for (let o = 0; o < ORDERS_PER_STREAM; o++) {
        const order = o === 0 ? events : shuffled(rng, events);
        const ws = await createWorkspace(store.db, `identity ${s}.${o}`);
        for (let i = 0; i < order.length; ) {
          const size = rng.int(1, order.length - i);
          await writer.write(ws.id, order.slice(i, i + size));
          i += size;
        }
        const context = `seed ${SEED}, stream ${s}, order ${o}: ${order.map((e) => `${e.messageId} ${e.type} u=${e.userId} a=${e.anonymousId} e=${e.email} p=${e.phone} prev=${e.previousId}`).join(' | ')}`;
        assert.deepEqual(await storedGrouping(store, ws.id, keys), expected, context);
        assert.deepEqual(await eventsWhereTheyBelong(store, ws.id), [], context);
      }
    }
  } finally {
    await writer.close();
  }
});

forEachBackend('identity: a shared email does not merge two userIds; the refused link is recorded and readable', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    assert.equal((await s.call('POST', '/v1/identify', w, { userId: 'alice', anonymousId: 'laptop', traits: { email: 'shared@example.com', name: 'Alice' } })).status, 200);
    assert.equal((await s.call('POST', '/v1/track', w, { anonymousId: 'laptop', event: 'Browsed' })).status, 200);
    assert.equal((await s.call('POST', '/v1/identify', w, { userId: 'bob', traits: { email: 'shared@example.com', name: 'Bob' } })).status, 200);
    const answer = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'bob' }, score: 3 });
    assert.equal(answer.status, 201);
    const alice = (await s.call('GET', '/api/v1/profiles?userId=alice', s.ws.secretKey)).json;
    const bob = (await s.call('GET', '/api/v1/profiles?userId=bob', s.ws.secretKey)).json;
    assert.notEqual(alice.id, bob.id);
    assert.equal(alice.traits.name, 'Alice');
    assert.equal(bob.traits.name, 'Bob');
    assert.equal(answer.json.answer.profileId, bob.id);
    assert.deepEqual(alice.identities.map((i: any) => i.kind).sort(), ['anonymousId', 'userId'].sort());
    // The shared email belongs to neither: it is a person of its own, found by the address.
    const shared = (await s.call('GET', '/api/v1/profiles?email=shared@example.com', s.ws.secretKey)).json;
    assert.ok(shared.id !== alice.id && shared.id !== bob.id);
    assert.equal(shared.userId, null);
    // Alice's browsing on her laptop stays hers.
    const timeline = await s.call('GET', `/api/v1/profiles/${alice.id}/timeline`, s.ws.secretKey);
    assert.match(timeline.text, /Browsed/);
    // The decision is on record, on both people.
    const history = await s.call('GET', `/api/v1/profiles/${alice.id}/identity-history`, s.ws.secretKey);
    assert.equal(history.status, 200, history.text);
    assert.ok(history.json.items.some((h: any) => h.status === 'refused' && /shared@example\.com/.test(h.reason) && /bob/.test(h.reason)), history.text);
    // An alias is the explicit statement that joins them.
    assert.equal((await s.call('POST', '/v1/alias', w, { userId: 'alice', previousId: 'bob' })).status, 200);
    await s.settle();
    const joined = (await s.call('GET', '/api/v1/profiles?userId=bob', s.ws.secretKey)).json;
    assert.equal(joined.id, (await s.call('GET', '/api/v1/profiles?userId=alice', s.ws.secretKey)).json.id);
    // With one claimant left, the email is theirs again.
    assert.equal((await s.call('GET', '/api/v1/profiles?email=shared@example.com', s.ws.secretKey)).json.id, joined.id);
  } finally {
    await s.close();
  }
});

it('identity: the rule computed over a set ignores order (the reference itself)', () => {
  const rng = new Random(SEED + 1);
  for (let i = 0; i < 200; i++) {
    const events = stream(rng, rng.int(4, 14)).map((m) => parseMessage(m, Date.UTC(2026, 0, 2)));
    assert.deepEqual(groupIdentifiers(shuffled(rng, events) as IdentityMessage[]), groupIdentifiers(events as IdentityMessage[]));
  }
  // A hand case: a shared email between two userIds is nobody's; one without a userId joins its anonymousId.
  const m = (o: Partial<IdentityMessage>): IdentityMessage => ({ type: 'identify', userId: null, anonymousId: null, email: null, phone: null, previousId: null, ...o });
  assert.deepEqual(groupIdentifiers([
    m({ userId: 'alice', email: 'x@y' }), m({ userId: 'bob', email: 'x@y' }), m({ anonymousId: 'a', email: 'z@y' }), m({ userId: 'bob', anonymousId: 'a' }),
  ]), [['anon:a', 'email:z@y', 'user:bob'], ['email:x@y'], ['user:alice']]);
});
