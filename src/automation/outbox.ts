import { sql } from 'kysely';
import { newId } from '../domain/ids.ts';
import { fromJson, toJson, type Db, type Store, type Tx } from '../store/db.ts';
import type { JobTable } from '../store/schema.ts';
import { isTransientDbError } from '../store/transient.ts';

/**
 * Durable jobs (survey sends, webhooks) in a table of the same database: a job enqueued in a
 * transaction exists exactly when that transaction commits. Workers in any number of processes
 * claim due jobs with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single writer makes
 * the claiming update atomic on its own); a worker that dies loses its lease and the job is taken
 * again. Failures are retried with exponential backoff, then kept as failed, visible and replayable.
 */

export interface JobSpec {
  kind: string;
  workspaceId?: string | null;
  payload?: unknown;
  runAt?: number;
  maxAttempts?: number;
  /** At most one job ever exists per key (e.g. one send per survey contact). */
  dedupeKey?: string | null;
}

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

export async function enqueue(db: Db | Tx, spec: JobSpec, now = Date.now()): Promise<string | null> {
  const id = newId('job', now);
  const r = await db
    .insertInto('jobs')
    .values({
      id, workspace_id: spec.workspaceId ?? null, kind: spec.kind, payload: toJson(spec.payload ?? {}), status: 'pending',
      run_at: spec.runAt ?? now, attempts: 0, max_attempts: spec.maxAttempts ?? 5, locked_until: null, last_error: null,
      dedupe_key: spec.dedupeKey ?? null, created_at: now, updated_at: now,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? id : null;
}

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

  private async claim(now: number): Promise<JobTable[]> {
    const kinds = [...this.handlers.keys()];
    if (!kinds.length) return [];
    const lock = this.store.backend === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<JobTable>`
      update jobs set status = 'running', locked_until = ${now + this.leaseMs}, attempts = attempts + 1, updated_at = ${now}
      where id in (
        select id from jobs
        where ((status = 'pending' and run_at <= ${now}) or (status = 'running' and locked_until < ${now}))
          and kind in (${sql.join(kinds)})
        order by run_at limit ${this.batch} ${lock}
      )
      returning *`.execute(this.store.db);
    return result.rows.map((r) => ({ ...r, attempts: Number(r.attempts), max_attempts: Number(r.max_attempts), run_at: Number(r.run_at) }));
  }

  private async runOne(row: JobTable): Promise<void> {
    const handler = this.handlers.get(row.kind)!;
    const job: Job = { id: row.id, kind: row.kind, workspaceId: row.workspace_id, payload: fromJson(row.payload, {}), attempts: row.attempts, maxAttempts: row.max_attempts };
    const db = this.store.db;
    try {
      await handler.run(job);
      await db.updateTable('jobs').set({ status: 'done', locked_until: null, last_error: null, updated_at: Date.now() }).where('id', '=', row.id).execute();
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const final = err instanceof PermanentJobError || row.attempts >= row.max_attempts;
      const now = Date.now();
      await db.updateTable('jobs').set({
        status: final ? 'failed' : 'pending',
        run_at: final ? row.run_at : now + this.backoffMs * 2 ** (row.attempts - 1),
        locked_until: null,
        last_error: message.slice(0, 2000),
        updated_at: now,
      }).where('id', '=', row.id).execute();
      if (final && handler.failed) {
        await handler.failed(job, message).catch((e) => console.error(`advocate: job ${row.id} failure handler`, e));
      }
    }
  }
}

export function jobView(j: JobTable) {
  return {
    id: j.id, kind: j.kind, status: j.status, attempts: Number(j.attempts), maxAttempts: Number(j.max_attempts),
    runAt: new Date(Number(j.run_at)).toISOString(), lastError: j.last_error, payload: fromJson<Record<string, unknown>>(j.payload, {}),
    createdAt: new Date(Number(j.created_at)).toISOString(), updatedAt: new Date(Number(j.updated_at)).toISOString(),
  };
}

export async function listJobs(db: Db, workspaceId: string, status: JobTable['status'] | undefined, limit: number) {
  let q = db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId);
  if (status) q = q.where('status', '=', status);
  return (await q.orderBy('created_at', 'desc').limit(limit).execute()).map(jobView);
}

/** Replays a failed job from the start (the dead-letter list is replayable). */
export async function retryJob(db: Db, workspaceId: string, id: string, now = Date.now()): Promise<boolean> {
  const r = await db.updateTable('jobs').set({ status: 'pending', attempts: 0, run_at: now, last_error: null, updated_at: now })
    .where('workspace_id', '=', workspaceId).where('id', '=', id).where('status', '=', 'failed').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
