import { ANSWER_KEYS, answerChanges, type FactBatch } from '../domain/facts.ts';
import { answerComments } from '../store/answers.ts';
import { analysedAnswerIds, analysisCoverage, storeAnalyses, unanalyzedAnswers, type AnswerText } from '../store/answer-texts.ts';
import type { DurableConsumer } from '../store/bus.ts';
import { writeTransaction, type Db, type Tx } from '../store/db.ts';
import { listWorkspaces } from '../store/workspaces.ts';
import { analyzeText } from './analyze.ts';
import type { SentimentModel } from './model.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';
import type { TextModels } from './training.ts';

export const TEXT_OF_ANSWERS = 'text-of-answers';

interface Work {
  save: AnswerText[];
  forget: string[];
}

/** What a comment's analysis stores (offsets, not the words: the comment stays the answer's). */
function stored(answerId: string, comment: string, model: { id: string; model: SentimentModel } | null, now: number): AnswerText {
  const a = analyzeText(comment, { model: model?.model });
  return {
    answerId, sentiment: a.sentiment.label, score: a.sentiment.score,
    themes: a.themes.map((t) => ({ id: t.id, mentions: t.mentions.map((m) => ({ start: m.start, end: m.end, sentiment: m.sentiment })) })),
    modelId: model?.id ?? null, taxonomyVersion: DEFAULT_TAXONOMY.version, analyzedAt: now,
  };
}

async function workOf(db: Db | Tx, models: TextModels, batch: FactBatch): Promise<Work | null> {
  // An erasure drops the analysis itself (store/erase.ts), in its own transaction.
  const { upserted } = answerChanges([batch]);
  if (!upserted.length) return null;
  const comments = await answerComments(db, batch.workspaceId, upserted);
  const model = await models.current(batch.workspaceId);
  const now = Date.now();
  const save: AnswerText[] = [];
  const uncommented: string[] = [];
  for (const id of upserted) {
    const comment = comments.get(id);
    if (comment) save.push(stored(id, comment, model, now));
    else uncommented.push(id); // no comment (any more), or gone since
  }
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
 * Analyses the commented answers that have no analysis yet (stored before text analysis existed,
 * or under an older taxonomy), in every workspace or one, a page at a time; reports progress.
 */
export async function backfillTexts(
  db: Db,
  models: TextModels,
  options: { workspaceId?: string; onProgress?: (p: BackfillProgress) => void; pageSize?: number; shouldStop?: () => boolean } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 500;
  const workspaces = options.workspaceId ? [options.workspaceId] : (await listWorkspaces(db)).map((w) => w.id);
  let analysed = 0;
  for (const workspaceId of workspaces) {
    const coverage = await analysisCoverage(db, workspaceId, DEFAULT_TAXONOMY.version);
    const total = coverage.commented - coverage.analyzed;
    if (total <= 0) continue;
    const model = await models.current(workspaceId);
    let done = 0;
    let after: string | null = null;
    for (;;) {
      if (options.shouldStop?.()) return analysed;
      const page = await unanalyzedAnswers(db, workspaceId, DEFAULT_TAXONOMY.version, after, pageSize);
      if (!page.length) break;
      const now = Date.now();
      const texts = page.map((a) => stored(a.id, a.comment, model, now));
      await writeTransaction(db, (tx) => storeAnalyses(tx, workspaceId, texts));
      done += page.length;
      analysed += page.length;
      after = page[page.length - 1].id;
      options.onProgress?.({ workspaceId, done, total: Math.max(total, done) });
    }
  }
  return analysed;
}
