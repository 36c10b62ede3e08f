import type { Job } from '../automation/outbox.ts';
import type { FieldCondition } from '../domain/conditions.ts';
import { derivedId, newId } from '../domain/ids.ts';
import { fromJson } from '../store/db.ts';
import { countProfiles, profilesAfter } from '../store/profiles.ts';
import type { SurveyRunTable } from '../store/schema.ts';
import { advanceRun, cancelRun, createRun, getRun, lastPeriod } from '../store/survey-runs.ts';
import { automatedSurveys, getSurvey, type Survey } from '../store/surveys.ts';
import { scheduleContact, type DeliveryContext } from './delivery.ts';
import { audienceCheck, contactPolicyOf, factsOf, resolvePerson } from './eligibility.ts';
import { isoOrNull } from '../domain/time.ts';

/**
 * Sending a survey to everyone who matches (its targeting, plus the run's own conditions, within
 * its sample), once through the API or every period of its schedule (a quarterly relationship
 * survey). A run walks the workspace's profiles a page per outbox job, so it survives restarts,
 * shares the work between processes, and shows its progress while it goes.
 */
export const AUDIENCE_JOB = 'survey.audience';
const PAGE = 250;
const DAY_MS = 86_400_000;

export interface RunRequest {
  kind: SurveyRunTable['kind'];
  channel: 'email' | 'sms';
  conditions?: FieldCondition[];
  delaySeconds?: number;
  /** For schedules: the period number, so each period runs once however many processes notice it. */
  period?: number | null;
}

export async function startRun(ctx: DeliveryContext, workspaceId: string, survey: Survey, req: RunRequest, now = Date.now()) {
  const total = await countProfiles(ctx.db, workspaceId);
  const row: SurveyRunTable = {
    id: newId('run', now), workspace_id: workspaceId, survey_id: survey.id, kind: req.kind, period: req.period ?? null, channel: req.channel,
    conditions: JSON.stringify(req.conditions ?? []), delay_seconds: req.delaySeconds ?? 0, status: 'running', cursor: null, total,
    scanned: 0, scheduled: 0, skipped: '{}', created_at: now, updated_at: now, finished_at: null,
  };
  const result = await createRun(ctx.db, row, { kind: AUDIENCE_JOB, workspaceId, payload: { runId: row.id }, dedupeKey: `run:${row.id}:start` }, now);
  if (result.created) ctx.outbox?.kick();
  return result;
}

/** One page of a run: who in it may be asked gets a contact and a send job; the rest are counted by reason. */
export function audienceHandler(ctx: DeliveryContext) {
  return async (job: Job) => {
    const ws = job.workspaceId!;
    const run = await getRun(ctx.db, ws, String(job.payload.runId));
    if (!run || run.status !== 'running') return;
    const now = Date.now();
    const survey = await getSurvey(ctx.db, ws, run.survey_id);
    if (!survey || survey.status !== 'active') {
      await cancelRun(ctx.db, ws, run.id, now);
      return;
    }
    const conditions = fromJson<FieldCondition[]>(run.conditions, []);
    const { rules } = await contactPolicyOf(ctx.db, ws, now);
    const profiles = await profilesAfter(ctx.db, ws, run.cursor, PAGE);
    const skipped: Record<string, number> = {};
    let scheduled = 0;
    for (const profile of profiles) {
      const out = audienceCheck(survey, factsOf(profile, now, rules), profile.id, conditions);
      if (out && !out.ask) {
        skipped[out.code] = (skipped[out.code] ?? 0) + 1;
        continue;
      }
      const person = await resolvePerson(ctx.db, ws, { profileId: profile.id });
      const r = await scheduleContact(ctx, ws, survey, person, {
        channel: run.channel, reason: run.kind, conditions, contactId: derivedId('con', run.created_at, `${run.id}\u0000${profile.id}`),
        runAt: now + run.delay_seconds * 1000, properties: { runId: run.id }, recordSkipped: false,
      }, now);
      if (r.decision.ask) scheduled++;
      else skipped[r.decision.code] = (skipped[r.decision.code] ?? 0) + 1;
    }
    const done = profiles.length < PAGE;
    const cursor = profiles.length ? profiles[profiles.length - 1].id : run.cursor;
    const next = done ? null : { kind: AUDIENCE_JOB, workspaceId: ws, payload: { runId: run.id }, dedupeKey: `run:${run.id}:${cursor}` };
    const moved = await advanceRun(ctx.db, run, { cursor, scanned: profiles.length, scheduled, skipped, done }, next, now);
    if (moved) ctx.outbox?.kick();
  };
}

/** Which period of its schedule a survey is in at `now` (0 is the first), or null before it starts. */
export function schedulePeriod(schedule: NonNullable<Survey['definition']['schedule']>, createdAt: number, now: number): number | null {
  const start = schedule.startAt ? Date.parse(schedule.startAt) : createdAt;
  if (!Number.isFinite(start) || now < start) return null;
  return Math.floor((now - start) / (schedule.everyDays * DAY_MS));
}

/**
 * Starts the run of every scheduled survey whose current period has not run yet. A server that was
 * down for several periods runs the current one, not each one it missed.
 */
export async function startDueSchedules(ctx: DeliveryContext, now = Date.now()): Promise<number> {
  let started = 0;
  for (const survey of await automatedSurveys(ctx.db)) {
    const schedule = survey.definition.schedule;
    if (!schedule) continue;
    const period = schedulePeriod(schedule, survey.createdAt, now);
    if (period == null) continue;
    const last = await lastPeriod(ctx.db, survey.id);
    if (last != null && last >= period) continue;
    // `now` picks the period; the run itself starts at the real time.
    const r = await startRun(ctx, survey.workspaceId, survey, { kind: 'schedule', channel: schedule.channel, period });
    if (r.created) started++;
  }
  return started;
}

export function runView(r: SurveyRunTable) {
  return {
    id: r.id, surveyId: r.survey_id, kind: r.kind, period: r.period, channel: r.channel, status: r.status,
    conditions: fromJson<FieldCondition[]>(r.conditions, []), delaySeconds: r.delay_seconds,
    progress: { total: r.total, scanned: r.scanned, percent: r.total ? Math.min(100, Math.round((r.scanned / r.total) * 1000) / 10) : 100 },
    scheduled: r.scheduled, skipped: fromJson<Record<string, number>>(r.skipped, {}),
    createdAt: isoOrNull(r.created_at)!, updatedAt: isoOrNull(r.updated_at)!, finishedAt: isoOrNull(r.finished_at),
  };
}
