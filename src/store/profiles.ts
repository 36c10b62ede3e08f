import { eventPayloads } from './batches.ts';
import { categoryOf } from '../domain/category.ts';
import { daysBetween, journeyStage, type StageRule } from '../domain/journey.ts';
import { personLabel, personNames, type PersonNames } from '../domain/person-label.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import { fromJson, lockWorkspace, workspaceColumn, type Db, type Store } from './db.ts';
import { appendWorkspaceFacts } from './facts.ts';
import type { ProfileTable } from './schema.ts';

export type IdentifierKind = 'userId' | 'anonymousId' | 'email' | 'phone';
const KIND: Record<IdentifierKind, 'user' | 'anon' | 'email' | 'phone'> = { userId: 'user', anonymousId: 'anon', email: 'email', phone: 'phone' };
const LABEL = { user: 'userId', anon: 'anonymousId', email: 'email', phone: 'phone', alias: 'alias' } as const;

/** Profile id for any identifier, or null. Merged profiles' identifiers already point at the survivor. */
export async function findProfileId(db: Db, workspaceId: string, kind: IdentifierKind, raw: string): Promise<string | null> {
  const value = kind === 'email' ? normaliseEmail(raw) : kind === 'phone' ? normalisePhone(raw) : raw;
  if (!value) return null;
  const row = await db
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', KIND[kind])
    .where('value', '=', value)
    .executeTakeFirst();
  return row?.profile_id ?? null;
}

/** A profile row, following a merge to its survivor (bookmarked ids of merged profiles keep working). */
export async function getProfileRow(db: Db, workspaceId: string, id: string): Promise<ProfileTable | null> {
  const row = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  if (!row.merged_into) return row;
  return (await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', row.merged_into).executeTakeFirst()) ?? null;
}

/** Profile rows by id, as stored (a merged profile's row, not its survivor's). */
export async function profilesByIds(db: Db, workspaceId: string, ids: string[]): Promise<ProfileTable[]> {
  if (!ids.length) return [];
  return db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', [...new Set(ids)]).execute();
}

export interface PeopleFilter {
  /** Only this profile (found by an address, say). */
  profileId?: string;
  /** Created in [from, to). */
  from?: number;
  to?: number;
  /** Created after this one, in (created_at, id) order: the last of the previous page. */
  after?: { createdAt: number; id: string };
  limit: number;
}

/**
 * People a survey can reach, oldest first: live profiles with an email address or a phone number
 * (anonymous visitors are left out), paged by (created_at, id).
 */
export async function listPeople(db: Db, workspaceId: string, f: PeopleFilter): Promise<ProfileTable[]> {
  let q = db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('merged_into', 'is', null)
    .where(({ exists, selectFrom }) => exists(selectFrom('identities').select('identities.profile_id')
      .whereRef('identities.profile_id', '=', 'profiles.id').where('identities.kind', 'in', ['email', 'phone'])));
  if (f.profileId) q = q.where('id', '=', f.profileId);
  if (f.from != null) q = q.where('created_at', '>=', f.from);
  if (f.to != null) q = q.where('created_at', '<', f.to);
  const after = f.after;
  if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
  return q.orderBy('created_at').orderBy('id').limit(f.limit).execute();
}

/** Every identifier of a profile (userIds, anonymousIds, emails, phones, aliases), oldest first. */
export async function identifiersOf(db: Db, workspaceId: string, profileId: string): Promise<Array<{ kind: string; value: string }>> {
  return db.selectFrom('identities').select(['kind', 'value']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('created_at').execute();
}

/** Who has each of these email addresses or phone numbers (as stored, normalised): address → profile id. */
export async function ownersOfAddresses(db: Db, workspaceId: string, addresses: string[]): Promise<Map<string, string>> {
  if (!addresses.length) return new Map();
  const rows = await db.selectFrom('identities').select(['value', 'profile_id']).where('workspace_id', '=', workspaceId)
    .where('kind', 'in', ['email', 'phone']).where('value', 'in', [...new Set(addresses)]).execute();
  return new Map(rows.map((r) => [r.value, r.profile_id]));
}

/**
 * Gives a person a new email address in place of an old one (Delighted's email_update): the
 * identity itself changes, so answers and sends follow the person to the new address. The caller
 * has checked that nobody else has the new address.
 */
export async function changePersonEmail(store: Store, workspaceId: string, profileId: string, oldEmail: string, newEmail: string): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    await lockWorkspace(store, tx, workspaceId);
    await tx.updateTable('identities').set({ value: newEmail })
      .where('workspace_id', '=', workspaceId).where('kind', '=', 'email').where('value', '=', oldEmail).where('profile_id', '=', profileId).execute();
    await appendWorkspaceFacts(tx, workspaceId, [{ type: 'identity.linked', profileId, kind: 'email' }, { type: 'profile.changed', profileId }]);
  });
}

export function computedTraits(p: ProfileTable, now: number, rules: StageRule[]) {
  return {
    firstSeen: new Date(p.first_seen_at).toISOString(),
    lastSeen: new Date(p.last_seen_at).toISOString(),
    orderCount: p.order_count,
    lifetimeRevenue: Math.round(p.revenue * 100) / 100,
    lastOrderAt: p.last_order_at == null ? null : new Date(p.last_order_at).toISOString(),
    daysSinceLastOrder: p.last_order_at == null ? null : daysBetween(p.last_order_at, now),
    tenureDays: daysBetween(p.first_seen_at, now),
    journeyStage: journeyStage({ ...p, lifetime_revenue: p.revenue }, now, rules),
    latestNps:
      p.nps_score == null
        ? null
        : { score: p.nps_score, category: p.nps_category ?? categoryOf(p.nps_score), answeredAt: new Date(p.nps_answered_at!).toISOString() },
    previousNpsScore: p.nps_prev_score,
    npsChange: p.nps_score != null && p.nps_prev_score != null ? p.nps_score - p.nps_prev_score : null,
    lastCampaign: p.last_campaign,
    lastUtmSource: p.last_utm_source,
  };
}

export async function profileView(db: Db, workspaceId: string, p: ProfileTable, rules: StageRule[], now = Date.now()) {
  const [identities, merged, groups] = await Promise.all([
    db.selectFrom('identities').select(['kind', 'value', 'created_at']).where('workspace_id', '=', workspaceId).where('profile_id', '=', p.id).where('kind', '<>', 'alias').orderBy('created_at').execute(),
    db.selectFrom('merges').select(['merged_id', 'reason', 'created_at']).where('workspace_id', '=', workspaceId).where('survivor_id', '=', p.id).where('status', '=', 'merged').orderBy('created_at').execute(),
    db.selectFrom('profile_groups').select('group_id').where('workspace_id', '=', workspaceId).where('profile_id', '=', p.id).execute(),
  ]);
  return {
    id: p.id,
    userId: p.user_id,
    createdAt: new Date(p.created_at).toISOString(),
    identities: identities.map((i) => ({ kind: LABEL[i.kind], value: i.value, since: new Date(i.created_at).toISOString() })),
    traits: fromJson<Record<string, unknown>>(p.traits, {}),
    computed: computedTraits(p, now, rules),
    groups: groups.map((g) => g.group_id),
    mergedFrom: merged.map((m) => ({ profileId: m.merged_id, reason: m.reason, at: new Date(m.created_at).toISOString() })),
  };
}

export interface TimelinePage {
  items: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

/** Newest first; the cursor is "<timestamp>:<event id>" of the last item, so pages never overlap or skip. */
export async function timeline(db: Db, workspaceId: string, profileId: string, limit: number, cursor?: string, types?: string[]): Promise<TimelinePage> {
  let q = db
    .selectFrom('events')
    .leftJoin('answers', 'answers.event_id', 'events.id')
    .leftJoin('surveys', (j) => j.onRef('surveys.id', '=', 'answers.survey_id').on('surveys.workspace_id', '=', workspaceId))
    .select([
      'events.id', 'events.type', 'events.name', 'events.properties', 'events.traits', 'events.context', 'events.timestamp', 'events.message_id', 'events.batch_id', 'events.batch_position',
      'answers.id as answer_id', 'answers.score', 'answers.comment', 'answers.channel', 'answers.stage', 'answers.survey_id', 'surveys.name as survey_title',
    ])
    .where('events.workspace_id', '=', workspaceId)
    .where('events.profile_id', '=', profileId);
  if (types?.length) q = q.where('events.type', 'in', types);
  if (cursor) {
    const [ts, id] = [Number(cursor.split(':')[0]), cursor.slice(cursor.indexOf(':') + 1)];
    q = q.where((eb) => eb.or([eb('events.timestamp', '<', ts), eb.and([eb('events.timestamp', '=', ts), eb('events.id', '<', id)])]));
  }
  const rows = await q.orderBy('events.timestamp', 'desc').orderBy('events.id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const payloads = await eventPayloads(db, page);
  return {
    items: page.map((r, k) => ({
      id: r.id,
      type: r.type,
      name: r.name,
      timestamp: new Date(r.timestamp).toISOString(),
      messageId: r.message_id,
      properties: payloads[k].properties,
      traits: payloads[k].traits,
      context: payloads[k].context,
      answer: r.answer_id ? { id: r.answer_id, score: r.score, comment: r.comment, channel: r.channel, journeyStage: r.stage, surveyId: r.survey_id, surveyTitle: r.survey_title } : null,
    })),
    nextCursor: rows.length > limit ? `${page[page.length - 1].timestamp}:${page[page.length - 1].id}` : null,
  };
}

export async function traitHistory(db: Db, workspaceId: string, profileId: string, traitKey?: string) {
  let q = db.selectFrom('trait_changes').select(['key', 'value', 'previous', 'changed_at', 'event_id']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId);
  if (traitKey) q = q.where('key', '=', traitKey);
  const rows = await q.orderBy('changed_at', 'desc').orderBy('id', 'desc').limit(500).execute();
  return rows.map((r) => ({ trait: r.key, value: fromJson(r.value, null), previous: fromJson(r.previous, null), changedAt: new Date(r.changed_at).toISOString(), eventId: r.event_id }));
}

/** Live (not merged) profiles in id order, a page at a time: how an audience run walks a workspace. */
export async function profilesAfter(db: Db, workspaceId: string, afterId: string | null, limit: number): Promise<ProfileTable[]> {
  let q = db.selectFrom('profiles').selectAll().where(workspaceColumn(db), '=', workspaceId).where('merged_into', 'is', null);
  if (afterId) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

export async function countProfiles(db: Db, workspaceId: string): Promise<number> {
  const row = await db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).where('workspace_id', '=', workspaceId).where('merged_into', 'is', null).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Merge records naming a profile, either side, newest first. */
export async function identityHistory(db: Db, workspaceId: string, profileId: string) {
  const rows = await db.selectFrom('merges').selectAll().where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('survivor_id', '=', profileId), eb('merged_id', '=', profileId)]))
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(500).execute();
  return rows.map((r) => ({
    status: r.status, survivorId: r.survivor_id, otherId: r.merged_id, reason: r.reason, details: fromJson(r.details, null), at: new Date(Number(r.created_at)).toISOString(),
  }));
}

/** How a person is named in a list: what is known of them, and the one label to show. */
export interface NamedPerson {
  person: PersonNames | null;
  label: string;
}

/** Each profile's email addresses and phone numbers, oldest first (profiles with none are left out). */
export async function addressesOf(db: Db, workspaceId: string, profileIds: string[]): Promise<Map<string, { emails: string[]; phones: string[] }>> {
  const out = new Map<string, { emails: string[]; phones: string[] }>();
  const ids = [...new Set(profileIds)];
  if (!ids.length) return out;
  // workspaceColumn: through the profile_id index, not a walk of the workspace's identities.
  const rows = await db.selectFrom('identities').select(['profile_id', 'kind', 'value'])
    .where(workspaceColumn(db), '=', workspaceId).where('profile_id', 'in', ids).where('kind', 'in', ['email', 'phone'])
    .orderBy('created_at').execute();
  for (const r of rows) {
    const known = out.get(r.profile_id) ?? { emails: [], phones: [] };
    (r.kind === 'email' ? known.emails : known.phones).push(r.value);
    out.set(r.profile_id, known);
  }
  return out;
}

/** A profile's first email and first phone identity, for people whose traits name neither. */
async function contactIdentities(db: Db, workspaceId: string, profileIds: string[]): Promise<Map<string, { email: string | null; phone: string | null }>> {
  const out = new Map<string, { email: string | null; phone: string | null }>();
  for (const [id, { emails, phones }] of await addressesOf(db, workspaceId, profileIds)) out.set(id, { email: emails[0] ?? null, phone: phones[0] ?? null });
  return out;
}

/** A profile as read for naming: its id, traits (JSON) and userId. */
export interface ProfileToName {
  id: string;
  traits: string | null;
  userId: string | null;
}

/**
 * Who each profile is, from its traits, falling back to its email and phone identities: one more
 * query for the whole list, and only for those whose traits lack either.
 */
export async function nameProfiles(db: Db, workspaceId: string, profiles: ProfileToName[]): Promise<Map<string, NamedPerson>> {
  const traits = new Map(profiles.map((p) => [p.id, fromJson<Record<string, unknown>>(p.traits, {})]));
  const fromTraits = new Map([...traits].map(([id, t]) => [id, personNames(t)]));
  const identities = await contactIdentities(db, workspaceId, [...fromTraits].filter(([, p]) => !p?.email || !p.phone).map(([id]) => id));
  const out = new Map<string, NamedPerson>();
  for (const p of profiles) {
    const known = identities.get(p.id);
    const person = known ? personNames(traits.get(p.id)!, known) : fromTraits.get(p.id)!;
    out.set(p.id, { person, label: personLabel(person, p.id, p.userId) });
  }
  return out;
}

/**
 * Who each profile is, for naming them in a list: two indexed queries however long the list
 * (a profile missing here, say erased meanwhile, gets the anonymous label).
 */
export async function peopleByProfile(db: Db, workspaceId: string, profileIds: string[]): Promise<Map<string, NamedPerson>> {
  const ids = [...new Set(profileIds)];
  if (!ids.length) return new Map();
  // workspaceColumn: by primary key, not through the (workspace_id, created_at) index.
  const rows = await db.selectFrom('profiles').select(['id', 'user_id', 'traits']).where(workspaceColumn(db), '=', workspaceId).where('id', 'in', ids).execute();
  const out = await nameProfiles(db, workspaceId, rows.map((r) => ({ id: r.id, traits: r.traits, userId: r.user_id })));
  for (const id of ids) if (!out.has(id)) out.set(id, { person: null, label: personLabel(null, id) });
  return out;
}
