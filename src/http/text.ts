import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { analyzeText } from '../text/analyze.ts';
import { DEFAULT_TAXONOMY, type Theme } from '../text/taxonomy.ts';
import { saveTaxonomy, taxonomyVersions } from '../store/taxonomies.ts';
import { AppError } from '../domain/errors.ts';
import { analysisCoverage } from '../store/answer-texts.ts';
import { queueReanalysis, retrainTextModel, summaryOf, type TextModels } from '../text/training.ts';
import { AnalyzeReply, AnalyzeRequest, TaxonomyInput, TaxonomyReply, TaxonomyVersions, TextModelReply } from '../api-types/text.ts';
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
    const { model, taxonomy } = await opts.models.basis(request.principal.workspaceId);
    return { items: texts.map((t) => analyzeText(t, { model: model?.model, matcher: taxonomy.matcher })), taxonomyVersion: taxonomy.taxonomy.version, model: model?.id ?? null };
  });

  const themeView = (t: Theme) => ({ id: t.id, name: t.name, terms: t.terms, exclusions: t.exclusions ?? [] });
  const current = async (ws: string) => {
    const basis = await opts.models.basis(ws);
    const coverage = await analysisCoverage(opts.db, ws, { taxonomyVersion: basis.taxonomy.taxonomy.version, modelId: basis.model?.id ?? null });
    return { version: basis.taxonomy.taxonomy.version, themes: basis.taxonomy.taxonomy.themes.map(themeView), analysis: { comments: coverage.commented, current: coverage.analyzed } };
  };

  app.get('/api/v1/themes', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The themes comments are sorted into: each with its name, the words that mention it and the phrases that do not',
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async (request) => current(request.principal.workspaceId));

  app.put('/api/v1/themes', {
    preValidation: authenticate(opts.keys, 'secret', { role: 'analyst' }),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Replace the themes (a new version): rename, add, remove, change their words; every stored comment is sorted again in the background',
      description: 'The whole list, as GET /api/v1/themes gives it. An id kept keeps its theme\'s history in filters and exports; a new id starts a theme; an id left out removes it. Versions are kept (GET /api/v1/themes/versions). analysis in the reply says how many comments are sorted under the new version so far.',
      body: TaxonomyInput,
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { themes } = request.body as { themes: Theme[] };
    const seen = new Set<string>();
    themes.forEach((t, i) => {
      if (seen.has(t.id)) throw new AppError('invalid', `body.themes.${i}.id: "${t.id}" is given twice`, { field: `body.themes.${i}.id` });
      seen.add(t.id);
    });
    const clean = themes.map((t) => ({ id: t.id, name: t.name.trim(), terms: unique(t.terms), exclusions: unique(t.exclusions ?? []) }));
    const saved = await saveTaxonomy(opts.db, ws, clean, DEFAULT_TAXONOMY.version, request.principal.userId ?? null);
    const model = await opts.models.current(ws);
    await queueReanalysis(opts.db, ws, `${model?.id ?? 'lexicon'}@${saved.version}`);
    return current(ws);
  });

  app.get('/api/v1/themes/versions', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The versions of the themes this workspace has made, newest first (version 1, the built-in list, is never stored)',
      response: withErrors({ 200: TaxonomyVersions }),
    },
  }, async (request) => ({
    items: (await taxonomyVersions(opts.db, request.principal.workspaceId)).map((v) => ({ ...v, createdAt: new Date(v.createdAt).toISOString() })),
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
    const { model, taxonomy } = await opts.models.basis(ws);
    const coverage = await analysisCoverage(opts.db, ws, { taxonomyVersion: taxonomy.taxonomy.version, modelId: model?.id ?? null });
    return { model: model ? summaryOf(model.id, model.model) : null, analysis: { comments: coverage.commented, current: coverage.analyzed } };
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

/** Phrases trimmed, blanks and repeats (case aside) dropped, order kept. */
function unique(phrases: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of phrases) {
    const t = p.trim().replace(/\s+/g, ' ');
    if (t && !seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      out.push(t);
    }
  }
  return out;
}
