import { fromJson, type Store } from '../store/db.ts';
import { claimJobs, jobAttemptFailed, jobDone } from '../store/jobs.ts';
import type { JobTable } from '../store/schema.ts';
import { isTransientDbError } from '../store/transient.ts';

/**
 * Durable jobs (survey sends, webhooks) in a table of the same database (store/jobs.ts, whose
 * `enqueue` adds one inside the caller's transaction). Workers in any number of processes claim
 * due jobs with a lease (claimJobs); a worker that dies loses its lease and the job is taken again.
 * Failures are retried with exponential backoff, then kept as failed, visible and replayable.
 */

export interface Job {
  id: string;
  kind: string;
  workspaceId: string | null;
  payload: any;
  attempts: number;
  maxAttempts: number;
}

/** A failure retrying cannot fix (a bounced address, refused credentials): the job fails at once. */
export class PermanentJobError extends Error {}

export type JobHandler = (job: Job) => Promise<void>;

/** Called when a job gives up (after its last attempt or a permanent error), so its owner can say so. */
export type FailureHandler = (job: Job, error: string) => Promise<void>;

export interface OutboxOptions {
  pollMs?: number;
  leaseMs?: number;
  /** First retry delay; doubles on each attempt. */
  backoffMs?: number;
  batch?: number;
}

export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;
  /** Polls failed in a row because the database was unavailable. */
  private unavailable = 0;
  private readonly handlers = new Map<string, { run: JobHandler; failed?: FailureHandler }>();
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly backoffMs: number;
  readonly batch: number;

  constructor(
    private readonly store: Store,
    opts: OutboxOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? Number(process.env.ADVOCATE_JOB_POLL_MS ?? 500);
    this.leaseMs = opts.leaseMs ?? 120_000;
    this.backoffMs = opts.backoffMs ?? Number(process.env.ADVOCATE_JOB_BACKOFF_MS ?? 30_000);
    this.batch = opts.batch ?? 20;
  }

  register(kind: string, run: JobHandler, failed?: FailureHandler): this {
    this.handlers.set(kind, { run, failed });
    return this;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => 0);
  }

  /** Nudges the worker after an enqueue, instead of waiting for the next poll. */
  kick(): void {
    if (!this.stopped) setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = this.runDue();
    try {
      await this.running;
      if (this.unavailable) console.error(`advocate: job worker: the database is back after ${this.unavailable} failed polls`);
      this.unavailable = 0;
    } catch (err) {
      // Polling goes on regardless; while the database is away (restarting, failing over) that is
      // said once rather than twice a second. Jobs claimed when it went keep their lease and are
      // taken again when it expires.
      if (!isTransientDbError(err)) console.error('advocate: job worker', err);
      else if (this.unavailable++ === 0) console.error(`advocate: job worker: the database is unavailable (${(err as Error).message}); retrying`);
    } finally {
      this.running = null;
    }
  }

  /** Claims and runs every job due now; returns how many ran. */
  async runDue(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const jobs = await this.claim(now);
      if (!jobs.length) return total;
      for (const row of jobs) await this.runOne(row);
      total += jobs.length;
      now = Date.now();
    }
  }

  private claim(now: number): Promise<JobTable[]> {
    return claimJobs(this.store, [...this.handlers.keys()], now, this.leaseMs, this.batch);
  }

  private async runOne(row: JobTable): Promise<void> {
    const handler = this.handlers.get(row.kind)!;
    const job: Job = { id: row.id, kind: row.kind, workspaceId: row.workspace_id, payload: fromJson(row.payload, {}), attempts: row.attempts, maxAttempts: row.max_attempts };
    const db = this.store.db;
    try {
      await handler.run(job);
      await jobDone(db, row.id);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const final = err instanceof PermanentJobError || row.attempts >= row.max_attempts;
      const now = Date.now();
      await jobAttemptFailed(db, row, message, final ? null : now + this.backoffMs * 2 ** (row.attempts - 1), now);
      if (final && handler.failed) {
        await handler.failed(job, message).catch((e) => console.error(`advocate: job ${row.id} failure handler`, e));
      }
    }
  }
}
