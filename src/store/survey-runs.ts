import type { Db, Tx } from './db.ts';
import { enqueue, type JobSpec } from './jobs.ts';
import type { SurveyRunTable } from './schema.ts';

/** Creates a run unless one exists for that survey, kind and period; returns the run either way. */
export async function insertRun(db: Db | Tx, row: SurveyRunTable): Promise<{ run: SurveyRunTable; created: boolean }> {
  const r = await db.insertInto('survey_runs').values(row).onConflict((oc) => oc.columns(['survey_id', 'kind', 'period']).doNothing()).executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) return { run: row, created: true };
  const existing = await db.selectFrom('survey_runs').selectAll().where('survey_id', '=', row.survey_id).where('kind', '=', row.kind).where('period', '=', row.period).executeTakeFirstOrThrow();
  return { run: existing, created: false };
}

const numeric = (r: SurveyRunTable): SurveyRunTable => ({
  ...r, total: Number(r.total), scanned: Number(r.scanned), scheduled: Number(r.scheduled), delay_seconds: Number(r.delay_seconds),
  period: r.period == null ? null : Number(r.period), created_at: Number(r.created_at), updated_at: Number(r.updated_at), finished_at: r.finished_at == null ? null : Number(r.finished_at),
});

export async function getRun(db: Db | Tx, workspaceId: string, id: string): Promise<SurveyRunTable | null> {
  const row = await db.selectFrom('survey_runs').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row ? numeric(row) : null;
}

export async function listRuns(db: Db, workspaceId: string, surveyId: string, limit: number): Promise<SurveyRunTable[]> {
  const rows = await db.selectFrom('survey_runs').selectAll().where('workspace_id', '=', workspaceId).where('survey_id', '=', surveyId).orderBy('created_at', 'desc').limit(limit).execute();
  return rows.map(numeric);
}

/** The latest period a schedule has run for, or null before its first. */
export async function lastPeriod(db: Db, surveyId: string): Promise<number | null> {
  const row = await db.selectFrom('survey_runs').select((eb) => eb.fn.max('period').as('p')).where('survey_id', '=', surveyId).where('kind', '=', 'schedule').executeTakeFirst();
  return row?.p == null ? null : Number(row.p);
}

/** Records one page of progress, only while the run is still running and at the position expected (a page is counted once). */
export async function recordRunPage(
  db: Db | Tx, run: SurveyRunTable, page: { cursor: string | null; scanned: number; scheduled: number; skipped: Record<string, number>; done: boolean }, now = Date.now(),
): Promise<boolean> {
  const skipped = JSON.parse(run.skipped || '{}') as Record<string, number>;
  for (const [k, n] of Object.entries(page.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
  let q = db.updateTable('survey_runs').set({
    cursor: page.cursor, scanned: run.scanned + page.scanned, scheduled: run.scheduled + page.scheduled, skipped: JSON.stringify(skipped),
    status: page.done ? 'done' : 'running', finished_at: page.done ? now : null, updated_at: now,
  }).where('id', '=', run.id).where('status', '=', 'running');
  q = run.cursor == null ? q.where('cursor', 'is', null) : q.where('cursor', '=', run.cursor);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

export async function cancelRun(db: Db, workspaceId: string, id: string, now = Date.now()): Promise<boolean> {
  const r = await db.updateTable('survey_runs').set({ status: 'cancelled', finished_at: now, updated_at: now })
    .where('workspace_id', '=', workspaceId).where('id', '=', id).where('status', '=', 'running').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** insertRun, and when the run is new, the job that starts it, in one transaction. */
export async function createRun(db: Db, row: SurveyRunTable, job: JobSpec, now = Date.now()): Promise<{ run: SurveyRunTable; created: boolean }> {
  return db.transaction().execute(async (tx) => {
    const r = await insertRun(tx, row);
    if (r.created) await enqueue(tx, job, now);
    return r;
  });
}

/**
 * recordRunPage, and unless that was the last page, the job for the next one, in one transaction:
 * a page is counted once and followed once. False when the page was recorded already.
 */
export async function advanceRun(
  db: Db, run: SurveyRunTable, page: { cursor: string | null; scanned: number; scheduled: number; skipped: Record<string, number>; done: boolean }, next: JobSpec | null, now = Date.now(),
): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    if (!(await recordRunPage(tx, run, page, now))) return false;
    if (next) await enqueue(tx, next, now);
    return true;
  });
}
