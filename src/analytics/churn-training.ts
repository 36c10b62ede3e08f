import type { ClockTask } from '../automation/clock.ts';
import type { JobHandler } from '../automation/outbox.ts';
import { enqueue } from '../store/jobs.ts';
import type { ChurnDefinition } from '../domain/churn.ts';
import { ORDER_COMPLETED } from '../domain/event.ts';
import { latestChurnModel, latestModelId, saveChurnModel, type StoredChurnModel } from '../store/churn-models.ts';
import type { Db } from '../store/db.ts';
import { hasTrackEvent } from '../store/events.ts';
import { churnDefinitionOf, listWorkspaces } from '../store/workspaces.ts';
import { loadChurnHistory } from './churn-features.ts';
import { fitChurnModel, NotEnoughHistory, scoreProfiles } from './churn-model.ts';
import type { InsightEngine } from './engine.ts';

const HOUR = 3_600_000;
export const CHURN_TRAIN_JOB = 'churn-train';

/**
 * Trains the workspace's churn model on its history up to `now`, scores everyone active now and
 * makes that model current. Throws NotEnoughHistory when there is too little to learn from.
 */
export async function retrainChurnModel(db: Db, engine: InsightEngine, workspaceId: string, now = Date.now()): Promise<StoredChurnModel> {
  const startedAt = Date.now();
  const started = performance.now();
  const definition = await churnDefinitionOf(db, workspaceId);
  const history = await loadChurnHistory(db, workspaceId, definition, await engine.answers(workspaceId), now);
  const { model, metrics } = await fitChurnModel(history, now);
  const scores = await scoreProfiles(history, model, now);
  const trainingMs = Math.round(performance.now() - started);
  return saveChurnModel(db, workspaceId, startedAt, { trainedAt: now, definition, metrics: { ...metrics, trainingMs, scored: scores.length }, model }, scores);
}

export function sameDefinition(a: ChurnDefinition, b: ChurnDefinition): boolean {
  return a.inactiveDays === b.inactiveDays && (a.event ?? null) === (b.event ?? null);
}

export function retrainEveryHours(): number {
  const hours = Number(process.env.ADVOCATE_CHURN_RETRAIN_HOURS ?? 24);
  return Number.isFinite(hours) && hours > 0 ? hours : 24;
}

/**
 * Asks for a retraining, as a job, of every workspace with orders whose model is older than
 * ADVOCATE_CHURN_RETRAIN_HOURS or was trained under a churn definition since changed. The job's
 * dedupe key names the model it replaces, the definition and the period, so however many processes
 * run this clock, one job per workspace, definition and period exists, and one worker (holding its
 * lease) trains; a workspace with too little history is tried again the next period.
 * Each process looks at a workspace at most hourly (sooner when its model falls due), so most ticks
 * cost no query per workspace.
 */
export function churnRetrainTask(db: Db): ClockTask {
  const nextLook = new Map<string, number>();
  return {
    name: 'churn model retraining',
    async run(now) {
      const everyMs = retrainEveryHours() * HOUR;
      for (const ws of await listWorkspaces(db)) {
        if ((nextLook.get(ws.id) ?? 0) > now) continue;
        const latest = await latestChurnModel(db, ws.id);
        const definition = await churnDefinitionOf(db, ws.id);
        if (latest && now - latest.trainedAt < everyMs && sameDefinition(latest.definition, definition)) {
          // Within the hour anyway: the churn definition may change before the model is due.
          nextLook.set(ws.id, Math.min(latest.trainedAt + everyMs, now + HOUR));
          continue;
        }
        nextLook.set(ws.id, now + Math.min(everyMs, HOUR));
        if (!(await hasTrackEvent(db, ws.id, ORDER_COMPLETED))) continue;
        const replaces = latest?.id ?? null;
        await enqueue(db, {
          // Due at once, whatever moment the clock acts for.
          kind: CHURN_TRAIN_JOB, workspaceId: ws.id, payload: { replaces }, maxAttempts: 3, runAt: Date.now(),
          dedupeKey: `${CHURN_TRAIN_JOB}:${ws.id}:${replaces ?? 'none'}:${definition.inactiveDays}:${definition.event ?? ''}:${Math.floor(now / everyMs)}`,
        }, now);
      }
    },
  };
}

/**
 * Trains when the model the job was asked to replace is still current (a retraining on demand in
 * the meantime makes the job moot). Too little history is an answer, not a failure to retry.
 */
export function churnTrainHandler(db: Db, engine: InsightEngine): JobHandler {
  return async (job) => {
    const workspaceId = job.workspaceId!;
    if ((await latestModelId(db, workspaceId)) !== (job.payload?.replaces ?? null)) return;
    try {
      await retrainChurnModel(db, engine, workspaceId);
    } catch (err) {
      if (!(err instanceof NotEnoughHistory)) throw err;
    }
  };
}
