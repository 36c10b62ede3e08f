import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { analyzeText } from '../text/analyze.ts';
import { DEFAULT_TAXONOMY } from '../text/taxonomy.ts';
import { analysisCoverage } from '../store/answer-texts.ts';
import { retrainTextModel, summaryOf, type TextModels } from '../text/training.ts';
import { AnalyzeReply, AnalyzeRequest, TaxonomyReply, TextModelReply } from '../api-types/text.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';

/** Comment analysis on demand, and the workspace's sentiment model. */
export async function textRoutes(app: FastifyInstance, opts: { db: Db; keys: KeyCache; models: TextModels }) {
  app.post('/api/v1/text/analyze', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Themes (with the offsets and sentiment of each mention) and sentiment of up to 100 texts',
      description: 'Offline: nothing leaves the server. Themes come from the default customer-experience taxonomy; a text\'s sentiment from the workspace\'s model when one is trained (GET /api/v1/text/model), else from a lexicon with negation, contrast and intensifiers, which also gives each mention\'s.',
      body: AnalyzeRequest,
      response: withErrors({ 200: AnalyzeReply }),
    },
  }, async (request) => {
    const { texts } = request.body as { texts: string[] };
    const current = await opts.models.current(request.principal.workspaceId);
    return { items: texts.map((t) => analyzeText(t, { model: current?.model })), taxonomyVersion: DEFAULT_TAXONOMY.version, model: current?.id ?? null };
  });

  app.get('/api/v1/themes', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The themes comments are sorted into: each with its name, the words that mention it and the phrases that do not',
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async () => ({
    version: DEFAULT_TAXONOMY.version,
    themes: DEFAULT_TAXONOMY.themes.map((t) => ({ id: t.id, name: t.name, terms: t.terms, exclusions: t.exclusions ?? [] })),
  }));

  app.get('/api/v1/text/model', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The workspace\'s sentiment model: when it was trained, on how many comments, and its held-out accuracy next to the lexicon\'s',
      response: withErrors({ 200: TextModelReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const current = await opts.models.current(ws);
    const coverage = await analysisCoverage(opts.db, ws, { taxonomyVersion: DEFAULT_TAXONOMY.version, modelId: current?.id ?? null });
    return { model: current ? summaryOf(current.id, current.model) : null, analysis: { comments: coverage.commented, current: coverage.analyzed } };
  });

  app.post('/api/v1/text/model/train', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Learn the sentiment model now from the workspace\'s commented answers (the newest 20,000), and make it current',
      description: 'Each comment is labelled by its answer: 0-6 negative, 7-8 neutral, 9-10 positive. A fifth of each label is held out to measure the model and the lexicon on. 409 while there are fewer than 10 comments of any label.',
      response: withErrors({ 200: TextModelReply }),
    },
  }, async (request) => {
    return { model: await retrainTextModel(opts.db, request.principal.workspaceId) };
  });
}
