import { forgetAnswerTexts } from './answer-texts.ts';
import { blankBatchMessages } from './batches.ts';
import { dialectOf } from './dialect.ts';
import { AppError } from '../domain/errors.ts';
import { mentionsPerson, type PersonIdentifiers } from '../domain/mentions.ts';
import { SEND_JOB } from '../domain/jobs.ts';
import type { Fact } from '../domain/facts.ts';
import { appendWorkspaceFacts } from './facts.ts';
import { addressSecret, erasedAddress, isErasedAddress } from './contacts.ts';
import type { EventWriter } from './writer.ts';
import { toJson, writeTransaction, type Db, type Store } from './db.ts';

type ErasedTable = 'profiles' | 'identities' | 'events' | 'answers' | 'trait_changes' | 'merges' | 'contacts' | 'jobs' | 'profile_groups' | 'suppressions' | 'churn_scores' | 'ingestion_errors';

/** What an erasure removed, per table (unsubscribes are kept as a keyed hash: see deleteProfile). */
export interface Erasure {
  profileId: string;
  /** The profile and every profile that was merged into it. */
  profileIds: string[];
  deleted: Record<ErasedTable, number>;
  /** Unsubscribes kept, with the address replaced by its keyed hash and the link to the person removed. */
  unsubscribesKept: number;
  /** SQLite: whether the write-ahead log was emptied after the erasure (null on PostgreSQL). */
  walTruncated?: boolean | null;
}

/** Erasure waits for events accepted before it; past this it gives up with 429 rather than miss them. */
const settleMs = () => Number(process.env.ADVOCATE_ERASE_SETTLE_MS ?? 10_000);

/** Retry later (429 with Retry-After): events accepted before the erasure are still waiting to reach profiles. */
const ingestionBehind = () => new AppError('rate_limited', 'Events accepted before this erasure are still being stored; erasing now would miss them. Retry in a few seconds', { headers: { 'retry-after': '5' } });

/**
 * The one way to erase a person, for every route that erases: waits until the events this workspace
 * accepted before the call are on profiles (they would otherwise make the person anew), then finds
 * the profile with `locate`, has the writer delete it everywhere (deleteProfile) and, on SQLite, empties the
 * write-ahead log so that the deleted rows' earlier page images leave it too (secure_delete,
 * set on every connection in db.ts, zeroes them in the database file). Null when `locate` finds
 * nobody; a rate_limited AppError when the events do not land within ADVOCATE_ERASE_SETTLE_MS.
 */
export async function erasePerson(store: Store, writer: Pick<EventWriter, 'settled' | 'apply'>, workspaceId: string, locate: () => Promise<string | null>): Promise<Erasure | null> {
  await awaitAcceptedEvents(store.db, writer, workspaceId);
  const profileId = await locate();
  if (!profileId) return null;
  const erasure = await writer.apply(workspaceId, { type: 'person.erase', profileId }) as Erasure | null;
  if (erasure) erasure.walTruncated = await truncateWal(store);
  return erasure;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Until the inbox holds none of the rows this workspace had when called (newer ones are newer facts). */
async function awaitAcceptedEvents(db: Db, writer: { settled(): Promise<void> }, workspaceId: string): Promise<void> {
  const newest = await db.selectFrom('inbox').select('id').where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!newest) return;
  // Projects now rather than in the next quiet moment; not awaited as such, since under steady
  // ingestion everything else accepted meanwhile would be waited for too.
  let settledAll = false;
  const settled = writer.settled().catch(() => {}).finally(() => (settledAll = true));
  const deadline = Date.now() + settleMs();
  for (;;) {
    const left = await db.selectFrom('inbox').select('id').where('workspace_id', '=', workspaceId).where('id', '<=', newest.id).limit(1).executeTakeFirst();
    if (!left) return;
    if (Date.now() >= deadline) throw ingestionBehind();
    // Another process may still be projecting them (PostgreSQL): look again shortly.
    await (settledAll ? sleep(100) : Promise.race([settled, sleep(100)]));
  }
}

/**
 * TRUNCATE moves every frame of the WAL into the database file and cuts the WAL to nothing; it
 * needs a moment without readers of older snapshots (the writer thread's), so it is retried, each
 * attempt waiting at most a second rather than the connection's usual five: the main thread waits.
 */
async function truncateWal(store: Store): Promise<boolean | null> {
  const database = store.sqlite;
  if (!database) return null;
  for (let attempt = 1; attempt <= 5; attempt++) {
    // Holding the connection keeps Kysely's transactions off it while the pragmas run.
    const done = await store.db.connection().execute(async () => {
      const timeout = database.pragma('busy_timeout', { simple: true }) as number;
      database.pragma('busy_timeout = 1000');
      try {
        const [r] = database.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        return r?.busy === 0;
      } catch {
        return false; // the erasure is committed whatever happens here: report, do not fail it
      } finally {
        database.pragma(`busy_timeout = ${timeout}`);
      }
    });
    if (done) return true;
    await sleep(100 * attempt);
  }
  return false;
}

// Lists of ids go into `in (…)` in slices, well under both backends' limits on bound parameters.
const SLICE = 500;
function slices<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += SLICE) out.push(list.slice(i, i + SLICE));
  return out;
}

const n = (r: { numDeletedRows?: bigint; numUpdatedRows?: bigint }) => Number(r.numDeletedRows ?? r.numUpdatedRows ?? 0n);

/**
 * Deletes a person everywhere (a GDPR erasure request): in one transaction the profile and any
 * profiles merged into it, their identities, events, answers (announced as erased on the bus, so
 * in-memory readers drop them), trait history, merge records (which hold the traits a merged
 * profile had), group memberships, churn-risk scores, survey contacts (by profile, and unlinked
 * contacts sent to one of the person's identifiers) with their send jobs whatever their state, and
 * bounces; then the ingestion errors whose message names one of the person's identifiers.
 *
 * Unsubscribes are kept on purpose: an opt-out must survive the deletion, or a person who asked to
 * be forgotten and re-enters through an import or a sync is surveyed again. What stays is a keyed
 * hash of the address (contacts.ts erasedAddress), the channel, the source and the time: enough to
 * recognise the address when it comes back, not to read it. The link to the profile and the
 * free-text detail go.
 *
 * `profileId` may be a merged profile's id: the erasure then applies to the profile it was merged
 * into, as every other lookup does. Returns null when the workspace has no such profile. Callers
 * use erasePerson, which also waits for accepted events and empties SQLite's WAL.
 */
export async function deleteProfile(db: Db, workspaceId: string, profileId: string): Promise<Erasure | null> {
  const found = await writeTransaction(db, (tx) => deleteRows(tx, workspaceId, profileId));
  if (!found) return null;
  found.erasure.deleted.ingestion_errors = await deleteIngestionErrors(db, workspaceId, found.person);
  return found.erasure;
}

async function deleteRows(tx: Db, workspaceId: string, profileId: string): Promise<{ erasure: Erasure; person: PersonIdentifiers } | null> {
  // On PostgreSQL projection serialises per workspace with this lock (db.ts lockWorkspace):
  // taking it means no projection is half-way through moving this person's rows.
  await dialectOf(tx).lockKeys(tx, workspaceId);
  const start = await tx.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', '=', profileId).executeTakeFirst();
  if (!start) return null;
  const root = start.merged_into ?? start.id;
  const ids = await mergedClosure(tx, workspaceId, root);
  if (!ids.length) return null;

  const person: PersonIdentifiers = { userIds: [], anonymousIds: [], emails: [], phones: [] };
  for (const part of slices(ids)) {
    for (const i of await tx.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).execute()) {
      ({ user: person.userIds, alias: person.userIds, anon: person.anonymousIds, email: person.emails, phone: person.phones })[i.kind].push(i.value);
    }
  }
  const { emails, phones } = person;

  const deleted: Erasure['deleted'] = { profiles: 0, identities: 0, events: 0, answers: 0, trait_changes: 0, merges: 0, contacts: 0, jobs: 0, profile_groups: 0, suppressions: 0, churn_scores: 0, ingestion_errors: 0 };

  // Contacts: the person's, and any made for one of their identifiers without a profile link.
  const contactIds = new Set<string>();
  for (const part of slices(ids)) {
    for (const c of await tx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).execute()) contactIds.add(c.id);
  }
  const unlinked = [['email', emails], ['phone', phones], ['user_id', person.userIds], ['anonymous_id', person.anonymousIds]] as const;
  for (const [column, values] of unlinked) {
    for (const part of slices(values)) {
      const rows = await tx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'is', null).where(column, 'in', part).execute();
      for (const c of rows) contactIds.add(c.id);
    }
  }
  // Their send jobs, whatever their state: a pending one would otherwise still send, and a done or
  // failed one keeps the delivery error, which often quotes the address.
  for (const part of slices([...contactIds])) {
    deleted.jobs += n(await tx.deleteFrom('jobs').where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([
        eb('dedupe_key', 'in', part.map((id) => `send:${id}`)),
        eb.and([eb('kind', '=', SEND_JOB), eb('payload', 'in', part.map((id) => toJson({ contactId: id })))]),
      ]))
      .executeTakeFirst());
    deleted.contacts += n(await tx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', 'in', part).executeTakeFirst());
  }

  const facts: Fact[] = [];
  const inLog = new Map<string, number[]>();
  for (const part of slices(ids)) {
    const answerIds = await tx.selectFrom('answers').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).execute();
    for (const a of answerIds) facts.push({ type: 'answer.erased', answerId: a.id });
    // What their comments were found to say goes with them.
    await forgetAnswerTexts(tx, answerIds.map((a) => a.id));
    deleted.answers += n(await tx.deleteFrom('answers').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    // Their messages in the accepted log too, before the rows that point at them go.
    const logged = await tx.selectFrom('events').select(['batch_id', 'batch_position']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).where('batch_id', 'is not', null).execute();
    for (const e of logged) (inLog.get(e.batch_id!) ?? inLog.set(e.batch_id!, []).get(e.batch_id!)!).push(Number(e.batch_position));
    deleted.events += n(await tx.deleteFrom('events').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    deleted.trait_changes += n(await tx.deleteFrom('trait_changes').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    deleted.profile_groups += n(await tx.deleteFrom('profile_groups').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    deleted.churn_scores += n(await tx.deleteFrom('churn_scores').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    // Merged and refused merges alike name the person (and keep traits of the merged profile).
    deleted.merges += n(await tx.deleteFrom('merges').where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('survivor_id', 'in', part), eb('merged_id', 'in', part)])).executeTakeFirst());
  }
  await blankBatchMessages(tx, inLog);
  // Bounces, by profile or by address.
  const addresses = [...emails, ...phones];
  for (const [column, values] of [['profile_id', ids], ['address', addresses]] as const) {
    for (const part of slices(values)) {
      deleted.suppressions += n(await tx.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('kind', '=', 'bounce').where(column, 'in', part).executeTakeFirst());
    }
  }
  const unsubscribesKept = await hashUnsubscribes(tx, workspaceId, ids, addresses);
  // Links name the person's userIds (on others' contested components) or belong to their components.
  for (const part of slices(ids)) {
    const components = tx.selectFrom('identities').select('component').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).where('component', 'is not', null);
    await tx.deleteFrom('identity_links').where('workspace_id', '=', workspaceId).where('component', 'in', components as any).execute();
  }
  for (const part of slices(person.userIds)) await tx.deleteFrom('identity_links').where('workspace_id', '=', workspaceId).where('user_id', 'in', part).execute();
  for (const part of slices(ids)) {
    deleted.identities += n(await tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
    deleted.profiles += n(await tx.deleteFrom('profiles').where('workspace_id', '=', workspaceId).where('id', 'in', part).executeTakeFirst());
  }
  for (const id of ids) facts.push({ type: 'profile.erased', profileId: id });
  await appendWorkspaceFacts(tx, workspaceId, facts);
  return { erasure: { profileId: root, profileIds: ids, deleted, unsubscribesKept }, person };
}

/** The person's unsubscribes (by profile or address) keep only the hashed address; returns how many opt-outs stand. */
async function hashUnsubscribes(tx: Db, workspaceId: string, ids: string[], addresses: string[]): Promise<number> {
  const rows = new Map<string, { id: string; address: string }>();
  for (const [column, values] of [['profile_id', ids], ['address', addresses]] as const) {
    for (const part of slices(values)) {
      for (const r of await tx.selectFrom('suppressions').select(['id', 'address']).where('workspace_id', '=', workspaceId).where('kind', '=', 'unsubscribe').where(column, 'in', part).execute()) rows.set(r.id, r);
    }
  }
  if (!rows.size) return 0;
  const secret = await addressSecret(tx, workspaceId);
  const kept = new Set<string>();
  for (const r of rows.values()) {
    const hashed = isErasedAddress(r.address) ? r.address : erasedAddress(secret, r.address);
    const earlier = hashed === r.address ? null
      : await tx.selectFrom('suppressions').select('id').where('workspace_id', '=', workspaceId).where('kind', '=', 'unsubscribe').where('address', '=', hashed).executeTakeFirst();
    // Erased before, unsubscribed again since: the earlier hashed row already stands for it.
    if (earlier) await tx.deleteFrom('suppressions').where('id', '=', r.id).execute();
    else await tx.updateTable('suppressions').set({ address: hashed, profile_id: null, detail: null }).where('id', '=', r.id).execute();
    kept.add(hashed);
  }
  return kept.size;
}

/**
 * Ingestion errors keep messages as they came, tied to no profile: each is read and those naming
 * the person go. Outside the erasure's transaction, a page at a time, so that a long errors list
 * does not hold the write lock (the writer thread waits for it on SQLite).
 */
async function deleteIngestionErrors(db: Db, workspaceId: string, person: PersonIdentifiers): Promise<number> {
  if (!person.userIds.length && !person.anonymousIds.length && !person.emails.length && !person.phones.length) return 0;
  let deleted = 0;
  let after = '';
  for (;;) {
    const page = await db.selectFrom('ingestion_errors').select(['id', 'message_id', 'error', 'payload'])
      .where('workspace_id', '=', workspaceId).where('id', '>', after).orderBy('id').limit(SLICE).execute();
    const hits = page.filter((r) => mentionsPerson(person, r.payload, [r.message_id, r.error])).map((r) => r.id);
    if (hits.length) deleted += n(await db.deleteFrom('ingestion_errors').where('workspace_id', '=', workspaceId).where('id', 'in', hits).executeTakeFirst());
    if (page.length < SLICE) return deleted;
    after = page[page.length - 1].id;
  }
}

/** The profile and every profile merged into it, directly or through earlier merges. */
async function mergedClosure(tx: Db, workspaceId: string, root: string): Promise<string[]> {
  const exists = await tx.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('id', '=', root).executeTakeFirst();
  if (!exists) return [];
  const all = new Set<string>([root]);
  let frontier = [root];
  while (frontier.length) {
    const next: string[] = [];
    for (const part of slices(frontier)) {
      const rows = await tx.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', 'in', part).execute();
      for (const r of rows) {
        if (all.has(r.id)) continue;
        all.add(r.id);
        next.push(r.id);
      }
    }
    frontier = next;
  }
  return [...all];
}
