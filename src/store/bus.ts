import { sql } from 'kysely';
import type { Fact, FactBatch } from '../domain/facts.ts';
import { claimCursor, ensureCursor, listCursors, moveCursor, recordConsumerError, type CursorPlace } from './consumer-cursors.ts';
import type { Store, Tx } from './db.ts';
import { FACTS_CHANNEL, headPosition, pruneFacts, readFacts } from './facts.ts';
import { isTransientDbError } from './transient.ts';

/**
 * A consumer that must see every fact once, across restarts and processes: it handles facts in the
 * transaction that moves its cursor past them, so a crash repeats nothing and skips nothing, and on
 * PostgreSQL one process at a time holds its cursor.
 */
export interface DurableConsumer {
  /** The cursor's key; never reuse one for something else. */
  name: string;
  /** Which facts it wants; the cursor moves past the others without calling `handle`. */
  wants(fact: Fact): boolean;
  /**
   * Handles facts (those it wants, in order, all of one workspace and one batch) inside the
   * cursor's transaction: every query goes through `tx`. Throwing rolls back what it did with
   * them; they are tried again, then set aside in consumer_errors with the reason.
   */
  handle(tx: Tx, batch: FactBatch): Promise<void>;
  /** Facts handled per transaction at most (keeps the write lock short on SQLite). Default 500. */
  budget?: number;
  /** After a commit that handled some facts, e.g. to start the jobs they queued. */
  afterCommit?(): void;
}

/** A function called when new facts may have been committed (this process or, on PostgreSQL, any). */
export type WakeListener = () => void;

const PAGE = 200;
const ATTEMPTS = 3;
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
  private readonly consumers: DurableConsumer[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly failing = new Set<string>();
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
  consume(consumer: DurableConsumer): void {
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
    await this.unlisten?.();
    await Promise.allSettled([...this.running.values()]);
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

  /** Runs every durable consumer until it has handled everything committed before the call. */
  async catchUp(): Promise<void> {
    for (const c of this.consumers) await ensureCursor(this.store.db, c.name, 0);
    const head = await headPosition(this.store.db);
    for (const c of this.consumers) {
      for (;;) {
        await this.running.get(c.name);
        const place = (await listCursors(this.store.db)).find((x) => x.name === c.name)!;
        if (place.position >= head) break;
        const before = place.position;
        await this.runOnce(c);
        const after = (await listCursors(this.store.db)).find((x) => x.name === c.name)!;
        // Held by another process: wait for it rather than spin.
        if (after.position === before && after.partial === place.partial) await new Promise((r) => setTimeout(r, 20));
      }
    }
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
      if (!isTransientDbError(err) && !/destroyed/.test(String((err as Error)?.message))) console.error('advocate: checking the bus failed', err);
    }
  }

  private async prune(): Promise<void> {
    this.prunedAt = Date.now();
    const cursors = await listCursors(this.store.db);
    const upTo = cursors.length ? Math.min(...cursors.map((c) => c.position)) : await headPosition(this.store.db);
    await pruneFacts(this.store.db, Date.now() - this.retentionMs, upTo);
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
        if (/destroyed/.test(String((err as Error)?.message))) return;
        if (!isTransientDbError(err) || !this.failing.has(c.name)) console.error(`advocate: bus consumer ${c.name} failed; retrying`, err);
        this.failing.add(c.name);
      })
      .finally(() => this.running.delete(c.name));
    this.running.set(c.name, p);
  }

  /** One transaction of a consumer's work; true when there is more to do now. */
  private async runOnce(c: DurableConsumer): Promise<boolean> {
    let more = false;
    let handled = 0;
    const budget = c.budget ?? 500;
    await this.store.db.transaction().execute(async (tx) => {
      const from = await claimCursor(this.store, tx, c.name);
      if (!from) return; // another process has it
      const batches = await readFacts(tx, from.position, { limit: PAGE });
      let place: CursorPlace = from;
      for (const b of batches) {
        let i = place.position === from.position ? from.partial : 0;
        while (i < b.facts.length && handled < budget) {
          // The facts wanted in b.facts[i..j), at most what is left of the budget.
          const wanted: Fact[] = [];
          let j = i;
          while (j < b.facts.length && handled + wanted.length < budget) {
            if (c.wants(b.facts[j])) wanted.push(b.facts[j]);
            j++;
          }
          if (wanted.length) await this.handle(tx, c, { ...b, facts: wanted });
          handled += wanted.length;
          i = j;
        }
        if (i < b.facts.length) {
          place = { position: place.position, partial: i };
          more = true;
          break;
        }
        place = { position: b.position, partial: 0 };
      }
      if (batches.length === PAGE) more = true;
      if (place.position !== from.position || place.partial !== from.partial) await moveCursor(tx, c.name, place);
    });
    if (handled) c.afterCommit?.();
    return more;
  }

  private async handle(tx: Tx, c: DurableConsumer, batch: FactBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await sql`savepoint bus_consumer`.execute(tx);
      try {
        await c.handle(tx, batch);
        await sql`release savepoint bus_consumer`.execute(tx);
        return;
      } catch (err) {
        // The database away: the whole transaction is tried again later, nothing set aside.
        if (isTransientDbError(err)) throw err;
        await sql`rollback to savepoint bus_consumer`.execute(tx);
        await sql`release savepoint bus_consumer`.execute(tx);
        if (attempt < ATTEMPTS) continue;
        const reason = reasonOf(err);
        await recordConsumerError(tx, c.name, batch.position, batch.workspaceId, reason);
        console.error(`advocate: bus consumer ${c.name} set aside ${batch.facts.length} facts at position ${batch.position}: ${reason}`);
        return;
      }
    }
  }
}

function reasonOf(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${message} (${e.code})` : message;
}
