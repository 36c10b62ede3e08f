import type { Insertable } from 'kysely';
import { categoryOf } from '../domain/category.ts';
import { newId } from '../domain/ids.ts';
import { daysBetween, journeyStage, type StageRule } from '../domain/journey.ts';
import { applyAnswer, applyOrder, applyTraits, mergeStates, newProfileState, touch, type ProfileState } from '../domain/profile.ts';
import type { IngestEvent, IngestFailure } from '../ingest/event.ts';
import { ORDER_COMPLETED } from '../ingest/types.ts';
import { lockWorkspace, toJson, type Store, type Tx } from './db.ts';
import type { Schema } from './schema.ts';
import { stageRulesOf } from './workspaces.ts';

export interface ItemResult {
  messageId: string;
  status: 'stored' | 'duplicate';
  profileId: string;
  eventId: string;
  answerId: string | null;
}
export interface WriteResult {
  items: ItemResult[];
  stored: number;
  duplicates: number;
  errors: number;
}

type IdentityKind = 'user' | 'anon' | 'email' | 'phone';
const key = (kind: IdentityKind, value: string) => `${kind}\u0000${value}`;
const CHUNK = 400;
// insertChunks is generic over tables, so its conflict clauses are typed loosely.
type OC = any;
type EB = any;

interface Pending {
  workspaceId: string;
  events: IngestEvent[];
  failures: IngestFailure[];
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

/**
 * The single write path for events and answers. Requests that arrive together are committed in one
 * transaction (group commit) and each caller is answered only after that commit, so a 2xx always
 * means durable while the per-commit cost is shared.
 */
export class Writer {
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  /** Fired after each commit with the workspace ids written, for live views and caches. */
  onCommit: ((workspaceIds: string[]) => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly maxGroupEvents = 5000,
  ) {}

  write(workspaceId: string, events: IngestEvent[], failures: IngestFailure[] = []): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ workspaceId, events, failures, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.queue.length || this.running) await new Promise((r) => setTimeout(r, 2));
  }

  private schedule() {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush() {
    this.scheduled = false;
    this.running = true;
    const group: Pending[] = [];
    let size = 0;
    while (this.queue.length && (group.length === 0 || size + this.queue[0].events.length <= this.maxGroupEvents)) {
      const p = this.queue.shift()!;
      size += p.events.length;
      group.push(p);
    }
    try {
      const results = await this.commit(group);
      group.forEach((p, i) => p.resolve(results[i]));
      this.onCommit?.([...new Set(group.map((p) => p.workspaceId))]);
    } catch (err) {
      if (group.length === 1) group[0].reject(err);
      else {
        // One request's failure must not fail the others it happened to share a commit with.
        for (const p of group) {
          try {
            const [r] = await this.commit([p]);
            p.resolve(r);
          } catch (e) {
            p.reject(e);
          }
        }
      }
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }

  private async commit(group: Pending[]): Promise<WriteResult[]> {
    return this.store.db.transaction().execute(async (tx) => {
      const byWorkspace = new Map<string, Pending[]>();
      for (const p of group) byWorkspace.set(p.workspaceId, [...(byWorkspace.get(p.workspaceId) ?? []), p]);
      const results = new Map<Pending, WriteResult>();
      for (const [workspaceId, pendings] of [...byWorkspace].sort(([a], [b]) => (a < b ? -1 : 1))) {
        await lockWorkspace(this.store, tx, workspaceId);
        const rules = await stageRulesOf(tx, workspaceId);
        const batch = new WorkspaceBatch(tx, workspaceId, rules);
        const perPending = await batch.apply(pendings.map((p) => p.events));
        await batch.recordFailures(pendings.flatMap((p) => p.failures));
        pendings.forEach((p, i) => results.set(p, { ...perPending[i], errors: p.failures.length }));
      }
      return group.map((p) => results.get(p)!);
    });
  }
}

/** All the work for one workspace inside one transaction. */
class WorkspaceBatch {
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
    private readonly tx: Tx,
    private readonly workspaceId: string,
    private readonly rules: StageRule[],
  ) {}

  private find(id: string): string {
    let p = id;
    while (this.parent.has(p)) p = this.parent.get(p)!;
    return p;
  }

  async apply(lists: IngestEvent[][]): Promise<Omit<WriteResult, 'errors'>[]> {
    const all = lists.flat();
    const known = await this.existingMessages(all.map((e) => e.messageId));
    await this.loadIdentities(all);
    const seen = new Set<string>();
    const itemResults: ItemResult[][] = lists.map(() => []);
    for (let li = 0; li < lists.length; li++) {
      for (const e of lists[li]) {
        const dup = known.get(e.messageId);
        if (dup || seen.has(e.messageId)) {
          itemResults[li].push({ messageId: e.messageId, status: 'duplicate', profileId: dup?.profileId ?? '', eventId: dup?.eventId ?? '', answerId: dup?.answerId ?? null });
          continue;
        }
        seen.add(e.messageId);
        itemResults[li].push(this.process(e));
      }
    }
    await this.save();
    // Results name the surviving profile even when a later message in the same commit merged it away.
    for (const list of itemResults) for (const r of list) if (r.profileId) r.profileId = this.find(r.profileId);
    // Duplicates point at the profile that now holds the original, which may have been merged since.
    const missing = itemResults.flat().filter((r) => r.status === 'duplicate' && !r.profileId);
    if (missing.length) await this.fillDuplicates(missing);
    return itemResults.map((items) => ({
      items,
      stored: items.filter((i) => i.status === 'stored').length,
      duplicates: items.filter((i) => i.status === 'duplicate').length,
    }));
  }

  private async existingMessages(ids: string[]) {
    const found = new Map<string, { profileId: string; eventId: string; answerId: string | null }>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await this.tx
        .selectFrom('events')
        .leftJoin('answers', 'answers.event_id', 'events.id')
        .select(['events.message_id', 'events.id', 'events.profile_id', 'answers.id as answer_id'])
        .where('events.workspace_id', '=', this.workspaceId)
        .where('events.message_id', 'in', chunk)
        .execute();
      for (const r of rows) found.set(r.message_id, { profileId: r.profile_id, eventId: r.id, answerId: r.answer_id });
    }
    return found;
  }

  private async fillDuplicates(items: ItemResult[]) {
    const rows = await this.tx
      .selectFrom('events')
      .leftJoin('answers', 'answers.event_id', 'events.id')
      .select(['events.message_id', 'events.id', 'events.profile_id', 'answers.id as answer_id'])
      .where('events.workspace_id', '=', this.workspaceId)
      .where('events.message_id', 'in', items.map((i) => i.messageId))
      .execute();
    const by = new Map(rows.map((r) => [r.message_id, r]));
    for (const item of items) {
      const r = by.get(item.messageId);
      if (r) Object.assign(item, { profileId: r.profile_id, eventId: r.id, answerId: r.answer_id });
    }
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
      const list = [...values];
      for (let i = 0; i < list.length; i += CHUNK) {
        const rows = await this.tx
          .selectFrom('identities')
          .select(['value', 'profile_id'])
          .where('workspace_id', '=', this.workspaceId)
          .where('kind', '=', kind)
          .where('value', 'in', list.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) {
          this.identity.set(key(kind, r.value), r.profile_id);
          profileIds.add(r.profile_id);
        }
      }
    }
    await this.loadProfiles([...profileIds]);
  }

  private async loadProfiles(ids: string[]) {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.tx.selectFrom('profiles').selectAll().where('id', 'in', ids.slice(i, i + CHUNK)).execute();
      for (const r of rows) {
        const { merged_into: _m, traits, ...rest } = r;
        this.states.set(r.id, { ...rest, traits: JSON.parse(traits) });
        this.existing.add(r.id);
      }
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

  private process(e: IngestEvent): ItemResult {
    const profileId = this.resolve(e);
    const state = this.states.get(profileId)!;
    const eventId = newId('evt', this.now);
    let answerId: string | null = null;

    if (e.answer) {
      const a = e.answer;
      const ctx = (e.context ?? {}) as Record<string, any>;
      const at = e.timestamp;
      answerId = a.id;
      this.answers.push({
        id: a.id,
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
        stage: journeyStage({ ...state, lifetime_revenue: state.revenue }, at, this.rules),
        days_since_last_order: state.last_order_at == null || state.last_order_at > at ? null : daysBetween(state.last_order_at, at),
        days_since_first_seen: daysBetween(Math.min(state.first_seen_at, at), at),
        campaign: ctx.campaign?.name ?? state.last_campaign,
        utm_source: ctx.campaign?.source ?? state.last_utm_source,
        device: deviceOf(ctx),
        answered_at: at,
        created_at: this.now,
        updated_at: this.now,
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

    this.events.push({
      id: eventId,
      workspace_id: this.workspaceId,
      profile_id: profileId,
      message_id: e.messageId,
      type: e.type,
      name: e.type === 'alias' ? e.previousId : e.type === 'group' ? e.groupId : e.name,
      properties: e.properties ? JSON.stringify(e.properties) : null,
      traits: e.traits ? JSON.stringify(e.traits) : null,
      context: e.context ? JSON.stringify(e.context) : null,
      user_id: e.userId,
      anonymous_id: e.anonymousId,
      timestamp: e.timestamp,
      received_at: e.receivedAt,
    });
    return { messageId: e.messageId, status: 'stored', profileId, eventId, answerId };
  }

  private async save() {
    const tx = this.tx;
    const ws = this.workspaceId;
    const canon = <T extends { profile_id: string }>(rows: T[]) => {
      for (const r of rows) r.profile_id = this.find(r.profile_id);
      return rows;
    };
    await insertChunks(tx, 'identities', canon(this.newIdentities), (q) => q.onConflict((oc: OC) => oc.doNothing()));
    const profiles = [...this.states.values()].map((s) => ({ ...s, traits: JSON.stringify(s.traits), merged_into: null }));
    await insertChunks(tx, 'profiles', profiles, (q) =>
      q.onConflict((oc: OC) =>
        oc.column('id').doUpdateSet((eb: EB) => ({
          user_id: eb.ref('excluded.user_id'),
          traits: eb.ref('excluded.traits'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
          first_seen_at: eb.ref('excluded.first_seen_at'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          order_count: eb.ref('excluded.order_count'),
          revenue: eb.ref('excluded.revenue'),
          first_order_at: eb.ref('excluded.first_order_at'),
          last_order_at: eb.ref('excluded.last_order_at'),
          nps_score: eb.ref('excluded.nps_score'),
          nps_category: eb.ref('excluded.nps_category'),
          nps_answered_at: eb.ref('excluded.nps_answered_at'),
          nps_prev_score: eb.ref('excluded.nps_prev_score'),
          last_campaign: eb.ref('excluded.last_campaign'),
          last_utm_source: eb.ref('excluded.last_utm_source'),
        })),
      ),
    );
    for (const { loser } of this.mergedInDb) {
      const survivor = this.find(loser);
      await tx.updateTable('profiles').set({ merged_into: survivor, updated_at: this.now }).where('id', '=', loser).execute();
      // Earlier merges into the loser now point at the final survivor, so a lookup needs one hop.
      await tx.updateTable('profiles').set({ merged_into: survivor }).where('workspace_id', '=', ws).where('merged_into', '=', loser).execute();
      for (const table of ['events', 'answers', 'trait_changes', 'identities'] as const) {
        await tx.updateTable(table).set({ profile_id: survivor }).where('workspace_id', '=', ws).where('profile_id', '=', loser).execute();
      }
      await tx
        .deleteFrom('profile_groups')
        .where('profile_id', '=', loser)
        .where('group_id', 'in', (qb) => qb.selectFrom('profile_groups').select('group_id').where('profile_id', '=', survivor))
        .execute();
      await tx.updateTable('profile_groups').set({ profile_id: survivor }).where('profile_id', '=', loser).execute();
    }
    await insertChunks(tx, 'events', canon(this.events), (q) => q.onConflict((oc: OC) => oc.columns(['workspace_id', 'message_id']).doNothing()));
    await insertChunks(tx, 'answers', canon(this.answers));
    await insertChunks(tx, 'trait_changes', canon(this.traitChanges));
    if (this.groups.size) {
      const rows = [...this.groups].map(([group_id, traits]) => ({ workspace_id: ws, group_id, traits: JSON.stringify(traits), updated_at: this.now }));
      for (const r of rows) {
        const old = await tx.selectFrom('groups').select('traits').where('workspace_id', '=', ws).where('group_id', '=', r.group_id).executeTakeFirst();
        if (old) r.traits = JSON.stringify({ ...JSON.parse(old.traits), ...JSON.parse(r.traits) });
      }
      await insertChunks(tx, 'groups', rows, (q) =>
        q.onConflict((oc: OC) => oc.columns(['workspace_id', 'group_id']).doUpdateSet((eb: EB) => ({ traits: eb.ref('excluded.traits'), updated_at: eb.ref('excluded.updated_at') }))),
      );
      const links = new Map(this.memberships.map((m) => [`${this.find(m.profile)}\u0000${m.group}`, { workspace_id: ws, profile_id: this.find(m.profile), group_id: m.group, created_at: this.now }]));
      await insertChunks(tx, 'profile_groups', [...links.values()], (q) => q.onConflict((oc: OC) => oc.doNothing()));
    }
    for (const m of this.merges) {
      m.survivor_id = this.find(m.survivor_id);
    }
    await insertChunks(tx, 'merges', this.merges);
    for (const id of this.recomputeNps) await recomputeLatestNps(tx, this.find(id));
  }

  async recordFailures(failures: IngestFailure[]) {
    const rows = failures.map((f) => ({
      id: newId('ierr', this.now),
      workspace_id: this.workspaceId,
      received_at: this.now,
      message_id: f.messageId,
      type: f.type,
      error: f.error,
      payload: truncate(JSON.stringify(f.payload) ?? 'null', 40_000),
    }));
    await insertChunks(this.tx, 'ingestion_errors', rows);
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

function orderRevenue(p: Record<string, unknown> | null): number {
  const v = Number(p?.revenue ?? p?.total ?? 0);
  return Number.isFinite(v) ? v : 0;
}

function deviceOf(ctx: Record<string, any>): string | null {
  const t = ctx.device?.type;
  if (typeof t === 'string' && t) return t.slice(0, 40);
  const ua = typeof ctx.userAgent === 'string' ? ctx.userAgent : '';
  if (!ua) return null;
  if (/iPad|Tablet/i.test(ua)) return 'tablet';
  return /Mobi|Android|iPhone/i.test(ua) ? 'mobile' : 'desktop';
}

function truncate(s: string, n: number) {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

async function insertChunks<T extends keyof Schema & string>(
  tx: Tx,
  table: T,
  rows: Insertable<Schema[T]>[],
  decorate?: (q: any) => any,
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0] as object).length;
  // Stay under SQLite's and PostgreSQL's bound-parameter limits (32,766 and 65,535).
  const size = Math.max(1, Math.floor(30_000 / columns));
  for (let i = 0; i < rows.length; i += size) {
    let q: any = tx.insertInto(table).values(rows.slice(i, i + size) as any);
    if (decorate) q = decorate(q);
    await q.execute();
  }
}
