import { ANSWER_KEYS, answerChanges, type FactBatch } from '../domain/facts.ts';
import { answerComments } from '../store/answers.ts';
import { analysedAnswerIds, analysisCoverage, storeAnalyses, unanalyzedAnswers, type AnswerText } from '../store/answer-texts.ts';
import type { DurableConsumer } from '../store/bus.ts';
import { writeTransaction, type Db, type Tx } from '../store/db.ts';
import { listWorkspaces } from '../store/workspaces.ts';
import { analyzeText, eachYielding } from './analyze.ts';
import type { SentimentModel } from './model.ts';
import { queueReanalysis, type TextModels } from './training.ts';
import type { CurrentTaxonomy } from './taxonomies.ts';
import type { JobHandler } from '../automation/outbox.ts';

export const TEXT_OF_ANSWERS = 'text-of-answers';

interface Work {
  save: AnswerText[];
  forget: string[];
}

/** What a comment's analysis stores (offsets, not the words: the comment stays the answer's). */
function stored(answerId: string, comment: string, model: { id: string; model: SentimentModel } | null, taxonomy: CurrentTaxonomy, now: number): AnswerText {
  const a = analyzeText(comment, { model: model?.model, matcher: taxonomy.matcher });
  return {
    answerId, sentiment: a.sentiment.label, score: a.sentiment.score,
    themes: a.themes.map((t) => ({ id: t.id, mentions: t.mentions.map((m) => ({ start: m.start, end: m.end, sentiment: m.sentiment })) })),
    modelId: model?.id ?? null, taxonomyVersion: taxonomy.taxonomy.version, analyzedAt: now,
  };
}

async function workOf(db: Db | Tx, models: TextModels, batch: FactBatch): Promise<Work | null> {
  // An erasure drops the analysis itself (store/erase.ts), in its own transaction.
  const { upserted } = answerChanges([batch]);
  if (!upserted.length) return null;
  const comments = await answerComments(db, batch.workspaceId, upserted);
  const { model, taxonomy } = await models.basis(batch.workspaceId);
  const now = Date.now();
  const save = await eachYielding(upserted.filter((id) => comments.get(id)), (id) => stored(id, comments.get(id)!, model, taxonomy, now));
  // No comment (any more), or gone since.
  const uncommented = upserted.filter((id) => !comments.get(id));
  // Most answers have no comment and never had one: nothing to write for them.
  const forget = uncommented.length ? [...(await analysedAnswerIds(db, batch.workspaceId, uncommented))] : [];
  return save.length || forget.length ? { save, forget } : null;
}

/**
 * Every answer's comment analysed as it arrives or changes (themes with mentions, sentiment), on
 * the bus like any consumer: the analysis is computed before the cursor's transaction, written in it.
 */
export function textOfAnswers(models: TextModels): DurableConsumer<Work> {
  return {
    name: TEXT_OF_ANSWERS,
    wants: (f) => f.type === 'answer.created' || f.type === 'answer.changed',
    wantsKey: (key) => ANSWER_KEYS.has(key),
    prepare: (db, batch) => workOf(db, models, batch),
    async handle(tx, batch, prepared) {
      const work = prepared ?? (await workOf(tx, models, batch));
      if (!work) return;
      await storeAnalyses(tx, batch.workspaceId, work.save, work.forget);
    },
  };
}

export interface BackfillProgress {
  workspaceId: string;
  done: number;
  total: number;
}

/**
 * Analyses the commented answers that have no current analysis (stored before text analysis
 * existed, or analysed under an older taxonomy or by another model than the workspace's current
 * one), in every workspace or one, a page at a time; reports progress.
 */
export async function backfillTexts(
  db: Db,
  models: TextModels,
  options: { workspaceId?: string; onProgress?: (p: BackfillProgress) => void; pageSize?: number; shouldStop?: () => boolean; maxAnswers?: number } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 500;
  const workspaces = options.workspaceId ? [options.workspaceId] : (await listWorkspaces(db)).map((w) => w.id);
  let analysed = 0;
  for (const workspaceId of workspaces) {
    const { model, taxonomy } = await models.basis(workspaceId);
    const basis = { taxonomyVersion: taxonomy.taxonomy.version, modelId: model?.id ?? null };
    const coverage = await analysisCoverage(db, workspaceId, basis);
    const total = coverage.commented - coverage.analyzed;
    if (total <= 0) continue;
    let done = 0;
    let after: string | null = null;
    for (;;) {
      if (options.shouldStop?.() || analysed >= (options.maxAnswers ?? Infinity)) return analysed;
      const page = await unanalyzedAnswers(db, workspaceId, basis, after, pageSize);
      if (!page.length) break;
      const now = Date.now();
      // Requests are served meanwhile: a page is a few hundred milliseconds of reading.
      const texts = await eachYielding(page, (a) => stored(a.id, a.comment, model, taxonomy, now));
      await writeTransaction(db, (tx) => storeAnalyses(tx, workspaceId, texts));
      done += page.length;
      analysed += page.length;
      after = page[page.length - 1].id;
      options.onProgress?.({ workspaceId, done, total: Math.max(total, done) });
    }
  }
  return analysed;
}

/** Comments one re-analysis job reads before handing the rest to the next (keeps each job to seconds). */
const REANALYZE_PART = Number(process.env.ADVOCATE_TEXT_REANALYZE_PART ?? 20_000);

/**
 * Reads a workspace's stored comments again after its model or taxonomy changed, a part per job,
 * each part queueing the next until every comment is analysed on the current basis. A job for a
 * basis replaced since stops: the newer basis has its own job.
 */
export function textReanalyzeHandler(db: Db, models: TextModels): JobHandler {
  return async (job) => {
    const workspaceId = job.workspaceId!;
    const payload = job.payload as { basis?: string; part?: number } | null;
    const basis = await models.basis(workspaceId);
    if (basis.key !== payload?.basis) return;
    const done = await backfillTexts(db, models, { workspaceId, maxAnswers: REANALYZE_PART });
    if (done >= REANALYZE_PART) await queueReanalysis(db, workspaceId, basis.key, Date.now(), (payload.part ?? 1) + 1);
  };
}
