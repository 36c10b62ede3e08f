import type { Insertable } from 'kysely';
import { categoryOf } from '../domain/category.ts';
import { newId } from '../domain/ids.ts';
import { daysBetween, journeyStage, type StageRule } from '../domain/journey.ts';
import { applyAnswer, foldEvent, mergeStates, newProfileState, type ProfileState } from '../domain/profile.ts';
import { softIdentifiers } from '../domain/identity.ts';
import { ORDER_COMPLETED, type IngestEvent } from '../domain/event.ts';
import type { Fact } from '../domain/facts.ts';
import { toJson, type Db, type Store, type Tx } from './db.ts';
import { insertRows, selectWhereIn } from './bulk.ts';
import type { CachedProfile, Staged } from './projection-cache.ts';
import { componentsClaimedBy, relabelComponent, splitComponent, type Split } from './identity-split.ts';
import type { Schema } from './schema.ts';

/**
 * An accepted event waiting for projection; `key` says where it was accepted (inbox row and index
 * among the row's events), `ref` where its message lies in the accepted log (store/batches.ts).
 */
export type PendingEvent = IngestEvent & { key: string; ref?: { batchId: string; position: number } };
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

type IdentityKind = 'user' | 'anon' | 'email' | 'phone' | 'alias';
const key = (kind: IdentityKind, value: string) => `${kind}\u0000${value}`;

/** All the projection work for one workspace inside one transaction. */
const PROFILE_COLUMNS = [
  'id', 'workspace_id', 'user_id', 'traits', 'created_at', 'updated_at', 'first_seen_at', 'last_seen_at', 'order_count', 'revenue',
  'first_order_at', 'last_order_at', 'nps_score', 'nps_category', 'nps_answered_at', 'nps_prev_score', 'last_campaign', 'last_utm_source',
] as const satisfies ReadonlyArray<keyof ProfileState>;
const PROFILE_UPDATE = PROFILE_COLUMNS.filter((c) => c !== 'id' && c !== 'workspace_id');

export class Projection {
  private readonly now = Date.now();
  /** What this projection committed, for the bus (kept across the saves of one apply). */
  readonly facts: Fact[] = [];
  // Everything below is this batch's working state; a split (rare) saves it and starts afresh.
  private identity = new Map<string, string>(); // identity key -> profile id
  private component = new Map<string, string>(); // soft identity key -> component label
  private compParent = new Map<string, string>(); // component merged in this batch -> the one it joined
  private compProfile = new Map<string, string>(); // component -> a profile it was on (follow with find)
  private links = new Map<string, Set<string>>(); // contested component -> userIds it was seen with
  private newLinks: Insertable<Schema['identity_links']>[] = [];
  private relabels: Array<{ from: string; to: string }> = [];
  private newIdentities: Insertable<Schema['identities']>[] = [];
  private states = new Map<string, ProfileState>();
  private existing = new Set<string>(); // profile ids already in the database
  private parent = new Map<string, string>(); // merged profile -> survivor
  private mergedInDb: Array<{ loser: string; survivor: string }> = [];
  private events: Insertable<Schema['events']>[] = [];
  private answers: Insertable<Schema['answers']>[] = [];
  private traitChanges: Insertable<Schema['trait_changes']>[] = [];
  private merges: Insertable<Schema['merges']>[] = [];
  private groups = new Map<string, Record<string, unknown>>();
  private memberships: Array<{ profile: string; group: string }> = [];
  private recomputeNps = new Set<string>();
  private readonly softKeysOf = new WeakMap<IngestEvent, string[]>();
  /** Class profiles joined by an alias: contested components may now belong to them alone. */
  private aliased = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly tx: Tx,
    private readonly workspaceId: string,
    private readonly rules: StageRule[],
    /** Identities and profiles committed before (SQLite's one writer keeps them; see projection-cache.ts). */
    private readonly cache?: Staged,
  ) {}

  private reset() {
    this.identity = new Map();
    this.component = new Map();
    this.compParent = new Map();
    this.compProfile = new Map();
    this.links = new Map();
    this.newLinks = [];
    this.relabels = [];
    this.newIdentities = [];
    this.states = new Map();
    this.existing = new Set();
    this.parent = new Map();
    this.mergedInDb = [];
    this.events = [];
    this.answers = [];
    this.traitChanges = [];
    this.merges = [];
    this.groups = new Map();
    this.memberships = [];
    this.recomputeNps = new Set();
    this.aliased = new Set();
  }

  private find(id: string): string {
    let p = id;
    while (this.parent.has(p)) p = this.parent.get(p)!;
    return p;
  }

  private compFind(c: string): string {
    let p = c;
    while (this.compParent.has(p)) p = this.compParent.get(p)!;
    return p;
  }

  /** Projects accepted events onto profiles and stores them; returns, per event key, what it became. */
  async apply(events: PendingEvent[]): Promise<Map<string, Projected>> {
    await this.loadIdentities(events);
    const results = new Map<string, Projected>();
    const aliased = new Set<string>();
    const settle = () => {
      // Results name the surviving profile even when a later message in the same batch merged it away.
      for (const r of results.values()) r.profileId = this.find(r.profileId);
      for (const id of this.aliased) aliased.add(this.find(id));
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const splits = this.splitsNeeded(e);
      if (splits.length) {
        // A soft component claimed by a second person leaves the first: save what came before,
        // move it in the database, and go on from there with fresh state.
        await this.save();
        settle();
        this.reset();
        if (this.cache) this.cache.dirty = true;
        for (const s of splits) this.facts.push(...(await splitComponent(this.tx, this.workspaceId, s, this.now)));
        await this.loadIdentities(events.slice(i));
      }
      results.set(e.key, this.process(e));
    }
    await this.save();
    settle();
    if (aliased.size) {
      this.reset();
      if (this.cache) this.cache.dirty = true;
      await this.reattach([...aliased]);
    }
    return results;
  }

  /** Every identifier a message names, for loading; an alias's previousId may be a userId or an anonymousId. */
  private identifiersOf(e: IngestEvent): Array<[IdentityKind, string]> {
    const ids: Array<[IdentityKind, string]> = [];
    if (e.userId) ids.push(['user', e.userId], ['alias', e.userId]);
    if (e.previousId) ids.push(['user', e.previousId], ['alias', e.previousId]);
    for (const k of softIdentifiers(e)) {
      const cut = k.indexOf(':');
      ids.push([k.slice(0, cut) as IdentityKind, k.slice(cut + 1)]);
    }
    return ids;
  }

  /** Soft identity keys of a message, as this class keys them (asked three times per message: kept). */
  private softKeys(e: IngestEvent): string[] {
    let keys = this.softKeysOf.get(e);
    if (!keys) {
      keys = softIdentifiers(e).map((k) => {
        const cut = k.indexOf(':');
        return key(k.slice(0, cut) as IdentityKind, k.slice(cut + 1));
      });
      this.softKeysOf.set(e, keys);
    }
    return keys;
  }

  private async loadIdentities(events: IngestEvent[]) {
    const wanted = new Map<IdentityKind, Set<string>>();
    for (const e of events) for (const [k, v] of this.identifiersOf(e)) (wanted.get(k) ?? wanted.set(k, new Set()).get(k)!).add(v);
    await this.loadIdentityRows(wanted);
    // Contested components (on a profile without a userId, with links): the userIds they were seen
    // with, and those userIds' profiles, so deciding stays in memory.
    const soft = [...new Set([...this.compProfile].filter(([, p]) => this.states.get(this.find(p))?.user_id == null).map(([c]) => c))];
    if (!soft.length) return;
    const rows = await selectWhereIn(this.store, this.tx, 'identity_links', ['component', 'user_id'], { workspace_id: this.workspaceId }, 'component', soft);
    const users = new Set<string>();
    for (const r of rows) {
      (this.links.get(r.component) ?? this.links.set(r.component, new Set()).get(r.component)!).add(r.user_id);
      if (!this.identity.has(key('user', r.user_id))) users.add(r.user_id);
    }
    if (users.size) await this.loadIdentityRows(new Map([['user', users], ['alias', users]]));
  }

  private async loadIdentityRows(wanted: Map<IdentityKind, Set<string>>) {
    const profileIds = new Set<string>();
    const ws = this.workspaceId;
    const known = (kind: IdentityKind, value: string, profileId: string, component: string | null) => {
      const k = key(kind, value);
      this.identity.set(k, profileId);
      if (kind !== 'user' && kind !== 'alias') {
        const c = component ?? `cmp_${profileId}`;
        this.component.set(k, c);
        this.compProfile.set(c, profileId);
      }
      if (!this.states.has(profileId)) profileIds.add(profileId);
    };
    for (const [kind, values] of wanted) {
      let missing = [...values];
      if (this.cache) {
        const cache = this.cache;
        missing = missing.filter((v) => {
          const hit = cache.identity(ws, kind, v);
          if (hit) known(kind, v, hit.profile_id, hit.component);
          return hit === undefined;
        });
      }
      const rows = await selectWhereIn(this.store, this.tx, 'identities', ['value', 'profile_id', 'component'], { workspace_id: ws, kind }, 'value', missing);
      for (const r of rows) known(kind, r.value, r.profile_id, r.component);
      if (this.cache) {
        const found = new Map(rows.map((r) => [r.value, r]));
        for (const v of missing) {
          const r = found.get(v);
          this.cache.putIdentity(ws, kind, v, r ? { profile_id: r.profile_id, component: r.component } : null);
        }
      }
    }
    let missing = [...profileIds];
    if (this.cache) {
      const cache = this.cache;
      missing = missing.filter((id) => {
        const row = cache.profile(id);
        if (row) this.loaded(row);
        return !row;
      });
    }
    const rows = await selectWhereIn(this.store, this.tx, 'profiles', PROFILE_COLUMNS, {}, 'id', missing);
    for (const r of rows) {
      this.loaded(r);
      this.cache?.putProfile(r);
    }
  }

  private loaded(r: CachedProfile) {
    this.states.set(r.id, { ...r, traits: JSON.parse(r.traits) });
    this.existing.add(r.id);
  }

  private lookup(kind: IdentityKind, value: string | null): string | undefined {
    if (!value) return undefined;
    const id = this.identity.get(key(kind, value));
    return id ? this.find(id) : undefined;
  }

  /** The profile of a userId: its own identity, or an alias that named it before it came as one. */
  private personOf(userId: string): string | undefined {
    return this.lookup('user', userId) ?? this.lookup('alias', userId);
  }

  private isPerson(profileId: string): boolean {
    return this.states.get(profileId)?.user_id != null;
  }

  /** The profile a component is on now. */
  private profileOf(component: string): string | undefined {
    const p = this.compProfile.get(component);
    return p ? this.find(p) : undefined;
  }

  /** The people (userId profiles) a contested component's links name. */
  private claimants(component: string): Set<string> {
    const out = new Set<string>();
    for (const u of this.links.get(component) ?? []) {
      const p = this.personOf(u);
      if (p) out.add(p);
    }
    return out;
  }

  /** The people a component belongs to or is claimed by (domain/identity.ts). */
  private claimsOf(component: string): Set<string> {
    const p = this.profileOf(component);
    const out = this.claimants(component);
    if (p && this.isPerson(p)) out.add(p);
    return out;
  }

  /** The components of a message's known soft ids. */
  private componentsOf(e: IngestEvent): string[] {
    const out = new Set<string>();
    for (const k of this.softKeys(e)) {
      const c = this.component.get(k);
      if (c) out.add(this.compFind(c));
    }
    return [...out];
  }

  /**
   * Components this message takes away from the person they belong to: one seen now with another
   * userId, or joined (by a message without a userId) to one claimed by someone else.
   */
  private splitsNeeded(e: IngestEvent): Split[] {
    const comps = this.componentsOf(e);
    if (!comps.length) return [];
    const out: Split[] = [];
    if (e.userId) {
      const mine = this.personOf(e.userId);
      for (const c of comps) {
        const p = this.profileOf(c)!;
        if (this.isPerson(p) && p !== mine) {
          out.push({ component: c, from: p, users: [this.states.get(p)!.user_id!, e.userId], reason: this.refusal(e, c, p) });
        }
      }
      return out;
    }
    const claims = new Set<string>();
    for (const c of comps) for (const p of this.claimsOf(c)) claims.add(p);
    if (claims.size < 2) return [];
    for (const c of comps) {
      const p = this.profileOf(c)!;
      if (this.isPerson(p)) out.push({ component: c, from: p, users: [this.states.get(p)!.user_id!], reason: this.refusal(e, c, p) });
    }
    return out;
  }

  private refusal(e: IngestEvent, component: string, from: string): string {
    const ids = [...this.component].filter(([, c]) => this.compFind(c) === component).map(([k]) => k.replace('\u0000', ' '));
    const who = e.userId ? `userId ${e.userId}` : 'ids of another person';
    return `${e.type} ${e.messageId} links ${ids.join(', ') || 'a soft id'} of userId ${this.states.get(from)?.user_id} with ${who}: neither gets it`;
  }

  /** Picks the profile for a message (domain/identity.ts), attaching, joining and merging as the rule says. */
  private resolve(e: IngestEvent): string {
    const keys = this.softKeys(e);
    const fresh = keys.filter((k) => !this.component.has(k));
    const comps = this.componentsOf(e);
    let target: string;
    if (e.userId) {
      let mine = this.lookup('user', e.userId);
      if (!mine) {
        mine = this.personOf(e.userId);
        if (mine) this.claimUser(mine, e.userId);
      }
      // A person new here takes over the oldest of the profiles that were theirs anonymously, so ids given out earlier stay the root.
      const byAge = (a: string, b: string) => this.states.get(this.profileOf(a)!)!.created_at - this.states.get(this.profileOf(b)!)!.created_at || (a < b ? -1 : 1);
      for (const c of [...comps].sort(byAge)) {
        const p = this.profileOf(c)!;
        if (this.isPerson(p)) continue; // on this person already (splitsNeeded moved any other)
        if (this.links.get(c)?.size) {
          // Contested: note this claimant too; it stays nobody's.
          if (!mine || !this.claimants(c).has(mine)) this.link(c, e.userId);
          continue;
        }
        // Anonymous until now: it is this person's. Its profile becomes theirs when they are new here.
        if (!mine) {
          mine = p;
          this.claimUser(p, e.userId);
        } else if (p !== mine) mine = this.merge(mine, p, e);
      }
      if (!mine) {
        mine = this.newProfile(e);
        this.claimUser(mine, e.userId);
      }
      target = mine;
      for (const k of fresh) this.addSoft(k, newId('cmp', this.now), target);
      if (e.type === 'alias' && e.previousId) target = this.alias(target, e);
    } else {
      const claims = new Set<string>();
      for (const c of comps) for (const p of this.claimsOf(c)) claims.add(p);
      const profiles = [...new Set(comps.map((c) => this.profileOf(c)!))];
      if (claims.size === 1) target = [...claims][0];
      else target = profiles.filter((p) => !this.isPerson(p)).sort((a, b) => this.states.get(a)!.created_at - this.states.get(b)!.created_at || (a < b ? -1 : 1))[0] ?? this.newProfile(e);
      for (const p of profiles) if (this.find(p) !== this.find(target)) target = this.merge(target, p, e);
      // One message without a userId makes its soft ids one component.
      const label = comps[0] ?? newId('cmp', this.now);
      for (const c of comps.slice(1)) this.joinComponents(c, label);
      for (const k of fresh) this.addSoft(k, label, target);
    }
    return this.find(target);
  }

  private newProfile(e: IngestEvent): string {
    const id = newId('prof', this.now);
    this.states.set(id, newProfileState(id, this.workspaceId, e.timestamp, this.now));
    return id;
  }

  private claimUser(profileId: string, userId: string) {
    this.identity.set(key('user', userId), profileId);
    this.newIdentities.push({ workspace_id: this.workspaceId, kind: 'user', value: userId, profile_id: profileId, created_at: this.now, component: null });
    this.states.get(profileId)!.user_id ??= userId;
  }

  private addSoft(k: string, component: string, profileId: string) {
    const cut = k.indexOf('\u0000');
    this.identity.set(k, profileId);
    this.component.set(k, component);
    if (!this.compProfile.has(component)) this.compProfile.set(component, profileId);
    this.newIdentities.push({ workspace_id: this.workspaceId, kind: k.slice(0, cut) as IdentityKind, value: k.slice(cut + 1), profile_id: profileId, created_at: this.now, component });
  }

  private link(component: string, userId: string) {
    const set = this.links.get(component) ?? this.links.set(component, new Set()).get(component)!;
    if (set.has(userId)) return;
    set.add(userId);
    this.newLinks.push({ workspace_id: this.workspaceId, component, user_id: userId, created_at: this.now });
  }

  private joinComponents(from: string, to: string) {
    if (from === to) return;
    this.compParent.set(from, to);
    this.relabels.push({ from, to });
    const moved = this.links.get(from);
    if (moved) {
      const into = this.links.get(to) ?? this.links.set(to, new Set()).get(to)!;
      for (const u of moved) into.add(u);
      this.links.delete(from);
    }
  }

  /** alias: previousId, as a userId, is this person (joining two people is alias's alone to say). */
  private alias(target: string, e: IngestEvent): string {
    const other = this.lookup('user', e.previousId) ?? this.lookup('alias', e.previousId);
    if (!other) {
      // Not (yet) anyone's userId: remembered, so a message that later carries it as one lands here.
      this.identity.set(key('alias', e.previousId!), target);
      this.newIdentities.push({ workspace_id: this.workspaceId, kind: 'alias', value: e.previousId!, profile_id: target, created_at: this.now, component: null });
      return target;
    }
    if (other === target) return target;
    const survivor = this.merge(target, other, e);
    this.aliased.add(survivor);
    return survivor;
  }

  /**
   * After an alias joined two people, a component both had claimed has one claimant left: it is
   * theirs now (domain/identity.ts). Runs on saved state, as its own step.
   */
  private async reattach(people: string[]) {
    for (const person of new Set(people)) {
      for (const c of await componentsClaimedBy(this.tx, this.workspaceId, person)) {
        if (c.claimants.length !== 1 || c.on === c.claimants[0]) continue;
        const rows = await selectWhereIn(this.store, this.tx, 'profiles', PROFILE_COLUMNS, {}, 'id', [c.claimants[0], c.on]);
        for (const r of rows) this.loaded(r);
        if (rows.length === 2 && this.states.get(c.on)!.user_id == null) this.merge(c.claimants[0], c.on, { type: 'alias', messageId: `component ${c.component}` });
        await this.save();
        this.reset();
      }
    }
  }

  /** Returns the survivor. Only an alias joins two profiles that each have a userId. */
  private merge(a: string, b: string, e: Pick<IngestEvent, 'type' | 'messageId'>): string {
    const sa = this.states.get(a)!;
    const sb = this.states.get(b)!;
    if (sa.user_id && sb.user_id && sa.user_id !== sb.user_id && e.type !== 'alias') {
      throw new Error(`identity rule broken: ${e.type} ${e.messageId} would merge userId ${sa.user_id} and ${sb.user_id}`);
    }
    // The identified profile survives; between equals, the older one, so ids people bookmarked stay valid.
    const [survivor, loser] =
      e.type === 'alias' ? [sa, sb] // the new userId's profile (resolved first) survives an alias
      : (sa.user_id && !sb.user_id) || (!!sa.user_id === !!sb.user_id && sa.created_at <= sb.created_at) ? [sa, sb] : [sb, sa];
    const loserTraits = { ...loser.traits };
    mergeStates(survivor, loser);
    survivor.updated_at = this.now;
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

    state.updated_at = this.now;
    {
      for (const c of foldEvent(state, e, ORDER_COMPLETED)) {
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

    this.events.push(eventRow(this.workspaceId, e, eventId, profileId, e.ref));
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
    for (const r of this.newIdentities) if (r.component) r.component = this.compFind(r.component);
    await insertRows(S, tx, 'identities', canon(this.newIdentities), { columns: ['workspace_id', 'kind', 'value'] });
    for (const r of this.newIdentities) this.cache?.putIdentity(ws, r.kind, r.value, { profile_id: r.profile_id, component: r.component ?? null });
    for (const r of this.newIdentities) this.facts.push({ type: 'identity.linked', profileId: r.profile_id, kind: r.kind });
    for (const { from } of this.relabels) {
      await relabelComponent(tx, ws, from, this.compFind(from), this.now);
      this.cache?.relabel(from);
    }
    for (const l of this.newLinks) l.component = this.compFind(l.component);
    await insertRows(S, tx, 'identity_links', this.newLinks, { columns: ['workspace_id', 'component', 'user_id'] });
    const profiles = [...this.states.values()].map((st) => ({ ...st, traits: JSON.stringify(st.traits), merged_into: null }));
    await insertRows(S, tx, 'profiles', profiles, { columns: ['id'], update: PROFILE_UPDATE });
    for (const { merged_into: _, ...row } of profiles) this.cache?.putProfile(row);
    // Profiles loaded only to decide (a claimant, say) were written back unchanged: not announced.
    for (const st of this.states.values()) {
      if (!this.existing.has(st.id)) this.facts.push({ type: 'profile.created', profileId: st.id });
      else if (st.updated_at === this.now) this.facts.push({ type: 'profile.changed', profileId: st.id });
    }
    for (const { loser } of this.mergedInDb) {
      const survivor = this.find(loser);
      this.facts.push({ type: 'profile.merged', profileId: loser, into: survivor });
      this.cache?.merged(loser);
      await tx.updateTable('profiles').set({ merged_into: survivor, updated_at: this.now }).where('id', '=', loser).execute();
      // Earlier merges into the loser now point at the final survivor, so a lookup needs one hop.
      await tx.updateTable('profiles').set({ merged_into: survivor }).where('workspace_id', '=', ws).where('merged_into', '=', loser).execute();
      for (const table of ['events', 'trait_changes', 'identities', 'contacts', 'suppressions'] as const) {
        await tx.updateTable(table).set({ profile_id: survivor }).where('workspace_id', '=', ws).where('profile_id', '=', loser).execute();
      }
      // An answer changing hands is a change the insight engine must see.
      const moved = await tx.updateTable('answers').set({ profile_id: survivor, updated_at: this.now }).where('workspace_id', '=', ws).where('profile_id', '=', loser).returning('id').execute();
      for (const a of moved) this.facts.push({ type: 'answer.changed', answerId: a.id, profileId: survivor });
      await tx
        .deleteFrom('profile_groups')
        .where('profile_id', '=', loser)
        .where('group_id', 'in', (qb) => qb.selectFrom('profile_groups').select('group_id').where('profile_id', '=', survivor))
        .execute();
      await tx.updateTable('profile_groups').set({ profile_id: survivor }).where('profile_id', '=', loser).execute();
    }
    await insertRows(S, tx, 'events', canon(this.events));
    for (const e of this.events) this.facts.push({ type: 'event.stored', eventId: e.id, profileId: e.profile_id, eventType: e.type, name: e.name ?? null, timestamp: Number(e.timestamp) });
    await insertRows(S, tx, 'answers', canon(this.answers));
    for (const a of this.answers) this.facts.push({ type: 'answer.created', answerId: a.id, profileId: a.profile_id });
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
    for (const id of this.recomputeNps) {
      await recomputeLatestNps(tx, this.find(id));
      this.cache?.dropProfile(this.find(id));
    }
  }
}

/** Latest and previous score from the answers themselves, for late arrivals and merges. */
export async function recomputeLatestNps(tx: Db | Tx, profileId: string): Promise<void> {
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

/**
 * An events row: its keys, and its payload only when there is no accepted batch to read it from,
 * except a track event's properties, which stay in the row: analyses read them by event name across
 * a workspace's whole history (store/events.ts forEachNamedEvent), where going to the log for each
 * would read every batch again and again (10 s instead of a fraction for 73k events).
 */
export function eventRow(workspaceId: string, e: IngestEvent, id: string, profileId: string, ref?: { batchId: string; position: number }): Insertable<Schema['events']> {
  return {
    id,
    workspace_id: workspaceId,
    profile_id: profileId,
    message_id: e.messageId,
    type: e.type,
    // alias and group keep their other id where a track keeps its event name.
    name: e.type === 'alias' ? e.previousId : e.type === 'group' ? e.groupId : e.name,
    properties: (!ref || e.type === 'track') && e.properties ? JSON.stringify(e.properties) : null,
    traits: !ref && e.traits ? JSON.stringify(e.traits) : null,
    context: !ref && e.context ? JSON.stringify(e.context) : null,
    user_id: e.userId,
    anonymous_id: e.anonymousId,
    email: e.email,
    phone: e.phone,
    timestamp: e.timestamp,
    received_at: e.receivedAt,
    batch_id: ref?.batchId ?? null,
    batch_position: ref?.position ?? null,
  };
}
