import { Type } from '@sinclair/typebox';
import { LIMITS } from '../domain/limits.ts';
import type { FastifyInstance } from 'fastify';
import { npsSummary } from '../domain/nps.ts';
import { AppError } from '../domain/errors.ts';
import { answersWithIds, commentedAnswers } from '../store/answers.ts';
import { analysisCoverage } from '../store/answer-texts.ts';
import type { Db } from '../store/db.ts';
import { saveTaxonomy, taxonomyVersion, taxonomyVersions } from '../store/taxonomies.ts';
import { discoverThemes } from '../text/discover.ts';
import { basisKey } from '../text/taxonomies.ts';
import { representativeQuotes } from '../text/quotes.ts';
import { DEFAULT_TAXONOMY, type Theme } from '../text/taxonomy.ts';
import { themeIdFor } from '../domain/theme-id.ts';
import { queueReanalysis, type TextModels } from '../text/training.ts';
import { AdoptInput, BuiltInTaxonomyReply, MAX_THEMES, TaxonomyInput, TaxonomyReply, TaxonomyVersionReply, TaxonomyVersions } from '../api-types/text.ts';
import { DiscoveredReply } from '../api-types/drivers.ts';
import { namedAnswers } from './answer-views.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';

/** Comments read to discover themes: the newest (a second or so of reading). */
const DISCOVER_SAMPLE = 2_000;
const DISCOVER_KEEP_MS = 10 * 60_000;
const MAX_THEMES_TOTAL = MAX_THEMES;

/** The workspace's themes: read, edit (a new version each time), discover new ones in the comments. */
export async function themeRoutes(app: FastifyInstance, opts: { db: Db; keys: KeyCache; models: TextModels }) {
  // Discovery reads a couple of thousand comments: kept a while per workspace, taxonomy and newest comment.
  const discovered = new Map<string, { key: string; at: number; reply: unknown }>();
  const themeView = (t: Theme) => ({ id: t.id, name: t.name, terms: t.terms, exclusions: t.exclusions ?? [] });
  // The progress counts read every commented answer: only when asked (a page that names themes does not need them).
  const current = async (ws: string, progress = true) => {
    const basis = await opts.models.basis(ws);
    const taxonomy = { version: basis.taxonomy.taxonomy.version, themes: basis.taxonomy.taxonomy.themes.map(themeView) };
    if (!progress) return taxonomy;
    const coverage = await analysisCoverage(opts.db, ws, { taxonomyVersion: basis.taxonomy.taxonomy.version, modelId: basis.model?.id ?? null });
    return { ...taxonomy, analysis: { comments: coverage.commented, current: coverage.analyzed } };
  };

  /** Stores the list as the next version and has every stored comment sorted under it. */
  const replace = async (ws: string, themes: Theme[], by: string | null, basedOn?: number) => {
    const clean = themes.map((t) => ({ id: t.id, name: t.name.trim(), terms: unique(t.terms), exclusions: unique(t.exclusions ?? []) }));
    const saved = await saveTaxonomy(opts.db, ws, clean, DEFAULT_TAXONOMY.version, by, { basedOn });
    const model = await opts.models.current(ws);
    await queueReanalysis(opts.db, ws, basisKey(model?.id ?? null, saved.version));
    discovered.delete(ws);
    return current(ws);
  };

  app.get('/api/v1/themes', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The themes comments are sorted into: each with its name, the words that mention it and the phrases that do not',
      description: 'progress=true adds analysis: how many stored comments are sorted under this version yet (after an edit they are sorted again in the background).',
      querystring: Type.Object({ progress: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async (request) => current(request.principal.workspaceId, (request.query as { progress?: boolean }).progress === true));

  app.put('/api/v1/themes', {
    preValidation: authenticate(opts.keys, 'secret', { role: 'analyst' }),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Replace the themes (a new version): rename, add, remove, change their words; every stored comment is sorted again in the background',
      description: 'The whole list, as GET /api/v1/themes gives it. An id kept keeps its theme\'s history in filters and exports; a new id starts a theme; an id left out removes it. Ids and names are each given once. basedOn (optional): the version the edit was made from; 409 if another has been saved since. Versions are kept (GET /api/v1/themes/versions). analysis in the reply says how many comments are sorted under the new version so far.',
      body: TaxonomyInput,
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { themes, basedOn } = request.body as { themes: Theme[]; basedOn?: number };
    const seen = new Set<string>();
    const names = new Map<string, number>();
    themes.forEach((t, i) => {
      if (seen.has(t.id)) throw new AppError('invalid', `body.themes.${i}.id: "${t.id}" is given twice`, { field: `body.themes.${i}.id` });
      seen.add(t.id);
      // Two themes of one name could not be told apart in a filter or a chart.
      const name = t.name.trim().replace(/\s+/g, ' ').toLowerCase();
      const other = names.get(name);
      if (other !== undefined) throw new AppError('invalid', `body.themes.${i}.name: "${t.name.trim()}" is the name of theme ${other + 1} too; give each theme its own name`, { field: `body.themes.${i}.name` });
      names.set(name, i);
    });
    return replace(ws, themes, request.principal.userId ?? null, basedOn);
  });

  app.get('/api/v1/themes/versions', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The versions of the themes this workspace has made, newest first (the built-in list, the version before the first edit, is never stored)',
      response: withErrors({ 200: TaxonomyVersions }),
    },
  }, async (request) => ({
    items: (await taxonomyVersions(opts.db, request.principal.workspaceId)).map((v) => ({ ...v, createdAt: new Date(v.createdAt).toISOString() })),
    builtIn: DEFAULT_TAXONOMY.version,
  }));

  app.get('/api/v1/themes/versions/:version', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'One saved version of the themes, whole: to see what changed, or to go back to it (PUT it as the new list)',
      params: Type.Object({ version: Type.Integer({ minimum: 1, maximum: LIMITS.int32 }) }),
      response: withErrors({ 200: TaxonomyVersionReply }),
    },
  }, async (request) => {
    const { version } = request.params as { version: number };
    const found = await taxonomyVersion(opts.db, request.principal.workspaceId, version);
    if (!found) throw new AppError('not_found', `params.version: this workspace has saved no version ${version} of its themes (GET /api/v1/themes/versions lists them; the built-in ones are at GET /api/v1/themes/built-in)`, { field: 'params.version' });
    return { version: found.version, themes: found.themes.map(themeView), createdAt: new Date(found.createdAt).toISOString(), createdBy: found.createdBy };
  });

  app.get('/api/v1/themes/built-in', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'The themes this release comes with: what a workspace uses until its first edit, and what it can go back to (PUT them as the new list)',
      response: withErrors({ 200: BuiltInTaxonomyReply }),
    },
  }, async () => ({ version: DEFAULT_TAXONOMY.version, themes: DEFAULT_TAXONOMY.themes.map(themeView) }));


  app.get('/api/v1/themes/discovered', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Themes the comments talk about that the workspace\'s themes do not have yet: their words, how many comments use them, those answers\' NPS and representative comments',
      description: `Read from the newest ${DISCOVER_SAMPLE.toLocaleString('en')} comments: noun phrases many comments use, less those every comment uses and those the themes know, grouped when the same comments use them together. Adopt one with POST /api/v1/themes/adopt.`,
      response: withErrors({ 200: DiscoveredReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { taxonomy } = await opts.models.basis(ws);
    const sample = await commentedAnswers(opts.db, ws, DISCOVER_SAMPLE);
    const key = `${taxonomy.taxonomy.version}:${sample.length}:${sample[0]?.id ?? ''}`;
    const kept = discovered.get(ws);
    if (kept && kept.key === key && Date.now() - kept.at < DISCOVER_KEEP_MS) return kept.reply;
    const found = discoverThemes(sample.map((a) => ({ id: a.id, text: a.comment })), taxonomy.matcher);
    const byId = new Map(sample.map((a) => [a.id, a]));
    const quoteIds = found.map((f) => representativeQuotes(f.ids.map((id) => ({ id, text: byId.get(id)!.comment })), 2));
    const shown = new Map((await namedAnswers(opts.db, ws, await answersWithIds(opts.db, ws, quoteIds.flat()))).map((a) => [a.id, a]));
    const reply = {
      sample: sample.length,
      items: found.map((f, i) => {
        const scores = f.ids.map((id) => byId.get(id)!.score);
        const counts = { promoters: scores.filter((x) => x >= 9).length, passives: scores.filter((x) => x === 7 || x === 8).length, detractors: scores.filter((x) => x <= 6).length };
        return { name: f.name, terms: f.terms, comments: f.ids.length, share: f.ids.length / Math.max(1, sample.length), nps: npsSummary(counts), quotes: quoteIds[i].flatMap((id) => shown.get(id) ?? []) };
      }),
    };
    discovered.set(ws, { key, at: Date.now(), reply });
    return reply;
  });

  app.post('/api/v1/themes/adopt', {
    preValidation: authenticate(opts.keys, 'secret', { role: 'analyst' }),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Adopt discovered words as a new theme (under the name given), or fold them into a theme the workspace has (into); a new version, and every comment is sorted again in the background',
      body: AdoptInput,
      response: withErrors({ 200: TaxonomyReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const body = request.body as { name?: string; terms: string[]; into?: string };
    const { taxonomy } = await opts.models.basis(ws);
    const themes: Theme[] = taxonomy.taxonomy.themes.map((t) => ({ ...t, terms: [...t.terms], exclusions: [...(t.exclusions ?? [])] }));
    if (body.into) {
      const target = themes.find((t) => t.id === body.into);
      if (!target) throw new AppError('invalid', `body.into: no theme "${body.into}" (GET /api/v1/themes lists them)`, { field: 'body.into' });
      target.terms = unique([...target.terms, ...body.terms]);
    } else {
      const name = body.name?.trim();
      if (!name) throw new AppError('invalid', 'body.name: name the new theme, or give into to add the words to a theme', { field: 'body.name' });
      if (themes.length >= MAX_THEMES_TOTAL) throw new AppError('invalid', `body: a workspace has at most ${MAX_THEMES_TOTAL} themes; fold these words into one (into)`, { field: 'body' });
      const id = themeIdFor(name, (taken) => themes.some((t) => t.id === taken));
      themes.push({ id, name, terms: unique(body.terms), exclusions: [] });
    }
    return replace(ws, themes, request.principal.userId ?? null);
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
