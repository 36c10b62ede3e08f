import type { Insertable } from 'kysely';
import { AppError, errorReason, isAppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { IngestEvent, IngestFailure } from '../domain/event.ts';
import { sql } from 'kysely';
import { lockForWrite, lockWorkspace, prepared, type Store, type Tx } from './db.ts';
import { insertRows } from './bulk.ts';
import { batchBodies, blankBatchMessages } from './batches.ts';
import { appendFacts, headPosition } from './facts.ts';
import type { Command } from '../domain/commands.ts';
import type { Fact } from '../domain/facts.ts';
import { applyCommand, type CommandResult } from './commands.ts';
import { ProjectionCache, type Staged } from './projection-cache.ts';
import { recordRejected, recordSetAside, setAsideOf } from './ingestion-errors.ts';
import { isStoreClosedError, isTransientDbError } from './transient.ts';
import { Projection, type PendingEvent, type Projected } from './projector.ts';
import type { Schema } from './schema.ts';
import { stageRulesOf } from './workspaces.ts';

export interface ItemResult {
  messageId: string;
  /** 'set-aside': accepted, but projecting it failed; it is kept in the ingestion errors (`error` says which and why). */
  status: 'stored' | 'duplicate' | 'set-aside';
  error?: string;
  /** Known once the event is projected ('' when the caller did not wait for that). */
  eventId: string;
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

/**
 * A validated Segment batch, stored as the text it came as: re-encoding what was just parsed costs
 * more than anything else in accepting it. Projection parses it again (with the same ids).
 */
export interface SpecBatch {
  /** The inbox row's id, also the prefix of ids given to messages that came without one. */
  id: string;
  text: string;
  receivedAt: number;
  /** Number of messages in the batch. */
  size: number;
  /** Positions and messageIds of the valid messages. */
  positions: number[];
  messageIds: string[];
}

/** Too much accepted but not yet projected: callers should slow down and retry (details.pending: how far behind). */
export function backpressureError(pending: number): AppError {
  return new AppError('rate_limited', `Ingestion is ${pending.toLocaleString('en')} events behind; retry in a second`, { headers: { 'retry-after': '1' }, details: { pending } });
}

/**
 * A write whose message was accepted but could not be put on its profile (it is kept, replayable,
 * in the ingestion errors). A server fault, not the client's: the door should have refused it.
 */
function setAsideError(item: ItemResult): AppError {
  return new AppError('internal', `Message ${item.messageId} was received but could not be put on its profile; it is kept as ingestion error ${item.error ?? ''} and can be replayed (POST /api/v1/ingestion-errors/{id}/replay)`);
}

/** The items of a projected write, throwing when one of them was set aside. */
export function projectedItems(result: WriteResult): ItemResult[] {
  const aside = result.items.find((i) => i.status === 'set-aside');
  if (aside) throw setAsideError(aside);
  return result.items;
}

/**
 * A write that was accepted (durable) but whose caller waited for projection while projection kept
 * failing, the database being away: answered 503, and the write is projected once it is back.
 */
const projectionDelayedError = () =>
  new AppError('unavailable', 'Received and kept, but not yet recorded: the database is not available at the moment. It will be recorded when the database is back; send it again only with the same messageId, which returns that record');

/**
 * Reads back the events of a batch accepted as text (SpecBatch), with the same ids validation gave
 * them: the wire format's parser, passed in, since the store knows no wire formats.
 */
export type BatchReader = (text: string, receivedAt: number, idPrefix: string, skip?: ReadonlySet<number>) => { events: IngestEvent[]; positions: number[] };

/** Events as the writer takes them: their JSON (built by whichever thread received them) and the ids. */
export interface SerializedEvents {
  body: string;
  messageIds: string[];
}

export function serialize(events: IngestEvent[]): SerializedEvents {
  return { body: JSON.stringify(events), messageIds: events.map((e) => e.messageId) };
}

/** What the HTTP layer, the demo and imports need from a writer, in this thread or another. */
export interface EventWriter {
  write(workspaceId: string, events: IngestEvent[], failures?: IngestFailure[], options?: WriteOptions): Promise<WriteResult>;
  /** Accepts a validated Segment batch as its text (resolves at commit). */
  acceptBatch(workspaceId: string, batch: SpecBatch, failures: IngestFailure[]): Promise<WriteResult>;
  settled(): Promise<void>;
  drain(): Promise<void>;
  pending(workspaceId?: string): Promise<number>;
  /** Applies a write that is not an event (store/commands.ts), on the same write path; resolves after its commit. */
  apply<C extends Command>(workspaceId: string, command: C): Promise<CommandResult<C>>;
  close(): Promise<void>;
  /** Called after each commit that appended facts to the bus (projection or command), with the workspaces it touched. */
  onProjected: ((workspaceIds: string[]) => void) | null;
}

interface Request {
  workspaceId: string;
  events: SerializedEvents | (SpecBatch & { body?: undefined });
  failures: IngestFailure[];
  resolve(r: Accepted): void;
  reject(e: unknown): void;
}
interface Accepted {
  result: WriteResult;
  inboxId: string | null;
}

// Past LAG_MAX pending events, new events are refused with 429 until projection catches up.
const LAG_MAX = Number(process.env.ADVOCATE_LAG_MAX ?? 5_000_000);
// Inbox rows per projection transaction at most (a Segment batch is up to a few hundred events).
const PROJECT_ROWS = Number(process.env.ADVOCATE_PROJECT_ROWS ?? 500);
const IDLE_MS = 20;
// How long a caller waiting for projection waits while projection keeps failing (see projectionOf).
const WAIT_WHILE_FAILING_MS = Number(process.env.ADVOCATE_PROJECTION_WAIT_MS ?? 10_000);
// While requests keep arriving, projection runs in slices of about SLICE_MS and takes a share of
// the time that grows with what is waiting: SHARE with nothing behind, HIGH_SHARE from LAG_HIGH
// events behind. A short burst is accepted at full speed; a load that keeps projection behind gets
// most of the time, or the backlog (and how stale profiles are) would grow without end.
// Quiet moments are projection's at any share.
const SLICE_MS = Number(process.env.ADVOCATE_SLICE_MS ?? 40);
// Quiet moments get longer transactions: per event they cost much less (each page of the indexes
// and profiles is written once for many events), still short enough not to hold up a request long.
const QUIET_SLICE_MS = Number(process.env.ADVOCATE_QUIET_SLICE_MS ?? 500);
const SHARE = clampShare(Number(process.env.ADVOCATE_PROJECT_SHARE ?? 0.25));
const HIGH_SHARE = Math.max(SHARE, clampShare(Number(process.env.ADVOCATE_PROJECT_HIGH_SHARE ?? 0.6)));
const LAG_HIGH = Number(process.env.ADVOCATE_LAG_HIGH ?? 250_000);
// A transaction has a fixed cost (a dozen statements); sized by time alone, a slow moment (CPU
// contention) shrank transactions to a row of a few events each, which made every event dearer
// still, and projection fell behind for good.
const MIN_CHUNK_EVENTS = 200;
// Long transactions only once nothing has been accepted for this long: a slice just ended looks
// quiet for a moment while requests queue behind it.
const QUIET_AFTER_MS = 1_000;

function clampShare(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0.05, x)) : 0.25;
}

/**
 * The single write path for events and answers, in two steps.
 *
 * Accept: each request's validated events become one row of `inbox`; requests that arrive together
 * share one transaction (group commit), and each caller is answered after that commit, so a 2xx
 * always means durable. One row per request, whatever its size: accepting costs the database
 * almost nothing per event.
 *
 * Project: a background loop takes inbox rows in large batches and does the per-person work
 * (redelivery check, identity resolution and merges, computed traits, trait history, answers with
 * their context, the events themselves), which touches pages all over the tables and is far
 * cheaper per event in big batches. It runs in quiet moments, in short slices taking a bounded
 * share of the time while requests keep coming, and at once for a caller who waits for it.
 */
export class Writer implements EventWriter {
  private queue: Request[] = [];
  private accepting = false;
  private scheduled = false;
  private projecting: Promise<void> | null = null;
  private waiters = new Map<string, Array<(p: Projected[]) => void>>();
  private pendingCount: number | null = null;
  onProjected: ((workspaceIds: string[]) => void) | null = null;
  private timer: NodeJS.Timeout | null;
  private closed = false;
  private failures = 0;
  private retryAfter = 0;
  private lastAcceptAt = 0;
  /** When projection may take its next slice while requests keep arriving. */
  private nextSliceAt = 0;
  /** Recent milliseconds per event projected and events per inbox row, to size slices. */
  private msPerEvent = 0.1;
  private eventsPerRow = 10;
  /** Identities and profiles kept between transactions, when this process is the file's only writer. */
  private readonly cache: ProjectionCache | null;

  constructor(
    private readonly store: Store,
    private readonly readBatch: BatchReader,
    private readonly maxGroupEvents = 20_000,
  ) {
    // On PostgreSQL another process may accept events this one should help project (or crash with
    // them pending): look now and then. SQLite has one process, whose own commits start the projector.
    this.timer = store.dialect.sharedByProcesses ? setInterval(() => this.kick(), 500) : null;
    this.cache = store.dialect.sharedByProcesses ? null : new ProjectionCache();
    this.timer?.unref();
    // Events accepted before a stop (or a crash) are projected once the server is back.
    setImmediate(() => this.kick());
  }

  write(workspaceId: string, events: IngestEvent[], failures: IngestFailure[] = [], options: WriteOptions = {}): Promise<WriteResult> {
    return this.writeSerialized(workspaceId, serialize(events), failures, options);
  }

  async writeSerialized(workspaceId: string, events: SerializedEvents, failures: IngestFailure[] = [], options: WriteOptions = {}): Promise<WriteResult> {
    const accepted = await new Promise<Accepted>((resolve, reject) => {
      this.queue.push({ workspaceId, events, failures, resolve, reject });
      this.schedule();
    });
    if (options.wait === 'accepted') return accepted.result;
    return this.completed(workspaceId, accepted);
  }

  async acceptBatch(workspaceId: string, batch: SpecBatch, failures: IngestFailure[] = []): Promise<WriteResult> {
    const accepted = await new Promise<Accepted>((resolve, reject) => {
      this.queue.push({ workspaceId, events: batch, failures, resolve, reject });
      this.schedule();
    });
    return accepted.result;
  }

  /** Everything queued so far accepted and projected. */
  async settled(): Promise<void> {
    for (;;) {
      await this.drain();
      if (this.projecting) await this.projecting;
      if ((await this.countPending()) === 0 && !this.queue.length) return;
      this.kick(true);
      await this.projecting;
    }
  }

  async drain(): Promise<void> {
    while (this.queue.length || this.accepting || this.scheduled) await new Promise((r) => setTimeout(r, 2));
  }

  /** Stops projecting; waits for a projection under way so the store can be closed after. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.projecting) await this.projecting;
  }

  async apply<C extends Command>(workspaceId: string, command: C): Promise<CommandResult<C>> {
    if (this.closed) throw new Error(`the writer is closed (${command.type})`);
    const result = await applyCommand(this.store, workspaceId, command);
    this.onProjected?.([workspaceId]);
    return result as CommandResult<C>;
  }

  /** Accepted events not yet projected, in all workspaces (or one). */
  async pending(workspaceId?: string): Promise<number> {
    let q = this.store.db.selectFrom('inbox').select((eb) => eb.fn.sum<number>('count').as('n'));
    if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
    return Number((await q.executeTakeFirstOrThrow()).n ?? 0);
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
    while (this.queue.length && (group.length === 0 || size + this.queue[0].events.messageIds.length <= this.maxGroupEvents)) {
      const p = this.queue.shift()!;
      size += p.events.messageIds.length;
      group.push(p);
    }
    try {
      if (this.pendingCount == null) await this.countPending();
      if (this.pendingCount! > LAG_MAX && size > 0) throw backpressureError(this.pendingCount!);
      const results = await this.accept(group);
      group.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (group.length === 1 || isAppError(err, 'rate_limited')) group.forEach((p) => p.reject(err));
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

  private async accept(group: Request[]): Promise<Accepted[]> {
    const now = Date.now();
    let accepted = 0;
    const out = await this.store.db.transaction().execute(async (tx) => {
      const results: Accepted[] = [];
      // Repeats inside one commit are caught here; any other redelivery when it is projected.
      const inGroup = new Set<string>();
      const rows: Insertable<Schema['inbox']>[] = [];
      const bodies: Schema['batches'][] = [];
      for (const req of group) {
        const items: ItemResult[] = [];
        const keep: boolean[] = [];
        for (const messageId of req.events.messageIds) {
          const k = `${req.workspaceId}\u0000${messageId}`;
          const dup = inGroup.has(k);
          inGroup.add(k);
          keep.push(!dup);
          items.push({ messageId, status: dup ? 'duplicate' : 'stored', eventId: '', profileId: '', answerId: null });
        }
        const count = keep.filter(Boolean).length;
        let inboxId: string | null = null;
        const ev = req.events;
        if (count && 'text' in ev) {
          // Positions not to store: rejected at validation, or repeated within this commit.
          const stored = new Set(ev.positions.filter((_, i) => keep[i]));
          const skip: number[] = [];
          for (let p = 0; p < ev.size; p++) if (!stored.has(p)) skip.push(p);
          inboxId = ev.id;
          rows.push({ id: inboxId, workspace_id: req.workspaceId, received_at: ev.receivedAt, count, format: 'spec', skip: skip.length ? JSON.stringify(skip) : null });
          bodies.push({ id: inboxId, workspace_id: req.workspaceId, received_at: ev.receivedAt, format: 'spec', body: ev.text });
        } else if (count && ev.body !== undefined) {
          // Rare: drop the repeats from the JSON (the common case stores it as it came).
          const body = count === keep.length ? ev.body : JSON.stringify((JSON.parse(ev.body) as unknown[]).filter((_, i) => keep[i]));
          inboxId = newId('inb', now);
          rows.push({ id: inboxId, workspace_id: req.workspaceId, received_at: now, count, format: 'events', skip: null });
          bodies.push({ id: inboxId, workspace_id: req.workspaceId, received_at: now, format: 'events', body });
        }
        await recordRejected(this.store, tx, req.workspaceId, req.failures, now);
        accepted += count;
        results.push({ result: { items, stored: count, duplicates: items.length - count, errors: req.failures.length }, inboxId });
      }
      await insertRows(this.store, tx, 'batches', bodies);
      await insertRows(this.store, tx, 'inbox', rows);
      return results;
    });
    this.lastAcceptAt = Date.now();
    this.pendingCount = (this.pendingCount ?? 0) + accepted;
    return out;
  }

  /** Waits for the projection of a write's events and fills in events, profiles and answers. */
  private async completed(workspaceId: string, accepted: Accepted): Promise<WriteResult> {
    const { result, inboxId } = accepted;
    const stored = result.items.filter((i) => i.status === 'stored');
    // Items whose stored event is found by messageId below: repeats within one commit, and rows
    // another process projected (its results did not come back to this one).
    const lookup = result.items.filter((i) => i.status === 'duplicate');
    if (inboxId) {
      const projected = await this.projectionOf(inboxId);
      stored.forEach((item, i) => {
        const p = projected[i];
        if (!p) return void lookup.push(item);
        // A redelivery found at projection: report it as such, with what the first delivery made.
        if (p.duplicate) item.status = 'duplicate';
        if (p.setAside) Object.assign(item, { status: 'set-aside', error: p.setAside });
        Object.assign(item, { eventId: p.eventId ?? '', profileId: p.profileId, answerId: p.answerId });
      });
    }
    const unresolved = lookup.filter((i) => !i.eventId);
    if (unresolved.length) {
      await this.settled();
      const rows = await this.store.db
        .selectFrom('events')
        .leftJoin('answers', 'answers.event_id', 'events.id')
        .select(['events.id', 'events.message_id', 'events.profile_id', 'answers.id as answer_id'])
        .where('events.workspace_id', '=', workspaceId)
        .where('events.message_id', 'in', unresolved.map((i) => i.messageId))
        .execute();
      const by = new Map(rows.map((r) => [r.message_id, r]));
      for (const item of unresolved) {
        const r = by.get(item.messageId);
        if (r) Object.assign(item, { answerId: r.answer_id, eventId: r.id, profileId: r.profile_id });
      }
      // Set aside by whichever process projected it.
      const missing = unresolved.filter((i) => !i.eventId);
      if (missing.length) {
        const aside = await setAsideOf(this.store.db, workspaceId, missing.map((i) => i.messageId));
        for (const item of missing) if (aside.has(item.messageId)) Object.assign(item, { status: 'set-aside', error: aside.get(item.messageId) });
      }
    }
    result.stored = result.items.filter((i) => i.status === 'stored').length;
    result.duplicates = result.items.length - result.stored;
    return result;
  }

  private projectionOf(inboxId: string): Promise<Projected[]> {
    return new Promise((resolve, reject) => {
      // While projection keeps failing (the database away) the caller is let go with a 503 instead
      // of waiting as long as the outage lasts; the events stay accepted and are projected later.
      const check = setInterval(() => {
        if (this.failures === 0) return;
        clearInterval(check);
        const rest = (this.waiters.get(inboxId) ?? []).filter((w) => w !== done);
        if (rest.length) this.waiters.set(inboxId, rest);
        else this.waiters.delete(inboxId);
        reject(projectionDelayedError());
      }, WAIT_WHILE_FAILING_MS);
      const done = (p: Projected[]) => {
        clearInterval(check);
        resolve(p);
      };
      const list = this.waiters.get(inboxId);
      if (list) list.push(done);
      else this.waiters.set(inboxId, [done]);
      this.kick(true);
    });
  }

  /** Starts the projector unless it runs already; `urgent` when a caller is waiting on it. */
  private kick(urgent = false): void {
    if (this.projecting || this.closed) return;
    this.projecting = this.projectLoop(urgent)
      // Waiters whose rows another process projected are answered from the database; inside this
      // promise, so that close() waits for that query too.
      .then(async () => {
        if (!this.waiters.size || this.closed) return;
        await this.answerWaitersFromDb();
        if (this.waiters.size) setTimeout(() => this.kick(true), 50).unref();
      })
      .catch((err) => console.error('advocate: answering waiters failed', err))
      .finally(() => {
        this.projecting = null;
      });
  }

  private async projectLoop(urgent: boolean): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (;;) {
      // Accepting comes first: a quiet moment is one with no commit for IDLE_MS (HTTP requests
      // being parsed are invisible here, so an empty queue is not enough).
      const now = Date.now();
      const quietFor = now - this.lastAcceptAt;
      const busy = this.queue.length > 0 || this.accepting || quietFor < IDLE_MS;
      const slice = busy && !urgent && this.waiters.size === 0;
      if (slice && now < this.nextSliceAt) {
        const wait = Math.max(1, Math.min(IDLE_MS - quietFor + 1, this.nextSliceAt - now));
        setTimeout(() => this.kick(), wait).unref();
        return;
      }
      if (Date.now() < this.retryAfter) return;
      const quiet = !busy && quietFor >= QUIET_AFTER_MS;
      const events = Math.max(MIN_CHUNK_EVENTS, (quiet ? QUIET_SLICE_MS : SLICE_MS) / this.msPerEvent);
      const rows = Math.max(1, Math.min(PROJECT_ROWS, Math.floor(events / this.eventsPerRow)));
      const started = performance.now();
      let n: { rows: number; events: number };
      try {
        try {
          n = await this.projectChunk(rows);
        } catch (err) {
          // Something in these rows cannot be projected: go through them one message at a time,
          // setting aside what fails, so one bad message never holds up the ones behind it.
          if (isTransientDbError(err) || isStoreClosedError(err)) throw err;
          n = await this.projectChunk(rows, true);
        }
        this.failures = 0;
      } catch (err) {
        // A store closed under an abandoned writer: nothing left to do.
        if (isStoreClosedError(err)) {
          this.closed = true;
          return;
        }
        // The events stay accepted (visible in the ingestion status); try again later rather
        // than spin, and say why.
        this.failures++;
        // A database that is away costs nothing to ask again, and its return should be noticed
        // within a couple of seconds, not after a backoff grown during a long outage.
        this.retryAfter = Date.now() + Math.min(isTransientDbError(err) ? 2_000 : 30_000, 250 * 2 ** this.failures);
        console.error(`advocate: projecting accepted events failed (attempt ${this.failures}); retrying`, err);
        setTimeout(() => this.kick(true), this.retryAfter - Date.now()).unref();
        return;
      }
      if (n.rows === 0) return;
      const took = performance.now() - started;
      this.msPerEvent = 0.7 * this.msPerEvent + (0.3 * took) / Math.max(1, n.events);
      this.eventsPerRow = 0.7 * this.eventsPerRow + (0.3 * Math.max(1, n.events)) / n.rows;
      const share = SHARE + (HIGH_SHARE - SHARE) * Math.min(1, (this.pendingCount ?? 0) / LAG_HIGH);
      this.nextSliceAt = Date.now() + (took * (1 - share)) / share;
      // Rows someone here waits for may be in another process's chunk: with the inbox never empty
      // this loop would not end to notice it (answers waited as long as the load lasted).
      if (this.waiters.size && this.store.dialect.sharedByProcesses) await this.answerWaitersFromDb();
      urgent = false;
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Projects up to `limit` inbox rows in one transaction. `isolate`: row by row and, in a row that
   * fails, message by message, each under a savepoint; a message that fails alone is set aside in
   * the ingestion errors with its reason, and the rest go on, in order.
   */
  private async projectChunk(limit: number, isolate = false): Promise<{ rows: number; events: number }> {
    const touched = new Set<string>();
    const done = new Map<string, Projected[]>();
    const facts = new Map<string, Fact[]>();
    let rowCount = 0;
    let staged: Staged | undefined;
    let head = 0;
    const count = await this.store.db.transaction().execute(async (tx) => {
      // Other connections write now and then (commands, consumers): be the writer from the start,
      // rather than read and then find the snapshot stale at the first write (SQLITE_BUSY_SNAPSHOT).
      await lockForWrite(tx);
      // Message by message (savepoints rolled back), what was staged cannot be told apart: kept out.
      if (this.cache && !isolate) staged = this.cache.begin(await headPosition(tx));
      const rows = await this.store.dialect.claim(tx.selectFrom('inbox').selectAll().orderBy('id').limit(limit)).execute();
      rowCount = rows.length;
      if (!rows.length) {
        staged = undefined;
        return 0;
      }
      const bodies = await batchBodies(tx, rows.map((r) => r.id));
      const lists = new Map<string, PendingEvent[]>();
      let events = 0;
      if (isolate) {
        for (const r of rows) {
          events += await this.projectRowIsolated(tx, r, bodies.get(r.id)?.body ?? null, done, facts, lists);
          touched.add(r.workspace_id);
        }
      } else {
        const byWorkspace = new Map<string, PendingEvent[]>();
        for (const r of rows) {
          const list = byWorkspace.get(r.workspace_id) ?? byWorkspace.set(r.workspace_id, []).get(r.workspace_id)!;
          const parsed = inboxEvents(r, bodies.get(r.id)?.body ?? null, this.readBatch);
          list.push(...parsed);
          lists.set(r.id, parsed);
          done.set(r.id, new Array(parsed.length));
          events += parsed.length;
        }
        for (const [workspaceId, list] of [...byWorkspace].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const projected = await this.projectEvents(tx, workspaceId, list, staged);
          for (const [k, p] of projected.results) place(done, k, p);
          factsOf(facts, workspaceId).push(...projected.facts);
          touched.add(workspaceId);
        }
      }
      const ids = rows.map((r) => r.id);
      for (let i = 0; i < ids.length; i += 500) await tx.deleteFrom('inbox').where('id', 'in', ids.slice(i, i + 500)).execute();
      await keepStoredOnly(tx, rows, lists, done);
      // Last: on PostgreSQL this orders commits until this one is done.
      await appendFacts(tx, facts);
      if (staged) head = await headPosition(tx);
      return events;
    });
    staged?.commit(head);
    this.pendingCount = Math.max(0, (this.pendingCount ?? count) - count);
    for (const [inboxId, projected] of done) {
      const list = this.waiters.get(inboxId);
      if (list) {
        this.waiters.delete(inboxId);
        for (const resolve of list) resolve(projected);
      }
    }
    if (touched.size) this.onProjected?.([...touched]);
    return { rows: rowCount, events: count };
  }

  /** Redelivery check, identity resolution and storage of one workspace's events; what it did, for the bus. */
  private async projectEvents(tx: Tx, workspaceId: string, list: PendingEvent[], cache?: Staged): Promise<{ results: Map<string, Projected>; facts: Fact[] }> {
    await lockWorkspace(this.store, tx, workspaceId);
    const { fresh, repeats } = await splitRedeliveries(this.store, tx, workspaceId, list);
    const projection = new Projection(this.store, tx, workspaceId, await stageRulesOf(tx, workspaceId), cache);
    const results = await projection.apply(fresh);
    for (const [k, p] of await describeRedeliveries(tx, workspaceId, repeats)) results.set(k, p);
    return { results, facts: projection.facts };
  }

  private async projectRowIsolated(
    tx: Tx,
    r: Schema['inbox'],
    body: string | null,
    done: Map<string, Projected[]>,
    facts: Map<string, Fact[]>,
    lists: Map<string, PendingEvent[]>,
  ): Promise<number> {
    let list: PendingEvent[];
    try {
      list = inboxEvents(r, body, this.readBatch);
    } catch (err) {
      // The row itself cannot be read back: keep its text whole.
      const id = await recordSetAside(this.store, tx, r.workspace_id, r.received_at, null, reasonOf(err), body ?? undefined);
      console.error(`advocate: inbox row ${r.id} could not be read; set aside as ${id}: ${reasonOf(err)}`);
      done.set(r.id, []);
      lists.set(r.id, []);
      return 0;
    }
    lists.set(r.id, list);
    done.set(r.id, new Array(list.length));
    const attempt = async (events: PendingEvent[]) => {
      await sql`savepoint project_part`.execute(tx);
      try {
        const projected = await this.projectEvents(tx, r.workspace_id, events);
        await sql`release savepoint project_part`.execute(tx);
        factsOf(facts, r.workspace_id).push(...projected.facts);
        return projected.results;
      } catch (err) {
        if (isTransientDbError(err)) throw err;
        await sql`rollback to savepoint project_part`.execute(tx);
        await sql`release savepoint project_part`.execute(tx);
        return err as Error;
      }
    };
    const whole = await attempt(list);
    if (whole instanceof Map) {
      for (const [k, p] of whole) place(done, k, p);
      return list.length;
    }
    for (const e of list) {
      const one = await attempt([e]);
      if (one instanceof Map) {
        for (const [k, p] of one) place(done, k, p);
        continue;
      }
      const { key: _key, ref: _ref, ...event } = e;
      const id = await recordSetAside(this.store, tx, r.workspace_id, r.received_at, event, reasonOf(one));
      console.error(`advocate: message ${e.messageId} in workspace ${r.workspace_id} could not be projected; set aside as ${id}: ${reasonOf(one)}`);
      place(done, e.key, { profileId: '', answerId: null, setAside: `${id}: ${reasonOf(one)}` });
    }
    return list.length;
  }

  /** For rows projected by another process: their events are found by messageId. */
  private async answerWaitersFromDb(): Promise<void> {
    const ids = [...this.waiters.keys()];
    const still = await this.store.db.selectFrom('inbox').select('id').where('id', 'in', ids.slice(0, 500)).execute();
    const pendingIds = new Set(still.map((r) => r.id));
    for (const id of ids.slice(0, 500)) {
      if (pendingIds.has(id)) continue;
      // Projected elsewhere: no ids to hand over; completed() finds them by messageId.
      const list = this.waiters.get(id);
      this.waiters.delete(id);
      for (const resolve of list ?? []) resolve([]);
    }
  }
}

/**
 * Splits a chunk into first deliveries and redeliveries of a messageId already stored (or earlier
 * in the same chunk). The unique index on events holds every projected message, so this is the one
 * place a repeat is recognised, however late it arrives.
 */
async function splitRedeliveries(store: Store, tx: Tx, workspaceId: string, events: PendingEvent[]) {
  const ids = [...new Set(events.map((e) => e.messageId))];
  const known = new Set<string>();
  if (store.sqlite) {
    // One statement for the chunk: SQLite probes the index once per id without a call from here for
    // each (those calls were most of the check's cost).
    const st = prepared(store, 'select message_id from events where workspace_id = ? and message_id in (select value from json_each(?))');
    for (const r of st.all(workspaceId, JSON.stringify(ids)) as Array<{ message_id: string }>) known.add(r.message_id);
  } else {
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await tx.selectFrom('events').select('message_id').where('workspace_id', '=', workspaceId).where('message_id', 'in', ids.slice(i, i + 5000)).execute();
      for (const r of rows) known.add(r.message_id);
    }
  }
  const fresh: PendingEvent[] = [];
  const repeats: PendingEvent[] = [];
  const firstInChunk = new Set<string>();
  for (const e of events) {
    if (known.has(e.messageId) || firstInChunk.has(e.messageId)) repeats.push(e);
    else {
      firstInChunk.add(e.messageId);
      fresh.push(e);
    }
  }
  return { fresh, repeats };
}

/** What each redelivery repeats (looked up after this chunk's first deliveries are stored). */
async function describeRedeliveries(tx: Tx, workspaceId: string, repeats: PendingEvent[]) {
  const out = new Map<string, Projected>();
  if (!repeats.length) return out;
  const mids = [...new Set(repeats.map((r) => r.messageId))];
  const firsts = new Map<string, { id: string; profile_id: string; answer_id: string | null }>();
  for (let i = 0; i < mids.length; i += 1000) {
    const rows = await tx
      .selectFrom('events')
      .leftJoin('answers', 'answers.event_id', 'events.id')
      .select(['events.id', 'events.profile_id', 'events.message_id', 'answers.id as answer_id'])
      .where('events.workspace_id', '=', workspaceId)
      .where('events.message_id', 'in', mids.slice(i, i + 1000))
      .execute();
    for (const r of rows) firsts.set(r.message_id, r);
  }
  for (const e of repeats) {
    const f = firsts.get(e.messageId);
    out.set(e.key, { profileId: f?.profile_id ?? '', answerId: f?.answer_id ?? null, duplicate: true, eventId: f?.id });
  }
  return out;
}

/** The events an inbox row holds, in the order they were accepted, each with its place in the batch. */
function inboxEvents(r: Schema['inbox'], body: string | null, readBatch: BatchReader): PendingEvent[] {
  if (body == null) throw new Error(`the body of accepted batch ${r.id} is missing`);
  const out: PendingEvent[] = [];
  // Events the application wrote (imports, the demo, answers) come in large batches read in any
  // order later: they keep their payload in their row, and their batch goes once projected.
  if (r.format === 'events') {
    (JSON.parse(body) as IngestEvent[]).forEach((e) => out.push({ ...e, key: `${r.id}:${out.length}` }));
    return out;
  }
  const skip = new Set<number>(r.skip ? (JSON.parse(r.skip) as number[]) : []);
  // Same input, same receivedAt, same id prefix: the same events validation accepted.
  const { events, positions } = readBatch(body, r.received_at, r.id, skip);
  events.forEach((e, i) => {
    if (!skip.has(positions[i])) out.push({ ...e, key: `${r.id}:${out.length}`, ref: { batchId: r.id, position: positions[i] } });
  });
  return out;
}

/**
 * The accepted log keeps only what became events: messages refused at validation, redelivered or
 * set aside are emptied in their batch (they live on in the ingestion errors where they belong),
 * so that nothing of a person outlives an erasure of their events. Rare, so done row by row.
 */
async function keepStoredOnly(tx: Tx, rows: Schema['inbox'][], lists: Map<string, PendingEvent[]>, done: Map<string, Projected[]>): Promise<void> {
  const blank = new Map<string, number[]>();
  const empty: string[] = [];
  for (const r of rows) {
    const list = lists.get(r.id) ?? [];
    const results = done.get(r.id) ?? [];
    const stored = new Set<number>();
    list.forEach((e, i) => {
      const p = results[i];
      if (e.ref && p && p.eventId && !p.duplicate && !p.setAside) stored.add(e.ref.position);
    });
    const total = r.count + (r.skip ? (JSON.parse(r.skip) as number[]).length : 0);
    if (stored.size === 0) empty.push(r.id);
    else if (stored.size < total) {
      const missing: number[] = [];
      for (let p = 0; p < total; p++) if (!stored.has(p)) missing.push(p);
      blank.set(r.id, missing);
    }
  }
  if (blank.size || empty.length) await blankBatchMessages(tx, blank, empty);
}

const reasonOf = (err: unknown) => errorReason(err, 500);

function factsOf(facts: Map<string, Fact[]>, workspaceId: string): Fact[] {
  return facts.get(workspaceId) ?? facts.set(workspaceId, []).get(workspaceId)!;
}

/** Files a projection result under its inbox row and position (`<inbox id>:<index>`). */
function place(done: Map<string, Projected[]>, key: string, p: Projected): void {
  const cut = key.lastIndexOf(':');
  done.get(key.slice(0, cut))![Number(key.slice(cut + 1))] = p;
}

export { recomputeLatestNps } from './projector.ts';
