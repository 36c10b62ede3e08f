import type { Insertable } from 'kysely';
import { categoryOf } from '../domain/category.ts';
import { newId } from '../domain/ids.ts';
import { daysBetween, journeyStage, type StageRule } from '../domain/journey.ts';
import { applyAnswer, applyOrder, applyTraits, orderRevenue, mergeStates, newProfileState, touch, type ProfileState } from '../domain/profile.ts';
import type { IngestEvent } from '../ingest/event.ts';
import { ORDER_COMPLETED } from '../ingest/types.ts';
import { toJson, type Store, type Tx } from './db.ts';
import { insertRows, selectWhereIn } from './bulk.ts';
import type { Schema } from './schema.ts';

/** An accepted event waiting for projection; `key` says where it was accepted (inbox row and position). */
export type PendingEvent = IngestEvent & { key: string };
export interface Projected {
  profileId: string;
  answerId: string | null;
  eventId?: string;
  /** Set when the event repeated a messageId already stored: it was dropped; ids are the first delivery's. */
  duplicate?: boolean;
  /** Set when projecting it failed: the ingestion error's id and the reason. */
  setAside?: string;
}

/** An answer's id follows from its event's, so the id is known the moment the event is accepted. */
export function answerIdOf(eventId: string): string {
  return `ans_${eventId.slice(eventId.indexOf('_') + 1)}`;
}

type IdentityKind = 'user' | 'anon' | 'email' | 'phone';
const key = (kind: IdentityKind, value: string) => `${kind}\u0000${value}`;

/** All the projection work for one workspace inside one transaction. */
const PROFILE_COLUMNS = [
  'id', 'workspace_id', 'user_id', 'traits', 'created_at', 'updated_at', 'first_seen_at', 'last_seen_at', 'order_count', 'revenue',
  'first_order_at', 'last_order_at', 'nps_score', 'nps_category', 'nps_answered_at', 'nps_prev_score', 'last_campaign', 'last_utm_source',
] as const satisfies ReadonlyArray<keyof ProfileState>;
const PROFILE_UPDATE = PROFILE_COLUMNS.filter((c) => c !== 'id' && c !== 'workspace_id');

export class Projection {
  private readonly now = Date.now();
  private readonly identity = new Map<string, string>(); // identity key -> profile id
  private readonly newIdentities: Insertable<Schema['identities']>[] = [];
  private readonly states = new Map<string, ProfileState>();
  private readonly existing = new Set<string>(); // profile ids already in the database
  private readonly parent = new Map<string, string>(); // merged profile -> survivor
  private readonly mergedInDb: Array<{ loser: string; survivor: string }> = [];
  private readonly events: Insertable<Schema['events']>[] = [];
  private readonly answers: Insertable<Schema['answers']>[] = [];
  private readonly traitChanges: Insertable<Schema['trait_changes']>[] = [];
  private readonly merges: Insertable<Schema['merges']>[] = [];
  private readonly groups = new Map<string, Record<string, unknown>>();
  private readonly memberships: Array<{ profile: string; group: string }> = [];
  private readonly recomputeNps = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly tx: Tx,
    private readonly workspaceId: string,
    private readonly rules: StageRule[],
  ) {}

  private find(id: string): string {
    let p = id;
    while (this.parent.has(p)) p = this.parent.get(p)!;
    return p;
  }

  /** Projects accepted events onto profiles and stores them; returns, per event key, what it became. */
  async apply(events: PendingEvent[]): Promise<Map<string, Projected>> {
    await this.loadIdentities(events);
    const results = new Map<string, Projected>();
    for (const e of events) results.set(e.key, this.process(e));
    await this.save();
    // Results name the surviving profile even when a later message in the same batch merged it away.
    for (const r of results.values()) r.profileId = this.find(r.profileId);
    return results;
  }

  private identifiersOf(e: IngestEvent): Array<[IdentityKind, string]> {
    const ids: Array<[IdentityKind, string]> = [];
    if (e.userId) ids.push(['user', e.userId]);
    if (e.anonymousId) ids.push(['anon', e.anonymousId]);
    if (e.email) ids.push(['email', e.email]);
    if (e.phone) ids.push(['phone', e.phone]);
    return ids;
  }

  private async loadIdentities(events: IngestEvent[]) {
    const wanted = new Map<IdentityKind, Set<string>>();
    const want = (k: IdentityKind, v: string) => (wanted.get(k) ?? wanted.set(k, new Set()).get(k)!).add(v);
    for (const e of events) {
      for (const [k, v] of this.identifiersOf(e)) want(k, v);
      // Segment's previousId is whichever id the person had before: an anonymousId or a userId.
      if (e.previousId) {
        want('user', e.previousId);
        want('anon', e.previousId);
      }
    }
    const profileIds = new Set<string>();
    for (const [kind, values] of wanted) {
      const rows = await selectWhereIn(this.store, this.tx, 'identities', ['value', 'profile_id'], { workspace_id: this.workspaceId, kind }, 'value', [...values]);
      for (const r of rows) {
        this.identity.set(key(kind, r.value), r.profile_id);
        profileIds.add(r.profile_id);
      }
    }
    const rows = await selectWhereIn(this.store, this.tx, 'profiles', PROFILE_COLUMNS, {}, 'id', [...profileIds]);
    for (const r of rows) {
      this.states.set(r.id, { ...r, traits: JSON.parse(r.traits) });
      this.existing.add(r.id);
    }
  }

  private lookup(kind: IdentityKind, value: string | null): string | undefined {
    if (!value) return undefined;
    const id = this.identity.get(key(kind, value));
    return id ? this.find(id) : undefined;
  }

  /** Picks the profile for a message, merging the profiles its identifiers point at. */
  private resolve(e: IngestEvent): string {
    const candidates: string[] = [];
    const add = (id: string | undefined) => id && !candidates.includes(id) && candidates.push(id);
    add(this.lookup('user', e.userId));
    add(this.lookup('anon', e.anonymousId));
    add(this.lookup('email', e.email));
    add(this.lookup('phone', e.phone));
    if (e.previousId) {
      add(this.lookup('user', e.previousId));
      add(this.lookup('anon', e.previousId));
    }
    let target = candidates[0];
    if (!target) {
      target = newId('prof', this.now);
      this.states.set(target, newProfileState(target, this.workspaceId, e.timestamp, this.now));
    }
    for (const other of candidates.slice(1)) {
      const a = this.find(target);
      const b = this.find(other);
      if (a !== b) target = this.merge(a, b, e);
    }
    target = this.find(target);
    // An alias to an id never seen before still means "this id is that person" from now on.
    if (e.previousId && !this.identity.has(key('user', e.previousId)) && !this.identity.has(key('anon', e.previousId))) {
      this.identity.set(key('anon', e.previousId), target);
      this.newIdentities.push({ workspace_id: this.workspaceId, kind: 'anon', value: e.previousId, profile_id: target, created_at: this.now });
    }
    // Attach the identifiers this message carries; one that belongs to a refused merge stays put.
    for (const [kind, value] of this.identifiersOf(e)) {
      const k = key(kind, value);
      if (this.identity.has(k)) continue;
      this.identity.set(k, target);
      this.newIdentities.push({ workspace_id: this.workspaceId, kind, value, profile_id: target, created_at: this.now });
    }
    if (e.userId) this.states.get(target)!.user_id ??= e.userId;
    return target;
  }

  /** Returns the survivor. Two different userIds are two different people: such a merge is refused and recorded. */
  private merge(a: string, b: string, e: IngestEvent): string {
    const sa = this.states.get(a)!;
    const sb = this.states.get(b)!;
    // alias is the one explicit statement that two ids are one person, so it may join two userIds.
    if (sa.user_id && sb.user_id && sa.user_id !== sb.user_id && e.type !== 'alias') {
      this.merges.push({
        id: newId('mrg', this.now),
        workspace_id: this.workspaceId,
        survivor_id: a,
        merged_id: b,
        status: 'refused',
        reason: `${e.type} ${e.messageId} links userId ${sa.user_id} and ${sb.user_id}`,
        details: toJson({ messageId: e.messageId }),
        created_at: this.now,
      });
      return a;
    }
    // The identified profile survives; between equals, the older one, so ids people bookmarked stay valid.
    const [survivor, loser] =
      e.type === 'alias' ? [sa, sb] // the new userId's profile (resolved first) survives an alias
      : (sa.user_id && !sb.user_id) || (!!sa.user_id === !!sb.user_id && sa.created_at <= sb.created_at) ? [sa, sb] : [sb, sa];
    const loserTraits = { ...loser.traits };
    mergeStates(survivor, loser);
    this.parent.set(loser.id, survivor.id);
    this.states.delete(loser.id);
    if (this.existing.has(loser.id)) this.mergedInDb.push({ loser: loser.id, survivor: survivor.id });
    this.recomputeNps.add(survivor.id);
    const movedIdentities = [...this.identity].filter(([, p]) => p === loser.id).map(([k]) => k.replace('\u0000', ':'));
    for (const [k, p] of this.identity) if (p === loser.id) this.identity.set(k, survivor.id);
    this.merges.push({
      id: newId('mrg', this.now),
      workspace_id: this.workspaceId,
      survivor_id: survivor.id,
      merged_id: loser.id,
      status: 'merged',
      reason: `${e.type} ${e.messageId}`,
      details: toJson({ identities: movedIdentities, traits: loserTraits, userId: loser.user_id }),
      created_at: this.now,
    });
    return survivor.id;
  }

  private process(e: PendingEvent): Projected {
    const profileId = this.resolve(e);
    const state = this.states.get(profileId)!;
    const eventId = newId('evt', this.now);
    let answerId: string | null = null;

    if (e.answer) {
      const a = e.answer;
      const ctx = (e.context ?? {}) as Record<string, any>;
      const at = e.timestamp;
      answerId = answerIdOf(eventId);
      this.answers.push({
        id: answerId,
        workspace_id: this.workspaceId,
        profile_id: profileId,
        event_id: eventId,
        message_id: e.messageId,
        score: a.score,
        category: categoryOf(a.score),
        comment: a.comment,
        channel: a.channel,
        survey_id: a.surveyId,
        survey_version: a.surveyVersion,
        properties: toJson(a.properties),
        // Context as it was when the person answered, before this answer touched the profile.
        stage: a.stage ?? journeyStage({ ...state, lifetime_revenue: state.revenue }, at, this.rules),
        days_since_last_order: state.last_order_at == null || state.last_order_at > at ? null : daysBetween(state.last_order_at, at),
        days_since_first_seen: daysBetween(Math.min(state.first_seen_at, at), at),
        campaign: ctx.campaign?.name ?? state.last_campaign,
        utm_source: ctx.campaign?.source ?? state.last_utm_source,
        device: deviceOf(ctx),
        answered_at: at,
        created_at: this.now,
        updated_at: this.now,
        csat: a.csat ?? null,
        ces: a.ces ?? null,
        contact_id: a.contactId ?? null,
      });
      if (!applyAnswer(state, a.score, at)) this.recomputeNps.add(profileId);
    }

    const wasLast = e.timestamp >= state.last_seen_at;
    touch(state, e.timestamp);
    state.updated_at = this.now;
    const campaign = (e.context as Record<string, any> | null)?.campaign;
    if (campaign && typeof campaign === 'object' && wasLast) {
      if (campaign.name) state.last_campaign = String(campaign.name).slice(0, 200);
      if (campaign.source) state.last_utm_source = String(campaign.source).slice(0, 200);
    }
    if (e.type === 'track' && e.name === ORDER_COMPLETED) applyOrder(state, e.timestamp, orderRevenue(e.properties));
    if (e.type === 'identify' && e.traits) {
      for (const c of applyTraits(state, e.traits)) {
        this.traitChanges.push({
          id: newId('trc', this.now),
          workspace_id: this.workspaceId,
          profile_id: profileId,
          key: c.key.slice(0, 200),
          value: toJson(c.value),
          previous: c.previous == null ? null : toJson(c.previous),
          changed_at: e.timestamp,
          event_id: eventId,
        });
      }
    }
    if (e.type === 'group' && e.groupId) {
      this.groups.set(e.groupId, { ...(this.groups.get(e.groupId) ?? {}), ...(e.traits ?? {}) });
      this.memberships.push({ profile: profileId, group: e.groupId });
    }

    this.events.push(eventRow(this.workspaceId, e, eventId, profileId));
    return { profileId, answerId, eventId };
  }

  private async save() {
    const tx = this.tx;
    const ws = this.workspaceId;
    const canon = <T extends { profile_id: string }>(rows: T[]) => {
      for (const r of rows) r.profile_id = this.find(r.profile_id);
      return rows;
    };
    const S = this.store;
    await insertRows(S, tx, 'identities', canon(this.newIdentities), { columns: ['workspace_id', 'kind', 'value'] });
    const profiles = [...this.states.values()].map((st) => ({ ...st, traits: JSON.stringify(st.traits), merged_into: null }));
    await insertRows(S, tx, 'profiles', profiles, { columns: ['id'], update: PROFILE_UPDATE });
    for (const { loser } of this.mergedInDb) {
      const survivor = this.find(loser);
      await tx.updateTable('profiles').set({ merged_into: survivor, updated_at: this.now }).where('id', '=', loser).execute();
      // Earlier merges into the loser now point at the final survivor, so a lookup needs one hop.
      await tx.updateTable('profiles').set({ merged_into: survivor }).where('workspace_id', '=', ws).where('merged_into', '=', loser).execute();
      for (const table of ['events', 'trait_changes', 'identities', 'contacts', 'suppressions'] as const) {
        await tx.updateTable(table).set({ profile_id: survivor }).where('workspace_id', '=', ws).where('profile_id', '=', loser).execute();
      }
      // An answer changing hands is a change the insight engine must see.
      await tx.updateTable('answers').set({ profile_id: survivor, updated_at: this.now }).where('workspace_id', '=', ws).where('profile_id', '=', loser).execute();
      await tx
        .deleteFrom('profile_groups')
        .where('profile_id', '=', loser)
        .where('group_id', 'in', (qb) => qb.selectFrom('profile_groups').select('group_id').where('profile_id', '=', survivor))
        .execute();
      await tx.updateTable('profile_groups').set({ profile_id: survivor }).where('profile_id', '=', loser).execute();
    }
    await insertRows(S, tx, 'events', canon(this.events));
    await insertRows(S, tx, 'answers', canon(this.answers));
    await insertRows(S, tx, 'trait_changes', canon(this.traitChanges));
    if (this.groups.size) {
      const rows = [...this.groups].map(([group_id, traits]) => ({ workspace_id: ws, group_id, traits: JSON.stringify(traits), updated_at: this.now }));
      for (const r of rows) {
        const old = await tx.selectFrom('groups').select('traits').where('workspace_id', '=', ws).where('group_id', '=', r.group_id).executeTakeFirst();
        if (old) r.traits = JSON.stringify({ ...JSON.parse(old.traits), ...JSON.parse(r.traits) });
      }
      await insertRows(S, tx, 'groups', rows, { columns: ['workspace_id', 'group_id'], update: ['traits', 'updated_at'] });
      const links = new Map(this.memberships.map((m) => [`${this.find(m.profile)}\u0000${m.group}`, { workspace_id: ws, profile_id: this.find(m.profile), group_id: m.group, created_at: this.now }]));
      await insertRows(S, tx, 'profile_groups', [...links.values()], { columns: ['profile_id', 'group_id'] });
    }
    for (const m of this.merges) {
      m.survivor_id = this.find(m.survivor_id);
    }
    await insertRows(S, tx, 'merges', this.merges);
    for (const id of this.recomputeNps) await recomputeLatestNps(tx, this.find(id));
  }
}

/** Latest and previous score from the answers themselves, for late arrivals and merges. */
export async function recomputeLatestNps(tx: Tx, profileId: string): Promise<void> {
  const rows = await tx
    .selectFrom('answers')
    .select(['score', 'category', 'answered_at'])
    .where('profile_id', '=', profileId)
    .orderBy('answered_at', 'desc')
    .orderBy('id', 'desc')
    .limit(2)
    .execute();
  await tx
    .updateTable('profiles')
    .set({
      nps_score: rows[0]?.score ?? null,
      nps_category: rows[0]?.category ?? null,
      nps_answered_at: rows[0]?.answered_at ?? null,
      nps_prev_score: rows[1]?.score ?? null,
    })
    .where('id', '=', profileId)
    .execute();
}

function deviceOf(ctx: Record<string, any>): string | null {
  const t = ctx.device?.type;
  if (typeof t === 'string' && t) return t.slice(0, 40);
  const ua = typeof ctx.userAgent === 'string' ? ctx.userAgent : '';
  if (!ua) return null;
  if (/iPad|Tablet/i.test(ua)) return 'tablet';
  return /Mobi|Android|iPhone/i.test(ua) ? 'mobile' : 'desktop';
}

export function eventRow(workspaceId: string, e: IngestEvent, id: string, profileId: string): Insertable<Schema['events']> {
  return {
    id,
    workspace_id: workspaceId,
    profile_id: profileId,
    message_id: e.messageId,
    type: e.type,
    // alias and group keep their other id where a track keeps its event name.
    name: e.type === 'alias' ? e.previousId : e.type === 'group' ? e.groupId : e.name,
    properties: e.properties ? JSON.stringify(e.properties) : null,
    traits: e.traits ? JSON.stringify(e.traits) : null,
    context: e.context ? JSON.stringify(e.context) : null,
    user_id: e.userId,
    anonymous_id: e.anonymousId,
    email: e.email,
    phone: e.phone,
    timestamp: e.timestamp,
    received_at: e.receivedAt,
  };
}
