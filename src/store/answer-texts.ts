import type { ExpressionBuilder } from 'kysely';
import type { Db, Tx } from './db.ts';
import type { Schema } from './schema.ts';
import { fromJson, toJson } from './db.ts';
import { themeSentiment } from '../domain/drivers.ts';
import { appendWorkspaceFacts } from './facts.ts';
import { commentCounts } from './answers.ts';

type Label = 'negative' | 'neutral' | 'positive';

export interface StoredMention {
  start: number;
  end: number;
  sentiment: { label: Label; score: number };
}

export interface AnswerText {
  answerId: string;
  sentiment: Label;
  score: number;
  themes: Array<{ id: string; mentions: StoredMention[] }>;
  modelId: string | null;
  taxonomyVersion: number;
  analyzedAt: number;
}

/**
 * Writes (or replaces) answers' analyses and drops those of `forget`, and announces both on the
 * bus (answer.analyzed): the insight engine counts themes and sentiment from them. The bus consumer
 * and a back-fill may write the same answer at once (both read the same comment): the later write
 * wins, no conflict. Call it last in the transaction (appendFacts).
 */
export async function storeAnalyses(tx: Tx, workspaceId: string, save: AnswerText[], forget: string[] = []): Promise<void> {
  if (!save.length && !forget.length) return;
  await forgetAnswerTexts(tx, forget);
  await saveAnswerTexts(tx, workspaceId, save);
  const ids = [...new Set([...forget, ...save.map((t) => t.answerId)])];
  await appendWorkspaceFacts(tx, workspaceId, ids.map((answerId) => ({ type: 'answer.analyzed', answerId })));
}

async function saveAnswerTexts(tx: Db | Tx, workspaceId: string, texts: AnswerText[]): Promise<void> {
  if (!texts.length) return;
  for (let i = 0; i < texts.length; i += 200) {
    const part = texts.slice(i, i + 200);
    await tx.deleteFrom('answer_themes').where('answer_id', 'in', part.map((t) => t.answerId)).execute();
    await tx.insertInto('answer_texts').values(part.map((t) => ({
      answer_id: t.answerId, workspace_id: workspaceId, sentiment: t.sentiment, score: t.score, themes: toJson(t.themes),
      model_id: t.modelId, taxonomy_version: t.taxonomyVersion, analyzed_at: t.analyzedAt,
    }))).onConflict((oc) => oc.column('answer_id').doUpdateSet((eb) => ({
      sentiment: eb.ref('excluded.sentiment'), score: eb.ref('excluded.score'), themes: eb.ref('excluded.themes'),
      model_id: eb.ref('excluded.model_id'), taxonomy_version: eb.ref('excluded.taxonomy_version'), analyzed_at: eb.ref('excluded.analyzed_at'),
    }))).execute();
    // A theme's sentiment in a comment is the net of its mentions, as the insight figures count it.
    const themes = part.flatMap((t) => t.themes.map((h) => ({ workspace_id: workspaceId, theme_id: h.id, answer_id: t.answerId, sentiment: themeSentiment(h.mentions.map((m) => m.sentiment.label), t.sentiment) })));
    if (themes.length) await tx.insertInto('answer_themes').values(themes).onConflict((oc) => oc.columns(['workspace_id', 'theme_id', 'answer_id']).doNothing()).execute();
  }
}

/** Drops answers' analyses unannounced: for a caller whose own facts say what became of the answers (an erasure; an edited comment, answer.changed). */
export async function forgetAnswerTexts(tx: Db | Tx, answerIds: string[]): Promise<void> {
  for (let i = 0; i < answerIds.length; i += 500) {
    const part = answerIds.slice(i, i + 500);
    await tx.deleteFrom('answer_themes').where('answer_id', 'in', part).execute();
    await tx.deleteFrom('answer_texts').where('answer_id', 'in', part).execute();
  }
}

/** Which of these answers have an analysis stored. */
export async function analysedAnswerIds(db: Db | Tx, workspaceId: string, answerIds: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < answerIds.length; i += 500) {
    const rows = await db.selectFrom('answer_texts').select('answer_id').where('workspace_id', '=', workspaceId).where('answer_id', 'in', answerIds.slice(i, i + 500)).execute();
    for (const r of rows) out.add(r.answer_id);
  }
  return out;
}

export async function answerTextsOf(db: Db, workspaceId: string, answerIds: string[]): Promise<Map<string, AnswerText>> {
  const out = new Map<string, AnswerText>();
  for (let i = 0; i < answerIds.length; i += 500) {
    const rows = await db.selectFrom('answer_texts').selectAll().where('workspace_id', '=', workspaceId).where('answer_id', 'in', answerIds.slice(i, i + 500)).execute();
    for (const r of rows) {
      out.set(r.answer_id, {
        answerId: r.answer_id, sentiment: r.sentiment, score: Number(r.score), themes: fromJson(r.themes, []),
        modelId: r.model_id, taxonomyVersion: Number(r.taxonomy_version), analyzedAt: Number(r.analyzed_at),
      });
    }
  }
  return out;
}

/** What a current analysis was made with: the taxonomy version and the workspace's model (null: the lexicon). */
export interface AnalysisBasis {
  taxonomyVersion: number;
  modelId: string | null;
}

/** An analysis made on another basis: of another taxonomy version, or by another model. */
function stale(eb: ExpressionBuilder<Schema, 'answer_texts'>, basis: AnalysisBasis) {
  return eb.or([
    eb('answer_texts.taxonomy_version', '<>', basis.taxonomyVersion),
    basis.modelId == null ? eb('answer_texts.model_id', 'is not', null) : eb.or([eb('answer_texts.model_id', 'is', null), eb('answer_texts.model_id', '<>', basis.modelId)]),
  ]);
}

/**
 * Commented answers with no analysis, or one made on another basis (an older taxonomy, another
 * model), after `after` (answer id order), a page at a time: what a back-fill works through.
 */
export async function unanalyzedAnswers(db: Db, workspaceId: string, basis: AnalysisBasis, after: string | null, limit: number): Promise<Array<{ id: string; comment: string }>> {
  let q = db.selectFrom('answers')
    .leftJoin('answer_texts', 'answer_texts.answer_id', 'answers.id')
    .select(['answers.id', 'answers.comment'])
    .where('answers.workspace_id', '=', workspaceId)
    .where('answers.comment', 'is not', null).where('answers.comment', '<>', '')
    .where((eb) => eb.or([eb('answer_texts.answer_id', 'is', null), stale(eb as never, basis)]));
  if (after) q = q.where('answers.id', '>', after);
  const rows = await q.orderBy('answers.id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, comment: r.comment! }));
}

/** How many commented answers a workspace has, and how many of them are analysed on this basis (the rest wait for a back-fill). */
export async function analysisCoverage(db: Db, workspaceId: string, basis: AnalysisBasis): Promise<{ commented: number; analyzed: number; byCategory: Record<string, number> }> {
  // Counted by category in the same pass: what a sentiment model has to learn from.
  const byCategory = await commentCounts(db, workspaceId);
  const commented = Object.values(byCategory).reduce((a, n) => a + n, 0);
  const all = await db.selectFrom('answer_texts').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  const outdated = await db.selectFrom('answer_texts').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId).where((eb) => stale(eb, basis)).executeTakeFirstOrThrow();
  return { commented, analyzed: Number(all.n) - Number(outdated.n), byCategory };
}
