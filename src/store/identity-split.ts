import { eventPayloads } from './batches.ts';
import { newId } from '../domain/ids.ts';
import { foldEvent, newProfileState, type ProfileState } from '../domain/profile.ts';
import { ORDER_COMPLETED } from '../domain/event.ts';
import type { Fact } from '../domain/facts.ts';
import { toJson, type Tx } from './db.ts';
import { recomputeLatestNps } from './projector.ts';

/** A soft component leaving the person it was on, because someone else claims it (domain/identity.ts). */
export interface Split {
  component: string;
  /** The person's profile it leaves. */
  from: string;
  /** userIds it has been seen with (the person's and the new claimant's), kept as its links. */
  users: string[];
  reason: string;
}

const SLICE = 500;

/**
 * Moves a soft component off a person onto a profile of its own: its identities, and the events
 * that only it identified (no userId) with their answers and trait history; both profiles'
 * computed traits are then folded again from their events. Recorded as a refused link in merges,
 * with what moved where.
 * Rare (a shared device or inbox claimed by a second person), so plain statements suffice.
 * Returns the facts to announce.
 */
export async function splitComponent(tx: Tx, workspaceId: string, split: Split, now: number): Promise<Fact[]> {
  const soft = await tx.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('component', '=', split.component).execute();
  const to = newId('prof', now);
  await tx.insertInto('profiles').values({ ...newProfileState(to, workspaceId, now, now), traits: '{}', merged_into: null }).execute();
  await tx.updateTable('identities').set({ profile_id: to }).where('workspace_id', '=', workspaceId).where('component', '=', split.component).execute();
  const byKind = (kind: string) => soft.filter((s) => s.kind === kind).map((s) => s.value);
  for (const [column, values] of [['anonymous_id', byKind('anon')], ['email', byKind('email')], ['phone', byKind('phone')]] as const) {
    for (let i = 0; i < values.length; i += SLICE) {
      await tx.updateTable('events').set({ profile_id: to })
        .where('workspace_id', '=', workspaceId).where('profile_id', '=', split.from).where('user_id', 'is', null)
        .where(column, 'in', values.slice(i, i + SLICE)).execute();
    }
  }
  const moved = (qb: any) => qb.selectFrom('events').select('id').where('workspace_id', '=', workspaceId).where('profile_id', '=', to);
  // An answer changing hands is a change the insight engine must see.
  const answers = await tx.updateTable('answers').set({ profile_id: to, updated_at: now })
    .where('workspace_id', '=', workspaceId).where('profile_id', '=', split.from).where('event_id', 'in', moved).returning('id').execute();
  await tx.updateTable('trait_changes').set({ profile_id: to }).where('workspace_id', '=', workspaceId).where('profile_id', '=', split.from).where('event_id', 'in', moved).execute();
  if (split.users.length) {
    await tx.insertInto('identity_links')
      .values([...new Set(split.users)].map((user_id) => ({ workspace_id: workspaceId, component: split.component, user_id, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'component', 'user_id']).doNothing()).execute();
  }
  await tx.insertInto('merges').values({
    id: newId('mrg', now), workspace_id: workspaceId, survivor_id: split.from, merged_id: to, status: 'refused', reason: split.reason,
    details: toJson({ identities: soft.map((s) => `${s.kind}:${s.value}`), userIds: split.users, movedTo: to }), created_at: now,
  }).execute();
  await refoldProfile(tx, workspaceId, split.from, now);
  await refoldProfile(tx, workspaceId, to, now);
  return [
    { type: 'profile.created', profileId: to },
    { type: 'profile.changed', profileId: split.from },
    ...soft.map((s): Fact => ({ type: 'identity.linked', profileId: to, kind: s.kind })),
    ...answers.map((a): Fact => ({ type: 'answer.changed', answerId: a.id, profileId: to })),
  ];
}

/** A component's new label after it was joined to another: its identities and links follow. */
export async function relabelComponent(tx: Tx, workspaceId: string, from: string, to: string, now: number): Promise<void> {
  if (from === to) return;
  await tx.updateTable('identities').set({ component: to }).where('workspace_id', '=', workspaceId).where('component', '=', from).execute();
  const users = await tx.selectFrom('identity_links').select('user_id').where('workspace_id', '=', workspaceId).where('component', '=', from).execute();
  if (!users.length) return;
  await tx.insertInto('identity_links').values(users.map((u) => ({ workspace_id: workspaceId, component: to, user_id: u.user_id, created_at: now })))
    .onConflict((oc) => oc.columns(['workspace_id', 'component', 'user_id']).doNothing()).execute();
  await tx.deleteFrom('identity_links').where('workspace_id', '=', workspaceId).where('component', '=', from).execute();
}

/**
 * Contested components some userId of `profileId` is linked with, each with the profile it is on
 * and the people its links name, for seeing whether an alias left it with one claimant.
 */
export async function componentsClaimedBy(tx: Tx, workspaceId: string, profileId: string): Promise<Array<{ component: string; on: string; claimants: string[] }>> {
  const users = tx.selectFrom('identities').select('value').where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).where('kind', 'in', ['user', 'alias']);
  const comps = await tx.selectFrom('identity_links').select('component').distinct().where('workspace_id', '=', workspaceId).where('user_id', 'in', users).execute();
  const out: Array<{ component: string; on: string; claimants: string[] }> = [];
  for (const { component } of comps) {
    const on = await tx.selectFrom('identities').select('profile_id').where('workspace_id', '=', workspaceId).where('component', '=', component).executeTakeFirst();
    if (!on) continue;
    const claimants = await tx.selectFrom('identity_links').innerJoin('identities', (j) => j
      .onRef('identities.value', '=', 'identity_links.user_id').onRef('identities.workspace_id', '=', 'identity_links.workspace_id').on('identities.kind', 'in', ['user', 'alias']))
      .select('identities.profile_id').distinct()
      .where('identity_links.workspace_id', '=', workspaceId).where('identity_links.component', '=', component).execute();
    out.push({ component, on: on.profile_id, claimants: claimants.map((c) => c.profile_id) });
  }
  return out;
}

/** A profile's computed traits folded again from its events, in time order (after events left it). */
export async function refoldProfile(tx: Tx, workspaceId: string, profileId: string, now: number): Promise<void> {
  const row = await tx.selectFrom('profiles').select(['user_id', 'created_at']).where('id', '=', profileId).executeTakeFirst();
  if (!row) return;
  const events = await tx.selectFrom('events').select(['type', 'name', 'timestamp', 'properties', 'traits', 'context', 'batch_id', 'batch_position'])
    .where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('timestamp').orderBy('id').execute();
  const payloads = await eventPayloads(tx, events);
  const state: ProfileState = newProfileState(profileId, workspaceId, events[0]?.timestamp ?? now, now);
  state.user_id = row.user_id;
  state.created_at = row.created_at;
  events.forEach((e, k) => foldEvent(state, { type: e.type, name: e.name, timestamp: e.timestamp, ...payloads[k] }, ORDER_COMPLETED));
  const { id: _id, workspace_id: _ws, ...rest } = state;
  await tx.updateTable('profiles').set({ ...rest, traits: JSON.stringify(state.traits) }).where('id', '=', profileId).execute();
  await recomputeLatestNps(tx, profileId);
}
