import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { buildApp } from '../src/http/app.ts';
import { addSuppression, erasedAddress, isErasedAddress, removeSuppression, suppressionsFor } from '../src/store/contacts.ts';
import type { Store } from '../src/store/db.ts';
import type { EventWriter } from '../src/store/writer.ts';
import { forEachBackend } from './helpers/backends.ts';
import { keyedCaller, startServer, workspaceWithKeys, type TestServer } from './helpers/server.ts';
import { addUser, signIn } from './helpers/sign-in.ts';

/**
 * Everything one person sent, as sent and as stored: what must be nowhere after their erasure.
 * The comment has quotes, so its JSON-escaped form (inside payloads) differs from its text.
 */
function person(tag: string) {
  return {
    userId: `user-${tag}-7Q2X`,
    anonymousId: `anon-${tag}-K9WD`,
    email: `${tag}.Quill+erasure@Example.com`,
    emailStored: `${tag.toLowerCase()}.quill+erasure@example.com`,
    phone: tag === 'erin' ? '+1 (555) 010-7788' : '+1 (555) 010-6655',
    phoneStored: tag === 'erin' ? '+15550107788' : '+15550106655',
    /** As typed into a message that could not be stored. */
    phoneTyped: tag === 'erin' ? '+1 555 010 7788' : '+1 555 010 6655',
    comment: `Courier "Zebra-Falcon-${tag}" lost my parcel`,
    /** A phrase of the comment, so that a copy of part of it is found too. */
    phrase: `Zebra-Falcon-${tag}`,
  };
}
type Person = ReturnType<typeof person>;

/** The byte strings that must not survive: every identifier as sent, as stored, and the comment as text and as JSON. */
function needles(p: Person): string[] {
  const comment = JSON.stringify(p.comment).slice(1, -1);
  return [p.userId, p.anonymousId, p.email, p.emailStored, p.phone, p.phoneStored, p.phoneTyped, p.comment, comment, p.phrase];
}

/** A person with all the kinds of data the API takes: traits, events, an answer with a comment, a failed message, a survey scheduled, an unsubscribe. */
async function ingest(s: TestServer, p: Person) {
  const w = s.ws.writeKey;
  const ok = (r: { status: number; text: string }) => assert.equal(r.status, 200, r.text);
  // A visitor and a signed-up user, two profiles until identify joins them (a merge).
  ok(await s.call('POST', '/v1/track', w, { anonymousId: p.anonymousId, event: 'Product Viewed', properties: { sku: 'sku-1' } }));
  ok(await s.call('POST', '/v1/track', w, { userId: p.userId, event: 'Signed Up' }));
  await s.settle();
  ok(await s.call('POST', '/v1/identify', w, { userId: p.userId, anonymousId: p.anonymousId, traits: { email: p.email, phone: p.phone, name: 'Quill', plan: 'pro' } }));
  ok(await s.call('POST', '/v1/track', w, { userId: p.userId, event: 'Order Completed', properties: { revenue: 42, contactEmail: p.email } }));
  // Two messages that cannot be stored, kept as ingestion errors: one names the person by userId
  // and email, the other only by a differently written phone number.
  const batch = await s.call('POST', '/v1/batch', w, {
    batch: [
      // Real batches run to tens of KB: this one spills into SQLite overflow pages, which are freed whole after projection.
      { type: 'page', userId: p.userId, name: 'Pricing', properties: { padding: 'x'.repeat(20_000) } },
      { type: 'track', userId: p.userId, event: 'NPS Survey Responded', messageId: `bad-score-${p.userId}`, properties: { score: 7.5, email: p.email } },
      { type: 'wat', messageId: `bad-type-${p.userId}`, context: { traits: { phone: p.phoneTyped } } },
    ],
  }, { accept: 'application/json' });
  ok(batch);
  // A client retrying: the message is stored once, and the redelivered copy is not kept either.
  const again = { batch: [{ type: 'track', userId: p.userId, event: 'Checkout Started', messageId: `retry-${p.userId}`, properties: { contactEmail: p.email } }] };
  ok(await s.call('POST', '/v1/batch', w, again));
  await s.settle();
  ok(await s.call('POST', '/v1/batch', w, again));
  assert.equal(batch.json.rejected.length, 2, batch.text);
  // A survey scheduled for later (a contact with a pending send job), then the person unsubscribes.
  const scheduled = await s.call('POST', '/v1/people', s.ws.secretKey, { email: p.email, delay: 3600 });
  assert.ok(scheduled.status === 200 || scheduled.status === 201, scheduled.text);
  assert.ok(scheduled.json.survey_scheduled_at, scheduled.text);
  const answer = await s.call('POST', '/api/v1/answers', w, { person: { userId: p.userId }, score: 2, channel: 'email', comment: p.comment });
  assert.equal(answer.status, 201, answer.text);
  ok(await s.call('POST', '/v1/unsubscribes', s.ws.secretKey, { person_email: p.email }));
  await s.settle();
  const profile = await s.call('GET', `/api/v1/profiles?userId=${encodeURIComponent(p.userId)}`, s.ws.secretKey);
  assert.equal(profile.status, 200, profile.text);
  return profile.json.id as string;
}

type Found = { needle: string; where: string };

/** Which needles occur in the SQLite files (database, WAL, shared memory), compared case-insensitively. */
function inSqliteFiles(file: string, list: string[]): Found[] {
  const found: Found[] = [];
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path).toString('latin1').toLowerCase();
    for (const n of list) if (bytes.includes(Buffer.from(n, 'utf8').toString('latin1').toLowerCase())) found.push({ needle: n, where: path.slice(file.length) || '.db' });
  }
  return found;
}

/** Which needles occur in any column of any row of any table of the PostgreSQL database, each value read as text. */
async function inPostgresTables(store: Store, list: string[]): Promise<Found[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'`.execute(store.db);
  const byTable = new Map<string, string[]>();
  for (const c of columns.rows) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  assert.ok(byTable.size > 20, 'every table is listed');
  const found: Found[] = [];
  for (const [table, cols] of byTable) {
    const values = sql.join(cols.map((c) => sql`${sql.ref(c)}::text`));
    const rows = await sql<Record<string, string | null>>`select ${values} from ${sql.table(table)}`.execute(store.db);
    for (const row of rows.rows) {
      for (const value of Object.values(row)) {
        if (value == null) continue;
        for (const n of list) if (value.toLowerCase().includes(n.toLowerCase())) found.push({ needle: n, where: table });
      }
    }
  }
  return found;
}

const leftOf = (store: Store, list: string[]): Promise<Found[]> => (store.backend === 'sqlite' ? Promise.resolve(inSqliteFiles(store.location, list)) : inPostgresTables(store, list));

forEachBackend('erasure: DELETE /api/v1/profiles/:id leaves no byte of the person in the database, and the opt-out still holds', async (store) => {
  const s = await startServer(store);
  let closed = false;
  try {
    const erin = person('erin');
    const frank = person('frank');
    const erinId = await ingest(s, erin);
    await ingest(s, frank);
    // The check sees every one of them while they are there.
    const seen = async (p: Person) => new Set((await leftOf(store, needles(p))).map((f) => f.needle));
    const seenErin = await seen(erin);
    assert.deepEqual(needles(erin).filter((n) => !seenErin.has(n)), []);

    // Another workspace's key cannot erase her, by id or by identifier.
    assert.equal((await s.call('DELETE', `/api/v1/profiles/${erinId}`, s.other.secretKey)).status, 404);
    assert.equal((await s.call('DELETE', `/api/v1/profiles?email=${encodeURIComponent(erin.email)}`, s.other.secretKey)).status, 404);
    // A public write key cannot erase anyone.
    assert.equal((await s.call('DELETE', `/api/v1/profiles/${erinId}`, s.ws.writeKey)).status, 403);

    // An event accepted just before the erasure must not bring her back.
    assert.equal((await s.call('POST', '/v1/track', s.ws.writeKey, { userId: erin.userId, event: 'Page Scrolled', properties: { by: erin.email } })).status, 200);
    const erased = await s.call('DELETE', `/api/v1/profiles/${erinId}`, s.ws.secretKey);
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.json.profileId, erinId);
    assert.equal(erased.json.profileIds.length, 2, 'her anonymous profile, merged into her, goes too');
    const d = erased.json.deleted;
    for (const table of ['profiles', 'identities', 'events', 'answers', 'trait_changes', 'merges', 'contacts', 'jobs', 'ingestion_errors']) {
      assert.ok(d[table] > 0, `${table}: ${erased.text}`);
    }
    assert.equal(d.ingestion_errors, 2, erased.text);
    assert.equal(erased.json.unsubscribesKept, 1, erased.text);
    assert.equal(erased.json.walTruncated, store.backend === 'sqlite' ? true : null);
    await s.settle();
    assert.equal((await s.call('GET', `/api/v1/profiles/${erinId}`, s.ws.secretKey)).status, 404);
    assert.equal((await s.call('GET', `/api/v1/profiles?userId=${encodeURIComponent(erin.userId)}`, s.ws.secretKey)).status, 404);
    assert.equal((await s.call('DELETE', `/api/v1/profiles/${erinId}`, s.ws.secretKey)).status, 404, 'gone already');

    // While the server runs (the WAL checkpointed after the erasure) ...
    assert.deepEqual(await leftOf(store, needles(erin)), []);
    // ... while the other person is all there, which shows the check reads the data.
    const seenFrank = await seen(frank);
    assert.deepEqual(needles(frank).filter((n) => !seenFrank.has(n)), []);

    // The opt-out holds without her address being readable: she is still unsubscribed if she comes back.
    const kept = await suppressionsFor(store.db, s.ws.id, null, [erin.emailStored]);
    assert.deepEqual(kept.map((k) => [k.kind, k.address]), [['unsubscribe', erin.emailStored]]);
    const listed = (await s.call('GET', '/v1/unsubscribes', s.ws.secretKey)).json;
    assert.deepEqual(listed.map((u: any) => u.email).sort((a: any, b: any) => String(a).localeCompare(String(b))), [frank.emailStored, null]);
    assert.equal(listed.find((u: any) => u.email === null).person_id, null);
    assert.deepEqual(await suppressionsFor(store.db, s.other.id, null, [erin.emailStored]), [], 'only in her workspace');

    // After a normal stop.
    await s.close();
    closed = true;
    assert.deepEqual(await leftOf(store, needles(erin)), []);
  } finally {
    if (!closed) await s.close();
  }
});

forEachBackend('erasure: by identifier, with 400 naming the field and 404 for nobody; admins only on the dashboard', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const k = s.ws.secretKey;
    for (const [id, traits] of [['by-user', {}], ['by-email', { email: 'Ann@Example.com' }], ['by-phone', { phone: '+44 20 7946 0018' }]] as const) {
      assert.equal((await s.call('POST', '/v1/identify', w, { userId: id, traits })).status, 200);
    }
    assert.equal((await s.call('POST', '/v1/track', w, { anonymousId: 'visitor-1', event: 'Page Viewed' })).status, 200);
    await s.settle();

    for (const [query, field] of [['', 'querystring'], ['?email=a@example.com&phone=%2B15550100000', 'querystring'], ['?email=not-an-address', 'email'], ['?phone=12', 'phone'], ['?nickname=ann', 'querystring.nickname']] as const) {
      const r = await s.call('DELETE', `/api/v1/profiles${query}`, k);
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.equal(r.json.field, field, `${query}: ${r.text}`);
    }
    const nobody = await s.call('DELETE', '/api/v1/profiles?email=nobody@example.com', k);
    assert.equal(nobody.status, 404);
    assert.match(nobody.json.message, /email/);

    // An analyst may change much, but not erase people; an admin may.
    const analystUser = await addUser(store, s.ws.id, 'analyst');
    const analyst = await signIn(s, analystUser.email, analystUser.password);
    assert.equal((await analyst.call('DELETE', '/api/v1/profiles?userId=by-user')).status, 403);
    const adminUser = await addUser(store, s.ws.id, 'admin');
    const admin = await signIn(s, adminUser.email, adminUser.password);
    const byUser = await admin.call('DELETE', '/api/v1/profiles?userId=by-user');
    assert.equal(byUser.status, 200, byUser.text);
    assert.equal(byUser.json.deleted.profiles, 1);

    for (const query of ['email=ann%40example.com', 'phone=%2B442079460018', 'anonymousId=visitor-1']) {
      const r = await s.call('DELETE', `/api/v1/profiles?${query}`, k);
      assert.equal(r.status, 200, `${query}: ${r.text}`);
      assert.equal(r.json.deleted.profiles, 1, query);
      assert.equal((await s.call('DELETE', `/api/v1/profiles?${query}`, k)).status, 404, `${query}: gone`);
    }
    for (const id of ['by-user', 'by-email', 'by-phone']) assert.equal((await s.call('GET', `/api/v1/profiles?userId=${id}`, k)).status, 404, id);
  } finally {
    await s.close();
  }
});

forEachBackend('erasure: the opt-out is kept as a keyed hash that holds on every channel, survives a second erasure, and START lifts', async (store) => {
  const s = await startServer(store);
  try {
    const k = s.ws.secretKey;
    const email = 'ida@example.com';
    const phone = '+15550109911';
    assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'ida', traits: { email, phone } })).status, 200);
    await s.settle();
    const profileId = (await s.call('GET', '/api/v1/profiles?userId=ida', k)).json.id as string;
    assert.equal((await s.call('POST', '/v1/unsubscribes', k, { person_email: email })).status, 200);
    await addSuppression(store.db, s.ws.id, { kind: 'unsubscribe', channel: 'sms', address: phone, profileId, source: 'replied STOP', detail: 'texted "STOP"' });
    const survey = (await s.call('POST', '/api/v1/surveys', k, { name: 'NPS' })).json.survey;
    const eligibility = async (channel: string, q: string) => (await s.call('GET', `/api/v1/eligibility?surveyId=${survey.id}&channel=${channel}&${q}`, k)).json;

    const first = await s.call('DELETE', `/api/v1/profiles?phone=${encodeURIComponent(phone)}`, k);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.unsubscribesKept, 2);
    const rows = async () => store.db.selectFrom('suppressions').selectAll().where('workspace_id', '=', s.ws.id).orderBy('address').execute();
    const kept = await rows();
    assert.deepEqual(kept.map((r) => [r.kind, r.channel, isErasedAddress(r.address), r.profile_id, r.detail]).sort(), [['unsubscribe', 'email', true, null, null], ['unsubscribe', 'sms', true, null, null]]);
    for (const r of kept) assert.ok(!r.address.includes(email) && !r.address.includes(phone.slice(1)), r.address);
    // The hash is keyed per workspace: the same address elsewhere is nobody's opt-out.
    assert.notEqual(erasedAddress('another secret', email), kept.find((r) => r.channel === 'email')!.address);

    // Asked again by either address, she is not asked: the reason names the address she gave.
    assert.equal((await eligibility('email', `email=${email}`)).code, 'unsubscribed', JSON.stringify(await eligibility('email', `email=${email}`)));
    assert.equal((await eligibility('sms', `phone=${encodeURIComponent('+1 555 010 9911')}`)).code, 'unsubscribed');

    // Back, unsubscribed again and erased again: still one opt-out per address.
    assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'ida', traits: { email } })).status, 200);
    await s.settle();
    assert.equal((await s.call('POST', '/v1/unsubscribes', k, { person_email: email })).status, 200);
    assert.equal((await rows()).length, 3, 'a new unsubscribe, with the address, beside the hashed one');
    const second = await s.call('DELETE', `/api/v1/profiles?email=${email}`, k);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.unsubscribesKept, 1);
    assert.deepEqual((await rows()).map((r) => r.id), kept.map((r) => r.id), 'the first records stand');

    // START from the number lifts the opt-out, hashed as it is.
    assert.equal(await removeSuppression(store.db, s.ws.id, phone, 'unsubscribe'), true);
    assert.deepEqual(await suppressionsFor(store.db, s.ws.id, null, [phone]), []);
    assert.equal((await suppressionsFor(store.db, s.ws.id, null, [email])).length, 1);
  } finally {
    await s.close();
  }
});

forEachBackend('erasure: when events accepted before it are not stored in time, 429 with Retry-After rather than an erasure that would miss them', async (store) => {
  const ws = await workspaceWithKeys(store, 'Behind');
  // A writer that never gets to its inbox: what it accepted stays unprojected.
  const stuck = () => new Promise<never>(() => {});
  const writer: EventWriter = { write: stuck, acceptBatch: stuck, apply: stuck, settled: stuck, drain: async () => {}, close: async () => {}, pending: async () => 1, onProjected: null };
  const { app } = await buildApp({ store, writer, jobs: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const settle = process.env.ADVOCATE_ERASE_SETTLE_MS;
  process.env.ADVOCATE_ERASE_SETTLE_MS = '300';
  try {
    const call = keyedCaller(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, { settled: async () => {} });
    await store.db.insertInto('inbox').values({ id: 'inb_0', workspace_id: ws.id, received_at: Date.now(), count: 1, format: 'events', skip: null }).execute();
    const r = await call('DELETE', '/api/v1/profiles?userId=late', ws.secretKey);
    assert.equal(r.status, 429, r.text);
    assert.equal(r.headers.get('retry-after'), '5');
    assert.match(r.json.message, /Retry/);
    assert.equal((await store.db.selectFrom('inbox').select('id').execute()).length, 1);
  } finally {
    if (settle == null) delete process.env.ADVOCATE_ERASE_SETTLE_MS;
    else process.env.ADVOCATE_ERASE_SETTLE_MS = settle;
    await app.close();
  }
});
