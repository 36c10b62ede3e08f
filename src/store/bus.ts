import { sql } from 'kysely';
import { errorReason } from '../domain/errors.ts';
import type { Fact, FactBatch } from '../domain/facts.ts';
import { claimCursor, cursorOf, ensureCursor, listCursors, moveCursor, recordConsumerError, type CursorPlace } from './consumer-cursors.ts';
import { retryWhileBusy, transactionWithoutWaiting, type Db, type Store, type Tx } from './db.ts';
import { FACTS_CHANNEL, factBatches, headPosition, pruneFacts } from './facts.ts';
import { isStoreClosedError, isTransientDbError } from './transient.ts';

/**
 * A consumer that must see every fact once, across restarts and processes: it handles facts in the
 * transaction that moves its cursor past them, so a crash repeats nothing and skips nothing, and on
 * PostgreSQL one process at a time holds its cursor.
 */
export interface DurableConsumer<P = unknown> {
  /** The cursor's key; never reuse one for something else. */
  name: string;
  /**
   * Which facts it wants (of a batch of this workspace); the cursor moves past the others without
   * calling `handle`, and without a write when a step wants none.
   */
  wants(fact: Fact, workspaceId: string): boolean;
  /** Whether a batch with this key (domain/facts.ts factKeys) may hold facts it wants; the others are not even decoded. */
  wantsKey?(key: string, workspaceId: string): boolean;
  /**
   * Loads what `wants` consults (e.g. which event names trigger a survey), in each step before the
   * facts are read. Facts committed in the last second before it are left to a later step: what
   * `wants` consults may have been saved just before them and committed just after the refresh.
   */
  refresh?(db: Db): Promise<void>;
  /**
   * Handles facts (those it wants, in order, all of one workspace and one batch) inside the
   * cursor's transaction: every query goes through `tx`. Throwing rolls back what it did with
   * them; they are tried again, then set aside in consumer_errors with the reason.
   */
  handle(tx: Tx, batch: FactBatch, prepared?: P): Promise<void>;
  /**
   * Reads, outside the transaction, what handling would write; null when it would write nothing
   * (the facts are then passed like unwanted ones, with no transaction: on SQLite every write from
   * the main thread waits for the writer thread). `handle` gets the result; undefined if this failed.
   */
  prepare?(db: Db, batch: FactBatch): Promise<P | null>;
  /** Facts handled per transaction at most (keeps the write lock short on SQLite). Default 500. */
  budget?: number;
  /** After a commit that handled some facts, e.g. to start the jobs they queued. */
  afterCommit?(): void;
}

/** A function called when new facts may have been committed (this process or, on PostgreSQL, any). */
export type WakeListener = () => void;

// Batches read per step: one projection step can announce tens of thousands of facts.
const PAGE = 50;
const ATTEMPTS = 3;
// See DurableConsumer.refresh.
const SETTLE_MS = 1_000;
// How often a cursor that only skipped facts is written (and on stop): on SQLite a write from the
// main thread waits for the writer thread's projection, and the main thread serves requests.
const SAVE_SKIPS_MS = 30_000;
const DAY = 86_400_000;

export interface BusOptions {
  /** How often the head is checked when no wake-up came (another process's commits on SQLite). */
  pollMs?: number;
  /** How long committed facts are kept once every durable consumer is past them. */
  retentionMs?: number;
}

/**
 * The bus: the committed facts in commit order (store/facts.ts appends them in the transaction that
 * made them), wake-ups when there are new ones, and the loop that runs durable consumers.
 * Wake-ups come from this process's writer (`wake()`), from every process over LISTEN on
 * PostgreSQL, and from a check of the head every second for anything else. A wake-up only says
 * "look"; every consumer reads the log from its own cursor, so none is ever lost by a missed one.
 */
export class Bus {
  private readonly listeners = new Set<WakeListener>();
  private readonly consumers: DurableConsumer<any>[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly failing = new Set<string>();
  /** Where each consumer is, when this process knows it to be further than its saved cursor. */
  private readonly ahead = new Map<string, CursorPlace>();
  private readonly savedAt = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private seenHead = 0;
  private prunedAt = 0;
  private started = false;
  private stopped = false;
  private readonly pollMs: number;
  private readonly retentionMs: number;

  constructor(private readonly store: Store, options: BusOptions = {}) {
    this.pollMs = options.pollMs ?? Number(process.env.ADVOCATE_BUS_POLL_MS ?? 1_000);
    this.retentionMs = options.retentionMs ?? Number(process.env.ADVOCATE_FACTS_RETENTION_DAYS ?? 7) * DAY;
  }

  /** Calls `listener` on every wake-up until the returned function is called. */
  onWake(listener: WakeListener): () => void {
    this.listeners.add(listener);
    this.ensureTimer();
    return () => this.listeners.delete(listener);
  }

  /** Registers a durable consumer; it starts with start() (its cursor at the start of the log). */
  consume<P>(consumer: DurableConsumer<P>): void {
    if (this.consumers.some((c) => c.name === consumer.name)) throw new Error(`a consumer named ${consumer.name} is registered already`);
    this.consumers.push(consumer);
    if (this.started) this.run(consumer);
  }

  /** Starts listening and running the durable consumers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const c of this.consumers) await ensureCursor(this.store.db, c.name, 0);
    this.unlisten = this.store.listen?.(FACTS_CHANNEL, () => this.wake()) ?? null;
    this.ensureTimer();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.retries.values()) clearTimeout(t);
    await this.unlisten?.();
    await Promise.allSettled([...this.running.values()]);
    // What was skipped need not be read again after a restart.
    for (const c of this.consumers) await this.saveSkips(c).catch(() => {});
  }

  /** New facts may be there: tell the listeners and run the consumers. */
  wake(): void {
    if (this.stopped) return;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        console.error('advocate: a bus listener failed', err);
      }
    }
    if (this.started) for (const c of this.consumers) this.run(c);
  }

  /** Runs every durable consumer (or those named) until it has handled everything committed before the call. */
  async catchUp(only?: readonly string[]): Promise<void> {
    // Some consumers leave the newest second of facts to settle (DurableConsumer.refresh): a caller
    // that needs one consumer's work does not wait for theirs.
    const consumers = only ? this.consumers.filter((c) => only.includes(c.name)) : this.consumers;
    for (const c of consumers) await ensureCursor(this.store.db, c.name, 0);
    const head = await headPosition(this.store.db);
    for (const c of consumers) {
      for (;;) {
        await this.running.get(c.name);
        const before = await this.placeOf(c);
        if (before.position >= head) break;
        await this.untilNotBusy(() => this.runOnce(c));
        // Held by another process: wait for it rather than spin.
        if (same(await this.placeOf(c), before)) await new Promise((r) => setTimeout(r, 20));
      }
      await this.untilNotBusy(() => this.saveSkips(c));
    }
  }

  /**
   * Runs `step` again while SQLite's writer thread holds the write lock: the consumer's transaction
   * does not wait for it (transactionWithoutWaiting), and a caller of catchUp waits for the result.
   */
  private untilNotBusy<T>(step: () => Promise<T>): Promise<T> {
    return retryWhileBusy(this.store.dialect, 201, (attempt) => 10 + Math.min(attempt - 1, 10) * 5, step);
  }

  /** Where a consumer is: its saved cursor, or further when this process skipped facts since. */
  private async placeOf(c: DurableConsumer): Promise<CursorPlace> {
    const saved = (await cursorOf(this.store.db, c.name)) ?? { position: 0, partial: 0 };
    const ahead = this.ahead.get(c.name);
    return ahead && after(ahead, saved) ? ahead : saved;
  }

  /** Writes the place a consumer skipped to, unless another process has moved it further. */
  private async saveSkips(c: DurableConsumer): Promise<void> {
    const ahead = this.ahead.get(c.name);
    if (!ahead) return;
    await transactionWithoutWaiting(this.store, async (tx) => {
      const claimed = await claimCursor(this.store, tx, c.name);
      if (claimed && after(ahead, claimed)) await moveCursor(tx, c.name, ahead);
    });
    this.savedAt.set(c.name, Date.now());
  }

  private ensureTimer(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      const head = await headPosition(this.store.db);
      if (head !== this.seenHead) {
        this.seenHead = head;
        this.wake();
      }
      if (this.started && Date.now() - this.prunedAt > 3_600_000) await this.prune();
    } catch (err) {
      if (!isTransientDbError(err) && !isStoreClosedError(err)) console.error('advocate: checking the bus failed', err);
    }
  }

  private async prune(): Promise<void> {
    this.prunedAt = Date.now();
    const cursors = await listCursors(this.store.db);
    const upTo = cursors.length ? Math.min(...cursors.map((c) => c.position)) : await headPosition(this.store.db);
    await pruneFacts(this.store.db, Date.now() - this.retentionMs, upTo);
  }

  /** Runs a consumer again once the facts it left to settle have. */
  private later(c: DurableConsumer): void {
    if (this.retries.has(c.name) || this.stopped) return;
    this.retries.set(c.name, setTimeout(() => {
      this.retries.delete(c.name);
      this.run(c);
    }, SETTLE_MS + 50).unref());
  }

  /** Runs a consumer until it is at the head; a wake-up while it runs makes it look once more. */
  private run(c: DurableConsumer): void {
    if (this.running.has(c.name)) {
      this.again.add(c.name);
      return;
    }
    const p = (async () => {
      do {
        this.again.delete(c.name);
        while (!this.stopped && (await this.runOnce(c)));
      } while (this.again.has(c.name) && !this.stopped);
    })()
      .then(() => {
        this.failing.delete(c.name);
      })
      .catch((err) => {
        // Retried on the next wake-up or check of the head; an outage is said once.
        if (isStoreClosedError(err)) return;
        // SQLite's writer thread has the lock (see transactionWithoutWaiting): shortly, quietly.
        if (this.store.dialect.isBusy(err)) return this.later(c);
        if (!isTransientDbError(err) || !this.failing.has(c.name)) console.error(`advocate: bus consumer ${c.name} failed; retrying`, err);
        this.failing.add(c.name);
      })
      .finally(() => this.running.delete(c.name));
    this.running.set(c.name, p);
  }

  /**
   * One step of a consumer's work; true when there is more to do now. The facts are read and
   * sorted before the transaction, so that on SQLite the write lock is held only while the handler
   * works (a projection step can announce tens of thousands of events); the transaction then checks
   * that the cursor is still where the reading started (another process may have moved it).
   */
  private async runOnce(c: DurableConsumer): Promise<boolean> {
    const budget = c.budget ?? 500;
    const from = this.ahead.get(c.name) ?? (await cursorOf(this.store.db, c.name));
    if (!from) return false;
    const refreshedAt = Date.now();
    await c.refresh?.(this.store.db);
    // Batches are decoded as the loop gets to them, so a step that fills its budget early leaves
    // the rest of the page unread (the next step starts there).
    const settledBy = c.refresh ? refreshedAt - SETTLE_MS : Infinity;
    const work: FactBatch[] = [];
    let handled = 0;
    let place: CursorPlace = from;
    let read = 0;
    let more: boolean | null = null;
    for await (const b of factBatches(this.store.db, from.position, { limit: PAGE, wants: c.wantsKey ? (k, ws) => c.wantsKey!(k, ws) : undefined })) {
      read++;
      // Left for a later step (DurableConsumer.refresh).
      if (b.at > settledBy) {
        this.later(c);
        more = false;
        break;
      }
      // The wanted facts in order, a slice per batch, up to the budget, and where that leaves the cursor.
      // The cursor's partial counts into the batch after its position: the first one read.
      let i = read === 1 ? from.partial : 0;
      const wanted: Fact[] = [];
      for (; i < b.facts.length && handled + wanted.length < budget; i++) if (c.wants(b.facts[i], b.workspaceId)) wanted.push(b.facts[i]);
      if (wanted.length) work.push({ ...b, facts: wanted });
      handled += wanted.length;
      if (i < b.facts.length) {
        place = { position: place.position, partial: i };
        more = true;
        break;
      }
      place = { position: b.position, partial: 0 };
    }
    more ??= read === PAGE;
    if (same(place, from)) return false;
    // What each slice would write (prepare); those that would write nothing are passed over.
    const writes: Array<{ batch: FactBatch; prepared: unknown }> = [];
    for (const batch of work) {
      let prepared: unknown;
      try {
        prepared = await c.prepare?.(this.store.db, batch);
      } catch (err) {
        if (isTransientDbError(err)) throw err;
      }
      if (prepared !== null) writes.push({ batch, prepared });
    }
    // Nothing to write: the cursor moves in memory, and is written now and then. A restart reads
    // those facts again and again wants none of them; the write lock is left to the writer.
    if (!writes.length && Date.now() - (this.savedAt.get(c.name) ?? 0) < SAVE_SKIPS_MS) {
      this.ahead.set(c.name, place);
      return more;
    }
    let moved = false;
    await transactionWithoutWaiting(this.store, async (tx) => {
      const claimed = await claimCursor(this.store, tx, c.name);
      if (!claimed) {
        more = false; // another process has it
        return;
      }
      // Moved on by another process since: start again from there. (Behind `from` is this
      // process's own skipping, over facts it wants none of.)
      if (after(claimed, from)) {
        this.ahead.set(c.name, claimed);
        more = true;
        return;
      }
      for (const w of writes) await this.handle(tx, c, w.batch, w.prepared);
      await moveCursor(tx, c.name, place);
      moved = true;
    });
    if (moved) {
      this.ahead.set(c.name, place);
      this.savedAt.set(c.name, Date.now());
      if (writes.length) c.afterCommit?.();
      // A consumer may commit facts of its own (the text consumer's answer.analyzed). PostgreSQL
      // announces them (NOTIFY); on SQLite only the writer wakes the bus, so the head is looked at
      // now rather than at the next check, up to a second later (a live feed would show it late).
      if (writes.length && !this.store.listen) void this.poll();
    }
    return more;
  }

  private async handle(tx: Tx, c: DurableConsumer<any>, batch: FactBatch, prepared: unknown): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await sql`savepoint bus_consumer`.execute(tx);
      try {
        await c.handle(tx, batch, prepared);
        await sql`release savepoint bus_consumer`.execute(tx);
        return;
      } catch (err) {
        // The database away: the whole transaction is tried again later, nothing set aside.
        if (isTransientDbError(err)) throw err;
        await sql`rollback to savepoint bus_consumer`.execute(tx);
        await sql`release savepoint bus_consumer`.execute(tx);
        if (attempt < ATTEMPTS) continue;
        const reason = errorReason(err);
        await recordConsumerError(tx, c.name, batch.position, batch.workspaceId, reason);
        console.error(`advocate: bus consumer ${c.name} set aside ${batch.facts.length} facts at position ${batch.position}: ${reason}`);
        return;
      }
    }
  }
}

const same = (a: CursorPlace, b: CursorPlace) => a.position === b.position && a.partial === b.partial;
const after = (a: CursorPlace, b: CursorPlace) => a.position > b.position || (a.position === b.position && a.partial > b.partial);
