import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { analyzeText, eachYielding } from '../text/analyze.ts';
import { analysisCoverage } from '../store/answer-texts.ts';
import { learningStatus, retrainTextModel, summaryOf, type TextModels } from '../text/training.ts';
import { AnalyzeReply, AnalyzeRequest, TextModelReply } from '../api-types/text.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';

/** Comment analysis on demand, and the workspace's sentiment model. */
export async function textRoutes(app: FastifyInstance, opts: { db: Db; keys: KeyCache; models: TextModels }) {
  app.post('/api/v1/text/analyze', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Themes (with the offsets and sentiment of each mention) and sentiment of up to 100 texts',
      description: 'Offline: nothing leaves the server. Themes come from the workspace\'s themes (GET /api/v1/themes); a text\'s sentiment from the workspace\'s model when one is trained (GET /api/v1/text/model), else from a lexicon with negation, contrast and intensifiers, which also gives each mention\'s.',
      body: AnalyzeRequest,
      response: withErrors({ 200: AnalyzeReply }),
    },
  }, async (request) => {
    const { texts } = request.body as { texts: string[] };
    const { model, taxonomy } = await opts.models.basis(request.principal.workspaceId);
    const items = await eachYielding(texts, (t) => analyzeText(t, { model: model?.model, matcher: taxonomy.matcher }));
    return { items, taxonomyVersion: taxonomy.taxonomy.version, model: model?.id ?? null };
  });

  app.get('/api/v1/text/model', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The workspace\'s sentiment model: when it was trained, on how many comments, and its held-out accuracy next to the lexicon\'s',
      response: withErrors({ 200: TextModelReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { model, taxonomy } = await opts.models.basis(ws);
    const coverage = await analysisCoverage(opts.db, ws, { taxonomyVersion: taxonomy.taxonomy.version, modelId: model?.id ?? null });
    return { model: model ? summaryOf(model.id, model.model) : null, analysis: { comments: coverage.commented, current: coverage.analyzed }, learning: learningStatus(coverage.byCategory) };
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

