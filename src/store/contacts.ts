import { newId } from '../domain/ids.ts';
import type { PastContact, Suppression } from '../domain/fatigue.ts';
import type { Db, Tx } from './db.ts';
import type { ContactStatus, ContactTable, SuppressionTable } from './schema.ts';

/** Statuses that mean the person was actually asked (a scheduled send has not asked anyone yet). */
const ASKED: ContactStatus[] = ['sent', 'shown', 'dismissed', 'answered'];

export async function insertContact(db: Db | Tx, row: ContactTable): Promise<boolean> {
  const r = await db.insertInto('contacts').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
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
      .where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).where('created_at', '>', since).where('status', 'in', ASKED).execute(),
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

export async function suppressionsFor(db: Db, workspaceId: string, profileId: string | null, addresses: string[]): Promise<Suppression[]> {
  const list = addresses.filter(Boolean);
  if (!profileId && !list.length) return [];
  const rows = await db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId)
    .where((eb) => {
      const ors = [];
      if (profileId) ors.push(eb('profile_id', '=', profileId));
      if (list.length) ors.push(eb('address', 'in', list));
      return eb.or(ors);
    })
    .execute();
  return rows.map((r) => ({ kind: r.kind, channel: r.channel, address: r.address, at: r.created_at, source: r.source }));
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

export async function listSuppressions(db: Db, workspaceId: string, kind: SuppressionTable['kind'], opts: { limit: number; since?: number; until?: number; cursor?: string }) {
  let q = db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId).where('kind', '=', kind);
  if (opts.since != null) q = q.where('created_at', '>=', opts.since);
  if (opts.until != null) q = q.where('created_at', '<=', opts.until);
  if (opts.cursor) q = q.where('id', '>', opts.cursor);
  return q.orderBy('id').limit(opts.limit).execute();
}

export async function removeSuppression(db: Db, workspaceId: string, address: string, kind: SuppressionTable['kind']): Promise<boolean> {
  const r = await db.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('address', '=', address).where('kind', '=', kind).executeTakeFirst();
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
