import type { Insertable } from 'kysely';
import { newId } from '../domain/ids.ts';
import type { IngestEvent, IngestFailure } from '../ingest/event.ts';
import { NPS_RESPONDED } from '../ingest/types.ts';
import { answerFromProperties } from '../ingest/segment.ts';
import { lockWorkspace, type Store, type Tx } from './db.ts';
import { insertRows } from './bulk.ts';
import { answerIdOf, Projection, type PendingEvent, type Projected } from './projector.ts';
import type { EventTable, Schema } from './schema.ts';
import { stageRulesOf } from './workspaces.ts';

export const PENDING = '';

export interface ItemResult {
  messageId: string;
  status: 'stored' | 'duplicate';
  eventId: string;
  /** Known once the event is projected ('' when the caller did not wait for that). */
  profileId: string;
  answerId: string | null;
}
export interface WriteResult {
  items: ItemResult[];
  stored: number;
  duplicates: number;
  errors: number;
}
export interface WriteOptions {
  /**
   * 'accepted': resolve once the events are committed (what a Segment client needs);
   * 'projected' (default): also wait until they are on their profiles, answers created.
   */
  wait?: 'accepted' | 'projected';
}

/** Too much accepted but not yet projected: callers should slow down (HTTP 429 with Retry-After). */
export class BackpressureError extends Error {
  constructor(readonly pending: number) {
    super(`Ingestion is ${pending.toLocaleString('en')} events behind; retry in a second`);
  }
}

/** An event as it will be stored, built by whichever thread received it. */
export interface AcceptedEvent {
  row: Insertable<EventTable>;
  answer: boolean;
}

export function toAccepted(workspaceId: string, e: IngestEvent, now: number): AcceptedEvent {
  return { row: eventRow(workspaceId, e, now), answer: e.answer != null };
}

/** What the HTTP layer, the demo and imports need from a writer, in this thread or another. */
export interface EventWriter {
  write(workspaceId: string, events: IngestEvent[], failures?: IngestFailure[], options?: WriteOptions): Promise<WriteResult>;
  settled(): Promise<void>;
  drain(): Promise<void>;
  pending(workspaceId?: string): Promise<number>;
  close(): Promise<void>;
  onProjected: ((workspaceIds: string[]) => void) | null;
}

interface Request {
  workspaceId: string;
  events: AcceptedEvent[];
  failures: IngestFailure[];
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

// Past this backlog the projector runs after every commit even while requests wait; past the
// second, new events are refused with 429 until it catches up.
const LAG_HIGH = Number(process.env.ADVOCATE_LAG_HIGH ?? 1_000_000);
const LAG_MAX = Number(process.env.ADVOCATE_LAG_MAX ?? 5_000_000);
// Larger chunks share one commit and revisit the same profile pages (demo load: 18.2 s at 4,000,
// 14.4 s at 16,000) but hold the write lock longer, which accepting requests wait for.
const PROJECT_CHUNK = Number(process.env.ADVOCATE_PROJECT_CHUNK ?? 10_000);
const IDLE_MS = 20;
const MAX_DEFER_MS = Number(process.env.ADVOCATE_PROJECT_EVERY_MS ?? 1000);

/**
 * The single write path for events and answers, in two steps.
 *
 * Accept: requests that arrive together are validated, de-duplicated by messageId and appended to
 * `events` in one transaction (group commit); the caller is answered after that commit, so a 2xx
 * always means durable. Appending is cheap: nothing per event touches a random page.
 *
 * Project: a background loop takes accepted events in large batches and does the per-person work
 * (identity resolution and merges, computed traits, trait history, answers with their context),
 * which touches pages all over the profile tables and is far cheaper per event in big batches.
 * It gives way to accepting while the backlog is small, so bursts are absorbed and then caught up.
 */
export class Writer implements EventWriter {
  private queue: Request[] = [];
  private accepting = false;
  private scheduled = false;
  private projecting: Promise<void> | null = null;
  private waiters = new Map<string, Array<(p: Projected) => void>>();
  private pendingCount: number | null = null;
  /** Fired after events are projected, with the workspace ids touched (live views, caches). */
  onProjected: ((workspaceIds: string[]) => void) | null = null;
  private timer: NodeJS.Timeout | null;

  constructor(
    private readonly store: Store,
    private readonly maxGroupEvents = 10_000,
  ) {
    // On PostgreSQL another process may accept events this one should help project (or crash with
    // them pending): look now and then. SQLite has one process, whose own commits start the projector.
    this.timer = store.backend === 'postgres' ? setInterval(() => this.kick(), 500) : null;
    this.timer?.unref();
    // Events accepted before a stop (or a crash) are projected once the server is back.
    setImmediate(() => this.kick());
  }

  write(workspaceId: string, events: IngestEvent[], failures: IngestFailure[] = [], options: WriteOptions = {}): Promise<WriteResult> {
    const now = Date.now();
    return this.writeAccepted(workspaceId, events.map((e) => toAccepted(workspaceId, e, now)), failures, options);
  }

  writeAccepted(workspaceId: string, events: AcceptedEvent[], failures: IngestFailure[] = [], options: WriteOptions = {}): Promise<WriteResult> {
    const accepted = new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ workspaceId, events, failures, resolve, reject });
      this.schedule();
    });
    if (options.wait === 'accepted') return accepted;
    return accepted.then((r) => this.completed(workspaceId, r));
  }

  /** Everything queued so far accepted and projected. */
  async settled(): Promise<void> {
    for (;;) {
      while (this.queue.length || this.accepting || this.scheduled) await new Promise((r) => setTimeout(r, 2));
      if (this.projecting) await this.projecting;
      if ((await this.countPending()) === 0 && !this.queue.length) return;
      this.kick(true);
      await this.projecting;
    }
  }

  /** Kept for callers that only need the accepted events durable. */
  async drain(): Promise<void> {
    while (this.queue.length || this.accepting || this.scheduled) await new Promise((r) => setTimeout(r, 2));
  }

  /** Stops projecting; waits for a projection under way so the store can be closed after. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.projecting) await this.projecting;
  }
  private closed = false;

  /** Accepted events not yet on their profiles, in all workspaces (or one). */
  async pending(workspaceId?: string): Promise<number> {
    let q = this.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('profile_id', '=', PENDING);
    if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  private async countPending(): Promise<number> {
    this.pendingCount = await this.pending();
    return this.pendingCount;
  }

  private schedule() {
    if (this.scheduled || this.accepting) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush() {
    this.scheduled = false;
    this.accepting = true;
    const group: Request[] = [];
    let size = 0;
    while (this.queue.length && (group.length === 0 || size + this.queue[0].events.length <= this.maxGroupEvents)) {
      const p = this.queue.shift()!;
      size += p.events.length;
      group.push(p);
    }
    try {
      if (this.pendingCount == null) await this.countPending();
      if (this.pendingCount! > LAG_MAX && size > 0) throw new BackpressureError(this.pendingCount!);
      const results = await this.accept(group);
      group.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (group.length === 1 || err instanceof BackpressureError) group.forEach((p) => p.reject(err));
      else {
        // One request's failure must not fail the others it happened to share a commit with.
        for (const p of group) {
          try {
            const [r] = await this.accept([p]);
            p.resolve(r);
          } catch (e) {
            p.reject(e);
          }
        }
      }
    } finally {
      this.accepting = false;
      if (this.queue.length) this.schedule();
      this.kick();
    }
  }

  private async accept(group: Request[]): Promise<WriteResult[]> {
    const now = Date.now();
    let accepted = 0;
    const results = await this.store.db.transaction().execute(async (tx) => {
      const out: WriteResult[] = [];
      // Repeats inside one commit are caught here; any other redelivery when it is projected.
      const inGroup = new Set<string>();
      for (const req of group) {
        const rows: Insertable<EventTable>[] = [];
        const items: ItemResult[] = [];
        for (const { row, answer } of req.events) {
          const k = `${req.workspaceId}\u0000${row.message_id}`;
          if (inGroup.has(k)) {
            items.push({ messageId: row.message_id, status: 'duplicate', eventId: '', profileId: '', answerId: null });
            continue;
          }
          inGroup.add(k);
          rows.push(row);
          items.push({ messageId: row.message_id, status: 'stored', eventId: row.id, profileId: '', answerId: answer ? answerIdOf(row.id) : null });
        }
        await insertRows(this.store, tx, 'events', rows);
        await recordFailures(this.store, tx, req.workspaceId, req.failures, now);
        accepted += rows.length;
        out.push({ items, stored: rows.length, duplicates: items.length - rows.length, errors: req.failures.length });
      }
      return out;
    });
    this.lastAcceptAt = Date.now();
    this.pendingCount = (this.pendingCount ?? 0) + accepted;
    return results;
  }

  /** Waits for the projection of a write's events and fills in profiles and answers. */
  private async completed(workspaceId: string, result: WriteResult): Promise<WriteResult> {
    const stored = result.items.filter((i) => i.status === 'stored');
    const projected = await Promise.all(stored.map((i) => this.projectionOf(i.eventId)));
    stored.forEach((item, i) => {
      const p = projected[i];
      // A redelivery found at projection: report it as such, with what the first delivery made.
      if (p.duplicate) Object.assign(item, { status: 'duplicate', eventId: p.eventId ?? '', answerId: p.answerId });
      item.profileId = p.profileId;
    });
    const sameCommit = result.items.filter((i) => i.status === 'duplicate' && !i.eventId);
    if (sameCommit.length) {
      await this.settled();
      const rows = await this.store.db
        .selectFrom('answers')
        .select(['id', 'message_id', 'event_id', 'profile_id'])
        .where('workspace_id', '=', workspaceId)
        .where('message_id', 'in', sameCommit.map((i) => i.messageId))
        .execute();
      const by = new Map(rows.map((r) => [r.message_id, r]));
      for (const item of sameCommit) {
        const r = by.get(item.messageId);
        if (r) Object.assign(item, { answerId: r.id, eventId: r.event_id, profileId: r.profile_id });
      }
    }
    result.stored = result.items.filter((i) => i.status === 'stored').length;
    result.duplicates = result.items.length - result.stored;
    return result;
  }

  private projectionOf(eventId: string): Promise<Projected> {
    return new Promise((resolve) => {
      const list = this.waiters.get(eventId);
      if (list) list.push(resolve);
      else this.waiters.set(eventId, [resolve]);
      this.kick(true);
    });
  }

  /** Starts the projector unless it runs already; `urgent` when a caller is waiting on it. */
  private kick(urgent = false): void {
    if (this.projecting || this.closed) return;
    this.projecting = this.projectLoop(urgent).finally(() => {
      this.projecting = null;
      // Waiters whose events another process projected are answered from the database.
      if (this.waiters.size) void this.answerWaitersFromDb();
    });
  }

  private async projectLoop(urgent: boolean): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (;;) {
      // Accepting comes first while the backlog is small: project in quiet moments (no commit for
      // IDLE_MS; HTTP requests being parsed are invisible here, so an empty queue is not enough),
      // or when someone waits for it, or when the backlog passes the high-water mark.
      // A steady stream has no quiet moments, so projection also runs at least every MAX_DEFER_MS:
      // profiles then trail a busy server by a fraction of a second, not by the whole backlog.
      const now = Date.now();
      const quietFor = now - this.lastAcceptAt;
      const busy = this.queue.length > 0 || this.accepting || quietFor < IDLE_MS;
      const overdue = now - this.lastProjectAt >= MAX_DEFER_MS;
      if (busy && !overdue && !urgent && this.waiters.size === 0 && (this.pendingCount ?? 0) < LAG_HIGH) {
        const wait = Math.min(Math.max(1, IDLE_MS - quietFor + 1), this.lastProjectAt + MAX_DEFER_MS - now);
        setTimeout(() => this.kick(), wait).unref();
        return;
      }
      if (Date.now() < this.retryAfter) return;
      let n: number;
      try {
        n = await this.projectChunk();
        this.failures = 0;
      } catch (err) {
        // A store closed under an abandoned writer: nothing left to do.
        if (/destroyed/.test(String((err as Error)?.message))) {
          this.closed = true;
          return;
        }
        // The events stay accepted and pending (visible in the ingestion status); try again later
        // rather than spin, and say why.
        this.failures++;
        this.retryAfter = Date.now() + Math.min(30_000, 250 * 2 ** this.failures);
        console.error(`advocate: projecting accepted events failed (attempt ${this.failures}); retrying`, err);
        setTimeout(() => this.kick(true), this.retryAfter - Date.now()).unref();
        return;
      }
      this.lastProjectAt = Date.now();
      if (n === 0) return;
      urgent = false;
      await new Promise((r) => setImmediate(r));
    }
  }
  private failures = 0;
  private retryAfter = 0;
  private lastAcceptAt = 0;
  private lastProjectAt = 0;

  private async projectChunk(): Promise<number> {
    const touched = new Set<string>();
    const done = new Map<string, Projected>();
    const count = await this.store.db.transaction().execute(async (tx) => {
      let q = tx.selectFrom('events').selectAll().where('profile_id', '=', PENDING).orderBy('timestamp').orderBy('id').limit(PROJECT_CHUNK);
      if (this.store.backend === 'postgres') q = q.forUpdate().skipLocked();
      const rows = await q.execute();
      const byWorkspace = new Map<string, PendingEvent[]>();
      for (const r of rows) {
        const list = byWorkspace.get(r.workspace_id) ?? byWorkspace.set(r.workspace_id, []).get(r.workspace_id)!;
        list.push(pendingFromRow(r));
      }
      for (const [workspaceId, events] of [...byWorkspace].sort(([a], [b]) => (a < b ? -1 : 1))) {
        await lockWorkspace(this.store, tx, workspaceId);
        const { fresh, repeats } = await splitRedeliveries(this.store, tx, workspaceId, events);
        const projection = new Projection(this.store, tx, workspaceId, await stageRulesOf(tx, workspaceId));
        for (const [id, p] of await projection.apply(fresh)) done.set(id, p);
        for (const [id, p] of await dropRedeliveries(this.store, tx, workspaceId, repeats)) done.set(id, p);
        touched.add(workspaceId);
      }
      return rows.length;
    });
    this.pendingCount = Math.max(0, (this.pendingCount ?? count) - count);
    for (const [eventId, p] of done) {
      const list = this.waiters.get(eventId);
      if (list) {
        this.waiters.delete(eventId);
        for (const resolve of list) resolve(p);
      }
    }
    if (touched.size) this.onProjected?.([...touched]);
    return count;
  }

  private async answerWaitersFromDb(): Promise<void> {
    const ids = [...this.waiters.keys()];
    const rows = await this.store.db
      .selectFrom('events')
      .leftJoin('answers', 'answers.event_id', 'events.id')
      .select(['events.id', 'events.profile_id', 'answers.id as answer_id'])
      .where('events.id', 'in', ids.slice(0, 1000))
      .where('events.profile_id', '!=', PENDING)
      .execute();
    for (const r of rows) {
      const list = this.waiters.get(r.id);
      this.waiters.delete(r.id);
      for (const resolve of list ?? []) resolve({ profileId: r.profile_id, answerId: r.answer_id });
    }
    if (this.waiters.size) setTimeout(() => this.kick(true), 50);
  }
}

function eventRow(workspaceId: string, e: IngestEvent, now: number): Insertable<EventTable> {
  // An imported answer may carry its source's journey stage; it travels in the properties.
  const properties = e.answer?.stage ? { ...(e.properties ?? {}), journey_stage: e.answer.stage } : e.properties;
  return {
    id: newId('evt', now),
    workspace_id: workspaceId,
    profile_id: PENDING,
    message_id: e.messageId,
    type: e.type,
    // alias and group keep their other id where a track keeps its event name.
    name: e.type === 'alias' ? e.previousId : e.type === 'group' ? e.groupId : e.name,
    properties: properties ? JSON.stringify(properties) : null,
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

function pendingFromRow(r: EventTable): PendingEvent {
  const properties = r.properties ? (JSON.parse(r.properties) as Record<string, unknown>) : null;
  const isAnswer = r.type === 'track' && r.name === NPS_RESPONDED;
  return {
    eventId: r.id,
    messageId: r.message_id,
    type: r.type as IngestEvent['type'],
    name: r.type === 'alias' || r.type === 'group' ? null : r.name,
    userId: r.user_id,
    anonymousId: r.anonymous_id,
    email: r.email,
    phone: r.phone,
    previousId: r.type === 'alias' ? r.name : null,
    groupId: r.type === 'group' ? r.name : null,
    properties,
    traits: r.traits ? JSON.parse(r.traits) : null,
    // Context is only read for campaigns and devices: skip parsing the common case without them.
    context: r.context && (isAnswer || r.context.includes('"campaign"')) ? JSON.parse(r.context) : null,
    timestamp: r.timestamp,
    receivedAt: r.received_at,
    answer: isAnswer ? answerOrNull(properties) : null,
  };
}

/** Accepted answers were validated already; should one still not parse, it stays a plain event. */
function answerOrNull(properties: Record<string, unknown> | null) {
  try {
    return answerFromProperties(properties ?? {}, 'properties');
  } catch {
    return null;
  }
}

async function recordFailures(store: Store, tx: Tx, workspaceId: string, failures: IngestFailure[], now: number) {
  const rows: Insertable<Schema['ingestion_errors']>[] = failures.map((f) => ({
    id: newId('ierr', now),
    workspace_id: workspaceId,
    received_at: now,
    message_id: f.messageId,
    type: f.type,
    error: f.error,
    payload: truncate(JSON.stringify(f.payload) ?? 'null', 40_000),
  }));
  await insertRows(store, tx, 'ingestion_errors', rows);
}

function truncate(s: string, n: number) {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export { recomputeLatestNps } from './projector.ts';

/**
 * Splits a chunk into first deliveries and redeliveries of a messageId already projected (or
 * earlier in the same chunk). The partial unique index holds projected events only, so this is
 * the one place a repeat is recognised, whenever it arrives.
 */
async function splitRedeliveries(store: Store, tx: Tx, workspaceId: string, events: PendingEvent[]) {
  const ids = [...new Set(events.map((e) => e.messageId))];
  const known = new Map<string, { id: string; profile_id: string }>();
  if (store.sqlite) {
    const st = store.sqlite.prepare("select id, profile_id from events where workspace_id = ? and message_id = ? and profile_id <> ''");
    for (const m of ids) {
      const r = st.get(workspaceId, m) as { id: string; profile_id: string } | undefined;
      if (r) known.set(m, r);
    }
  } else {
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await tx
        .selectFrom('events')
        .select(['id', 'profile_id', 'message_id'])
        .where('workspace_id', '=', workspaceId)
        .where('message_id', 'in', ids.slice(i, i + 5000))
        .where('profile_id', '<>', PENDING)
        .execute();
      for (const r of rows) known.set(r.message_id, r);
    }
  }
  const fresh: PendingEvent[] = [];
  const repeats: Array<{ event: PendingEvent; original?: { id: string; profile_id: string } }> = [];
  const firstInChunk = new Set<string>();
  for (const e of events) {
    const original = known.get(e.messageId);
    if (original || firstInChunk.has(e.messageId)) repeats.push({ event: e, original });
    else {
      firstInChunk.add(e.messageId);
      fresh.push(e);
    }
  }
  return { fresh, repeats };
}

/** Removes redelivered events (after the first deliveries of this chunk are projected) and says what they repeat. */
async function dropRedeliveries(store: Store, tx: Tx, workspaceId: string, repeats: Array<{ event: PendingEvent; original?: { id: string; profile_id: string } }>) {
  const out = new Map<string, Projected>();
  if (!repeats.length) return out;
  const ids = repeats.map((r) => r.event.eventId);
  for (let i = 0; i < ids.length; i += 1000) await tx.deleteFrom('events').where('id', 'in', ids.slice(i, i + 1000)).execute();
  const mids = [...new Set(repeats.map((r) => r.event.messageId))];
  const firsts = new Map<string, { id: string; profile_id: string; answer_id: string | null }>();
  for (let i = 0; i < mids.length; i += 1000) {
    const rows = await tx
      .selectFrom('events')
      .leftJoin('answers', 'answers.event_id', 'events.id')
      .select(['events.id', 'events.profile_id', 'events.message_id', 'answers.id as answer_id'])
      .where('events.workspace_id', '=', workspaceId)
      .where('events.message_id', 'in', mids.slice(i, i + 1000))
      .where('events.profile_id', '<>', PENDING)
      .execute();
    for (const r of rows) firsts.set(r.message_id, r);
  }
  for (const { event } of repeats) {
    const f = firsts.get(event.messageId);
    out.set(event.eventId, { profileId: f?.profile_id ?? '', answerId: f?.answer_id ?? null, duplicate: true, eventId: f?.id });
  }
  return out;
}
