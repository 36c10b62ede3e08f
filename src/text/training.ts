import type { ClockTask } from '../automation/clock.ts';
import type { JobHandler } from '../automation/outbox.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import { enqueue } from '../store/jobs.ts';
import { listWorkspaces } from '../store/workspaces.ts';
import { commentCounts, commentedAnswers } from '../store/answers.ts';
import type { Db } from '../store/db.ts';
import { latestTextModel, latestTextModelId, saveTextModel, textModelById } from '../store/text-models.ts';
import { LABELS, labelOfScore, type SentimentModel } from './model.ts';
import { trainInThread } from './train-thread.ts';
import type { SentimentLabel } from './sentiment.ts';
import { basisKey, Taxonomies, workspaceTaxonomy, type CurrentTaxonomy } from './taxonomies.ts';

// The newest comments learnt from: enough for a vocabulary, bounded so a retraining takes seconds.
const MAX_EXAMPLES = Number(process.env.ADVOCATE_TEXT_MAX_EXAMPLES ?? 20_000);
/** Below this many comments per label (negative, neutral, positive), the lexicon stays. */
export const MIN_PER_LABEL = 10;

export interface TextModelSummary {
  id: string;
  trainedAt: string;
  examples: number;
  evaluation: SentimentModel['evaluation'];
}

export function summaryOf(id: string, m: SentimentModel): TextModelSummary {
  return { id, trainedAt: new Date(m.trainedAt).toISOString(), examples: m.examples, evaluation: m.evaluation };
}

/**
 * Learns the workspace's sentiment model from its answers' comments (each labelled by its score's
 * category), measures it on held-out comments next to the lexicon, and makes it current.
 */
export async function retrainTextModel(db: Db, workspaceId: string, now = Date.now()): Promise<TextModelSummary> {
  const answers = await commentedAnswers(db, workspaceId, MAX_EXAMPLES);
  const examples = answers.map((a) => ({ text: a.comment, label: labelOfScore(a.score) }));
  const short = LABELS.filter((l) => examples.filter((e) => e.label === l).length < MIN_PER_LABEL);
  if (short.length) {
    throw new AppError('conflict', `too few comments to learn from: at least ${MIN_PER_LABEL} of each of negative (0-6), neutral (7-8) and positive (9-10) answers are needed; short of ${short.join(', ')}`);
  }
  const model = await trainInThread(examples, 1, now);
  const saved = await saveTextModel(db, workspaceId, model);
  // Stored comments were read by the model this one replaces: read again, in the background.
  await queueReanalysis(db, workspaceId, basisKey(saved.id, (await workspaceTaxonomy(db, workspaceId)).version), now);
  return summaryOf(saved.id, model);
}

/**
 * The workspace's current model, read once per model (a retraining makes a new id): what analyses
 * score sentiment with. Null until one is trained.
 */
export class TextModels {
  private readonly cache = new Map<string, { id: string; model: SentimentModel }>();
  /** The workspaces' theme taxonomies: what, beside the model, an analysis is made with. */
  readonly taxonomies: Taxonomies;

  constructor(private readonly db: Db) {
    this.taxonomies = new Taxonomies(db);
  }

  /** What an analysis made now is made with: the current model (null: the lexicon) and taxonomy. */
  async basis(workspaceId: string): Promise<{ model: { id: string; model: SentimentModel } | null; taxonomy: CurrentTaxonomy; key: string }> {
    const [model, taxonomy] = await Promise.all([this.current(workspaceId), this.taxonomies.current(workspaceId)]);
    return { model, taxonomy, key: basisKey(model?.id ?? null, taxonomy.taxonomy.version) };
  }

  async current(workspaceId: string): Promise<{ id: string; model: SentimentModel } | null> {
    const id = await latestTextModelId(this.db, workspaceId);
    if (!id) return null;
    const kept = this.cache.get(workspaceId);
    if (kept?.id === id) return kept;
    const model = await textModelById<SentimentModel>(this.db, workspaceId, id);
    if (!model) return null;
    const entry = { id, model };
    this.cache.set(workspaceId, entry);
    return entry;
  }
}

export const TEXT_TRAIN_JOB = 'text-train';
/** Reads a workspace's stored comments again with its new model, a part at a time (store/answer-texts.ts analysisCoverage says how far). */
export const TEXT_REANALYZE_JOB = 'text-reanalyze';

/** Queues the reading again of a workspace's stored comments on this basis (TextModels.basis key), once per basis. */
export async function queueReanalysis(db: Db, workspaceId: string, basis: string, now = Date.now(), part = 1): Promise<void> {
  await enqueue(db, { kind: TEXT_REANALYZE_JOB, workspaceId, payload: { basis, part }, maxAttempts: 5, dedupeKey: `${TEXT_REANALYZE_JOB}:${workspaceId}:${basis}:${part}` }, now);
}
const HOUR = 3_600_000;
const FIRST_MODEL_LOOK_MS = 5 * 60_000;

export function textRetrainEveryHours(): number {
  const hours = Number(process.env.ADVOCATE_TEXT_RETRAIN_HOURS ?? 24);
  return Number.isFinite(hours) && hours > 0 ? hours : 24;
}

/**
 * What a model learns from: commented answers (`counts`, by NPS category) by the label each teaches,
 * how many of each it needs, how often it is learnt again.
 */
export function learningStatus(counts: Record<string, number>) {
  return { comments: commentsByLabel(counts), needed: MIN_PER_LABEL, everyHours: textRetrainEveryHours() };
}

function commentsByLabel(counts: Record<string, number>): Record<SentimentLabel, number> {
  return { negative: counts.detractor ?? 0, neutral: counts.passive ?? 0, positive: counts.promoter ?? 0 };
}

/** Whether commented answers (`counts`, by NPS category) teach every label often enough for a model. */
function enoughToLearn(counts: Record<string, number>): boolean {
  return Object.values(commentsByLabel(counts)).every((n) => n >= MIN_PER_LABEL);
}

/**
 * Asks for a retraining, as a job, of every workspace whose model is older than
 * ADVOCATE_TEXT_RETRAIN_HOURS (or that has none) and has comments enough to learn from. The dedupe key names the model it replaces and
 * the period, so however many processes run this clock, one job per workspace and period exists.
 * A workspace with too few comments is looked at again in five minutes while it has no model, in an
 * hour when it has one.
 */
export function textRetrainTask(db: Db): ClockTask {
  const nextLook = new Map<string, number>();
  return {
    name: 'sentiment model retraining',
    async run(now) {
      const everyMs = textRetrainEveryHours() * HOUR;
      for (const ws of await listWorkspaces(db)) {
        if ((nextLook.get(ws.id) ?? 0) > now) continue;
        const current = await latestTextModel(db, ws.id);
        const latest = current?.id ?? null;
        if (current && now - current.trainedAt < everyMs) {
          nextLook.set(ws.id, current.trainedAt + everyMs);
          continue;
        }
        // Only where there is enough to learn from: most workspaces need no job at all.
        const counts = await commentCounts(db, ws.id);
        if (!enoughToLearn(counts)) {
          // Without a model, soon again: an import or a busy day brings the comments a first one needs.
          nextLook.set(ws.id, now + Math.min(everyMs, current ? HOUR : FIRST_MODEL_LOOK_MS));
          continue;
        }
        nextLook.set(ws.id, now + everyMs);
        await enqueue(db, {
          kind: TEXT_TRAIN_JOB, workspaceId: ws.id, payload: { replaces: latest }, maxAttempts: 3, runAt: Date.now(),
          dedupeKey: `${TEXT_TRAIN_JOB}:${ws.id}:${latest ?? 'none'}:${Math.floor(now / everyMs)}`,
        }, now);
      }
    },
  };
}

/** Trains unless a retraining on demand replaced the model meanwhile; too few comments is an answer, not a failure. */
export function textTrainHandler(db: Db): JobHandler {
  return async (job) => {
    const workspaceId = job.workspaceId!;
    if ((await latestTextModelId(db, workspaceId)) !== (job.payload?.replaces ?? null)) return;
    try {
      await retrainTextModel(db, workspaceId);
    } catch (err) {
      if (!(isAppError(err) && err.kind === 'conflict')) throw err;
    }
  };
}
