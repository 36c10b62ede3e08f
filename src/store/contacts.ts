import { createHmac } from 'node:crypto';
import { newId } from '../domain/ids.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import type { PastContact, Suppression } from '../domain/fatigue.ts';
import { inTransaction, type Db, type Tx } from './db.ts';
import { enqueue, type JobSpec } from './jobs.ts';
import type { ContactStatus, ContactTable, SuppressionTable } from './schema.ts';
import { signingSecret } from './workspaces.ts';

/**
 * Statuses that mean the person was actually asked (a scheduled send has not asked anyone yet). A
 * send being made ('sending', see contact-claims.ts) counts, so a second send at the same moment sees it.
 */
const ASKED: ContactStatus[] = ['sending', 'sent', 'shown', 'dismissed', 'answered'];

export async function insertContact(db: Db | Tx, row: ContactTable): Promise<boolean> {
  const r = await db.insertInto('contacts').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Stores a contact and, when given, the job that sends it, in one transaction: a send job never
 * exists without its contact. False (and no job) when the contact id exists already.
 */
export async function addContact(db: Db | Tx, row: ContactTable, send: JobSpec | null, now = Date.now()): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    if (!(await insertContact(tx, row))) return false;
    if (send) await enqueue(tx, send, now);
    return true;
  });
}

export async function getContact(db: Db | Tx, workspaceId: string, id: string): Promise<ContactTable | null> {
  return (await db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function updateContact(db: Db | Tx, workspaceId: string, id: string, patch: Partial<ContactTable>, onlyFrom?: ContactStatus[]): Promise<boolean> {
  let q = db.updateTable('contacts').set({ ...patch, updated_at: patch.updated_at ?? Date.now() }).where('workspace_id', '=', workspaceId).where('id', '=', id);
  if (onlyFrom) q = q.where('status', 'in', onlyFrom);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

/** Everything that counts as having asked this person: contacts on any channel and answers however they came. */
export async function contactHistory(db: Db, workspaceId: string, profileId: string, since: number): Promise<PastContact[]> {
  const [contacts, answers] = await Promise.all([
    db.selectFrom('contacts').select(['id', 'survey_id', 'channel', 'status', 'contacted_at', 'created_at'])
      .where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).where('status', 'in', ASKED)
      // A contact counts from when it asked: a send delayed for weeks was created long before that.
      .where((eb) => eb.or([eb('contacted_at', '>', since), eb.and([eb('contacted_at', 'is', null), eb('created_at', '>', since)])])).execute(),
    db.selectFrom('answers').select(['survey_id', 'channel', 'answered_at', 'contact_id'])
      .where('profile_id', '=', profileId).where('answered_at', '>', since).execute(),
  ]);
  const out: PastContact[] = [];
  const answeredContacts = new Set(answers.map((a) => a.contact_id).filter(Boolean));
  for (const c of contacts) {
    if (answeredContacts.has(c.id)) continue; // its answer stands for it
    out.push({ surveyId: c.survey_id, channel: c.channel, at: c.contacted_at ?? c.created_at, kind: c.status === 'answered' ? 'answered' : 'asked' });
  }
  for (const a of answers) out.push({ surveyId: a.survey_id, channel: a.channel, at: a.answered_at, kind: 'answered' });
  return out;
}

const ERASED = 'erased:';

/**
 * An erased person's address in the only form kept: a keyed hash (HMAC-SHA256 with the workspace's
 * signing secret) that recognises the address when it is given again but cannot be read back, nor
 * be confirmed by hashing guesses without the secret. Addresses are stored normalised, so the
 * hash of what identity resolution stores matches the hash made at erasure.
 */
export function erasedAddress(secret: string, address: string): string {
  return ERASED + createHmac('sha256', secret).update(`suppression:${address}`).digest('base64url');
}
/** Whether a suppression's address is an erased person's hash (no address to show). */
export const isErasedAddress = (address: string) => address.startsWith(ERASED);

export async function addressSecret(db: Db | Tx, workspaceId: string): Promise<string> {
  // No such workspace: it has no suppressions either, so any key finds nothing.
  return (await signingSecret(db, workspaceId)) ?? '';
}

/**
 * Unsubscribes and bounces that apply to a person: by profile, by address, and by an erased person's
 * hashed address. Addresses are compared as stored (normalised), however the caller wrote them.
 */
export async function suppressionsFor(db: Db, workspaceId: string, profileId: string | null, addresses: string[]): Promise<Suppression[]> {
  const list = [...new Set(addresses.filter(Boolean).map((a) => normaliseEmail(a) ?? normalisePhone(a) ?? a))];
  if (!profileId && !list.length) return [];
  const secret = list.length ? await addressSecret(db, workspaceId) : '';
  const hashed = new Map(list.map((a) => [erasedAddress(secret, a), a]));
  const rows = await db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId)
    .where((eb) => {
      const ors = [];
      if (profileId) ors.push(eb('profile_id', '=', profileId));
      if (list.length) ors.push(eb('address', 'in', [...list, ...hashed.keys()]));
      return eb.or(ors);
    })
    .execute();
  return rows.map((r) => ({ kind: r.kind, channel: r.channel, address: hashed.get(r.address) ?? r.address, at: r.created_at, source: r.source }));
}

export interface NewSuppression {
  kind: SuppressionTable['kind'];
  channel: string;
  address: string;
  profileId?: string | null;
  source: string;
  detail?: string | null;
}

/** Idempotent: the first record of an address and kind stands. */
export async function addSuppression(db: Db | Tx, workspaceId: string, s: NewSuppression, now = Date.now()): Promise<void> {
  await db.insertInto('suppressions').values({
    id: newId('sup', now), workspace_id: workspaceId, kind: s.kind, channel: s.channel, address: s.address,
    profile_id: s.profileId ?? null, source: s.source, detail: s.detail ?? null, created_at: now,
  }).onConflict((oc) => oc.columns(['workspace_id', 'address', 'kind']).doNothing()).execute();
}

/**
 * Page `page` (from 1) of unsubscribes or bounces recorded in [from, to), oldest first. Rows as
 * stored: an erased person's carry the hashed address (isErasedAddress).
 */
export async function listSuppressions(db: Db, workspaceId: string, kind: SuppressionTable['kind'], f: { from?: number; to?: number; page: number; perPage: number }): Promise<SuppressionTable[]> {
  let q = db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId).where('kind', '=', kind);
  if (f.from != null) q = q.where('created_at', '>=', f.from);
  if (f.to != null) q = q.where('created_at', '<', f.to);
  return q.orderBy('created_at').orderBy('id').limit(f.perPage).offset((f.page - 1) * f.perPage).execute();
}

/** Removes the suppression of an address, also where it is kept as an erased person's hash (START after an erasure). */
export async function removeSuppression(db: Db, workspaceId: string, address: string, kind: SuppressionTable['kind']): Promise<boolean> {
  const forms = [address, erasedAddress(await addressSecret(db, workspaceId), address)];
  const r = await db.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('address', 'in', forms).where('kind', '=', kind).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function contactByShortCode(db: Db, code: string): Promise<ContactTable | null> {
  return (await db.selectFrom('contacts').selectAll().where('short_code', '=', code).executeTakeFirst()) ?? null;
}

export async function listContacts(db: Db, workspaceId: string, f: { surveyId?: string; profileId?: string; status?: string; limit: number; cursor?: string }) {
  let q = db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId);
  if (f.surveyId) q = q.where('survey_id', '=', f.surveyId);
  if (f.profileId) q = q.where('profile_id', '=', f.profileId);
  if (f.status) q = q.where('status', '=', f.status as ContactStatus);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** Cancels a person's sends not yet made; how many. */
export async function cancelScheduled(db: Db, workspaceId: string, profileId: string, reason: string, now = Date.now()): Promise<number> {
  const r = await db.updateTable('contacts').set({ status: 'cancelled', reason, updated_at: now })
    .where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).where('status', '=', 'scheduled').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** SMS contacts sent (or answered) to any of these forms of a number since `since`, newest first, at most 50. */
export async function smsContactsTo(db: Db, workspaceId: string, phones: string[], since: number): Promise<ContactTable[]> {
  return db.selectFrom('contacts').selectAll()
    .where('workspace_id', '=', workspaceId).where('channel', '=', 'sms').where('phone', 'in', phones)
    .where('status', 'in', ['sent', 'answered']).where('contacted_at', '>=', since)
    .orderBy('contacted_at', 'desc').orderBy('id', 'desc').limit(50).execute();
}

/** Whether a sent contact to this person is recorded at exactly this time (a send reported from elsewhere, told twice). */
export async function sentContactAt(db: Db, workspaceId: string, profileId: string, at: number): Promise<boolean> {
  const row = await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId)
    .where('status', '=', 'sent').where('contacted_at', '=', at).executeTakeFirst();
  return row != null;
}

/** Per profile: when an email or SMS survey last went out to them, and when the next one is scheduled. */
export async function surveyDates(db: Db, workspaceId: string, profileIds: string[]): Promise<{ lastSent: Map<string, number>; next: Map<string, number> }> {
  if (!profileIds.length) return { lastSent: new Map(), next: new Map() };
  const [sent, scheduled] = await Promise.all([
    db.selectFrom('contacts').select(['profile_id', (eb) => eb.fn.max('contacted_at').as('at')]).where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', profileIds).where('channel', 'in', ['email', 'sms']).where('status', 'in', ['sent', 'answered'])
      .where('contacted_at', 'is not', null).groupBy('profile_id').execute(),
    db.selectFrom('contacts').select(['profile_id', (eb) => eb.fn.min('scheduled_at').as('at')]).where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', profileIds).where('status', '=', 'scheduled').groupBy('profile_id').execute(),
  ]);
  return {
    lastSent: new Map(sent.map((s) => [s.profile_id!, Number(s.at)])),
    next: new Map(scheduled.map((s) => [s.profile_id!, Number(s.at)])),
  };
}
