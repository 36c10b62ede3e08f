import { sql } from 'kysely';
import { newId } from '../domain/ids.ts';
import { fromJson, toJson, type Db, type Store, type Tx } from './db.ts';
import type { JobTable } from './schema.ts';

// The outbox's table (automation/outbox.ts runs the jobs): a job enqueued in a transaction exists
// exactly when that transaction commits.

export interface JobSpec {
  kind: string;
  workspaceId?: string | null;
  payload?: unknown;
  runAt?: number;
  maxAttempts?: number;
  /** At most one job ever exists per key (e.g. one send per survey contact). */
  dedupeKey?: string | null;
}

/** The job's id, or null when a job with its dedupe key already exists. */
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

/**
 * Claims up to `batch` jobs of these kinds that are due (or whose lease ran out), earliest first,
 * with a lease until `now + leaseMs`, counting the attempt. Workers in several processes never
 * claim the same job: on PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so a second worker
 * passes over them; on SQLite the one statement runs under the database's single write lock.
 */
export async function claimJobs(store: Store, kinds: string[], now: number, leaseMs: number, batch: number): Promise<JobTable[]> {
  if (!kinds.length) return [];
  const lock = store.dialect.skipLocked;
  const result = await sql<JobTable>`
    update jobs set status = 'running', locked_until = ${now + leaseMs}, attempts = attempts + 1, updated_at = ${now}
    where id in (
      select id from jobs
      where ((status = 'pending' and run_at <= ${now}) or (status = 'running' and locked_until < ${now}))
        and kind in (${sql.join(kinds)})
      order by run_at limit ${batch} ${lock}
    )
    returning *`.execute(store.db);
  return result.rows.map((r) => ({ ...r, attempts: Number(r.attempts), max_attempts: Number(r.max_attempts), run_at: Number(r.run_at) }));
}

export async function jobDone(db: Db, id: string, now = Date.now()): Promise<void> {
  await db.updateTable('jobs').set({ status: 'done', locked_until: null, last_error: null, updated_at: now }).where('id', '=', id).execute();
}

/** A failed attempt: the job waits until `retryAt`, or, with `retryAt` null, is kept as failed. */
export async function jobAttemptFailed(db: Db, row: Pick<JobTable, 'id' | 'run_at'>, error: string, retryAt: number | null, now = Date.now()): Promise<void> {
  await db.updateTable('jobs').set({
    status: retryAt == null ? 'failed' : 'pending',
    run_at: retryAt ?? row.run_at,
    locked_until: null,
    last_error: error.slice(0, 2000),
    updated_at: now,
  }).where('id', '=', row.id).execute();
}

function jobView(j: JobTable) {
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
