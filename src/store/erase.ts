import { PostgresAdapter, sql } from 'kysely';
import { SEND_JOB } from '../surveys/delivery.ts';
import { toJson, type Db, type Tx } from './db.ts';

/** What an erasure removed, per table (unsubscribes are kept, only unlinked: see deleteProfile). */
export interface Erasure {
  profileId: string;
  /** The profile and every profile that was merged into it. */
  profileIds: string[];
  deleted: Record<'profiles' | 'identities' | 'events' | 'answers' | 'trait_changes' | 'merges' | 'contacts' | 'jobs' | 'profile_groups' | 'suppressions' | 'churn_scores', number>;
  /** Unsubscribes kept with their link to the person removed. */
  unsubscribesKept: number;
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
 * Deletes a person everywhere (a GDPR erasure request), in one transaction: the profile and any
 * profiles merged into it, their identities, events, answers, trait history, merge records (which
 * hold the traits a merged profile had), group memberships, churn-risk scores, survey contacts (by profile, and
 * unlinked contacts sent to one of the person's addresses) with their send jobs, and bounces.
 *
 * Unsubscribes are kept on purpose: an opt-out must survive the deletion, or a person who asked to
 * be forgotten and re-enters through an import or a sync is surveyed again. Only the address stays
 * (the minimum needed to keep honouring the objection, as a suppression list); the link to the
 * profile and the free-text detail are removed.
 *
 * `profileId` may be a merged profile's id: the erasure then applies to the profile it was merged
 * into, as every other lookup does. Returns null when the workspace has no such profile.
 *
 * Not covered here: events accepted but not yet projected (the ingestion inbox) are projected
 * afterwards and make a new profile (callers should let the writer settle first, as the Delighted
 * route does), and messages in the ingestion-errors list are not tied to a profile at all.
 */
export async function deleteProfile(db: Db, workspaceId: string, profileId: string): Promise<Erasure | null> {
  return db.transaction().execute(async (tx) => {
    // On PostgreSQL projection serialises per workspace with this lock (db.ts lockWorkspace):
    // taking it means no projection is half-way through moving this person's rows.
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${workspaceId}))`.execute(tx);
    }
    const start = await tx.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', '=', profileId).executeTakeFirst();
    if (!start) return null;
    const root = start.merged_into ?? start.id;
    const ids = await mergedClosure(tx, workspaceId, root);
    if (!ids.length) return null;

    const addresses = await tx.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', ids).where('kind', 'in', ['email', 'phone']).execute();
    const emails = addresses.filter((a) => a.kind === 'email').map((a) => a.value);
    const phones = addresses.filter((a) => a.kind === 'phone').map((a) => a.value);

    const deleted: Erasure['deleted'] = { profiles: 0, identities: 0, events: 0, answers: 0, trait_changes: 0, merges: 0, contacts: 0, jobs: 0, profile_groups: 0, suppressions: 0, churn_scores: 0 };

    // Contacts: the person's, and any sent to one of their addresses without a profile link.
    const contactIds = new Set<string>();
    for (const part of slices(ids)) {
      for (const c of await tx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).execute()) contactIds.add(c.id);
    }
    for (const [column, values] of [['email', emails], ['phone', phones]] as const) {
      for (const part of slices(values)) {
        const rows = await tx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'is', null).where(column, 'in', part).execute();
        for (const c of rows) contactIds.add(c.id);
      }
    }
    // Their send jobs, whatever their state: a pending one would otherwise still send.
    for (const part of slices([...contactIds])) {
      deleted.jobs += n(await tx.deleteFrom('jobs').where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([
          eb('dedupe_key', 'in', part.map((id) => `send:${id}`)),
          eb.and([eb('kind', '=', SEND_JOB), eb('payload', 'in', part.map((id) => toJson({ contactId: id })))]),
        ]))
        .executeTakeFirst());
      deleted.contacts += n(await tx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', 'in', part).executeTakeFirst());
    }

    for (const part of slices(ids)) {
      const answerIds = await tx.selectFrom('answers').select('id').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).execute();
      if (answerIds.length) {
        const at = Date.now();
        await tx.insertInto('answer_deletions').values(answerIds.map((a) => ({ answer_id: a.id, workspace_id: workspaceId, deleted_at: at })))
          .onConflict((oc) => oc.column('answer_id').doNothing()).execute();
      }
      deleted.answers += n(await tx.deleteFrom('answers').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      deleted.events += n(await tx.deleteFrom('events').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      deleted.trait_changes += n(await tx.deleteFrom('trait_changes').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      deleted.profile_groups += n(await tx.deleteFrom('profile_groups').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      deleted.churn_scores += n(await tx.deleteFrom('churn_scores').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      // Merged and refused merges alike name the person (and keep traits of the merged profile).
      deleted.merges += n(await tx.deleteFrom('merges').where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([eb('survivor_id', 'in', part), eb('merged_id', 'in', part)])).executeTakeFirst());
      deleted.suppressions += n(await tx.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('kind', '=', 'bounce').where('profile_id', 'in', part).executeTakeFirst());
    }
    let unsubscribesKept = 0;
    for (const part of slices(ids)) {
      unsubscribesKept += n(await tx.updateTable('suppressions').set({ profile_id: null, detail: null })
        .where('workspace_id', '=', workspaceId).where('kind', '=', 'unsubscribe').where('profile_id', 'in', part).executeTakeFirst());
    }
    // Bounces recorded for one of the addresses without a profile link.
    for (const part of slices([...emails, ...phones])) {
      deleted.suppressions += n(await tx.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('kind', '=', 'bounce').where('address', 'in', part).executeTakeFirst());
    }
    for (const part of slices(ids)) {
      deleted.identities += n(await tx.deleteFrom('identities').where('workspace_id', '=', workspaceId).where('profile_id', 'in', part).executeTakeFirst());
      deleted.profiles += n(await tx.deleteFrom('profiles').where('workspace_id', '=', workspaceId).where('id', 'in', part).executeTakeFirst());
    }
    return { profileId: root, profileIds: ids, deleted, unsubscribesKept };
  });
}

/** The profile and every profile merged into it, directly or through earlier merges. */
async function mergedClosure(tx: Tx, workspaceId: string, root: string): Promise<string[]> {
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
