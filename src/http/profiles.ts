import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { personLabel, personNames } from '../domain/person-label.ts';
import type { StageRule } from '../domain/journey.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import type { Db, Store } from '../store/db.ts';
import { erasePerson } from '../store/erase.ts';
import { findProfileId, getProfileRow, identityHistory, profileView, timeline, traitHistory, type IdentifierKind } from '../store/profiles.ts';
import type { ProfileTable } from '../store/schema.ts';
import { stageRulesOf } from '../store/workspaces.ts';
import type { EventWriter } from '../store/writer.ts';
import { answerTextsOf } from '../store/answer-texts.ts';
import { textView } from '../text/text-view.ts';
import { themeNamer, workspaceTaxonomy } from '../text/taxonomies.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { Cursor, Limit, listParam, ListQuery, secretSecurity, withErrors } from './schemas.ts';
import { Profile, TimelinePage, TraitHistory } from '../api-types/profiles.ts';

/** A profile as the API shows it, named by the same rule as every answer and feed item. */
async function namedProfileView(db: Db, workspaceId: string, row: ProfileTable, rules: StageRule[]) {
  const view = await profileView(db, workspaceId, row, rules);
  const first = (kind: string) => view.identities.find((i) => i.kind === kind)?.value ?? null;
  const person = personNames(view.traits, { email: first('email'), phone: first('phone') });
  return { ...view, person, personLabel: personLabel(person, view.id, view.userId) };
}

const IDENTIFIERS: IdentifierKind[] = ['userId', 'anonymousId', 'email', 'phone'];
const IdentifierQuery = Type.Object({ userId: Type.Optional(Type.String()), anonymousId: Type.Optional(Type.String()), email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) }, { additionalProperties: false });

const Erased = Type.Object({
  profileId: Type.String({ description: 'The profile erased (the survivor when a merged id was given)' }),
  profileIds: Type.Array(Type.String(), { description: 'It and every profile merged into it' }),
  deleted: Type.Record(Type.String(), Type.Integer(), { description: 'Rows deleted per table: profiles, identities, events, answers, trait_changes, merges, contacts, jobs, profile_groups, suppressions (bounces), churn_scores, ingestion_errors' }),
  unsubscribesKept: Type.Integer({ description: 'Opt-outs kept with the address replaced by a keyed hash, so the person is not surveyed again if they come back' }),
  walTruncated: Type.Union([Type.Boolean(), Type.Null()], { description: 'SQLite: whether the write-ahead log was emptied after the erasure; null on PostgreSQL' }),
});

const ERASE_DESCRIPTION = 'Deletes the person everywhere (GDPR erasure) and answers with the rows deleted per table. '
  + 'Events accepted before the request are stored first so they cannot bring the person back (429 with Retry-After if they take too long). '
  + 'Their unsubscribes are kept as a keyed hash of the address only. Admins only on the dashboard. See the README, "Privacy and erasure".';

export async function profileRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; writer: EventWriter }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  // Erasure cannot be undone: on the dashboard it is an admin's decision.
  const admin = authenticate(opts.keys, 'secret', { role: 'admin' });

  /** The one identifier a query names; 400 naming the field when there is not exactly one, or it cannot be an address. */
  function identifierOf(q: Partial<Record<IdentifierKind, string>>): { kind: IdentifierKind; value: string } {
    const given = IDENTIFIERS.filter((k) => q[k] != null && q[k] !== '');
    if (given.length !== 1) throw new AppError('invalid', 'querystring: give exactly one of userId, anonymousId, email, phone', { field: 'querystring' });
    const kind = given[0];
    const raw = q[kind]!;
    if (kind === 'email' && !normaliseEmail(raw)) throw new AppError('invalid', `email: "${raw.slice(0, 80)}" is not an email address`, { field: 'email' });
    if (kind === 'phone' && !normalisePhone(raw)) throw new AppError('invalid', `phone: "${raw.slice(0, 80)}" is not a phone number (6 to 15 digits)`, { field: 'phone' });
    return { kind, value: raw };
  }

  async function erase(workspaceId: string, locate: () => Promise<string | null>, missing: string) {
    const erasure = await erasePerson(opts.store, opts.writer, workspaceId, locate);
    if (!erasure) throw new AppError('not_found', missing);
    return erasure;
  }

  async function load(workspaceId: string, id: string) {
    const row = await getProfileRow(db, workspaceId, id);
    if (!row) throw new AppError('not_found', `No profile ${id} in this workspace`);
    return row;
  }

  app.get('/api/v1/profiles', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'Find a profile by any identifier: userId, anonymousId, email or phone (exactly one)',
      security: secretSecurity,
      querystring: IdentifierQuery,
      response: withErrors({ 200: Profile }),
    },
  }, async (request) => {
    const q = request.query as Partial<Record<IdentifierKind, string>>;
    const given = IDENTIFIERS.filter((k) => q[k] != null && q[k] !== '');
    if (given.length !== 1) throw new AppError('invalid', 'querystring: give exactly one of userId, anonymousId, email, phone', { field: 'querystring' });
    const ws = request.principal.workspaceId;
    const id = await findProfileId(db, ws, given[0], q[given[0]]!);
    if (!id) throw new AppError('not_found', `No profile with ${given[0]} "${q[given[0]]}"`);
    return namedProfileView(db, ws, await load(ws, id), await stageRulesOf(db, ws));
  });

  app.get('/api/v1/profiles/:id', {
    preValidation: secret,
    schema: { tags: ['profiles'], summary: 'A profile with identities, traits and computed traits; a merged id answers with its survivor', security: secretSecurity, params: Type.Object({ id: Type.String() }), response: withErrors({ 200: Profile }) },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    return namedProfileView(db, ws, await load(ws, id), await stageRulesOf(db, ws));
  });

  app.delete('/api/v1/profiles', {
    preValidation: admin,
    schema: {
      tags: ['profiles'],
      summary: 'Erase a person found by any identifier: userId, anonymousId, email or phone (exactly one)',
      description: ERASE_DESCRIPTION,
      security: secretSecurity,
      querystring: IdentifierQuery,
      response: withErrors({ 200: Erased }),
    },
  }, async (request) => {
    const { kind, value } = identifierOf(request.query as Partial<Record<IdentifierKind, string>>);
    const ws = request.principal.workspaceId;
    return erase(ws, () => findProfileId(db, ws, kind, value), `No profile with ${kind} "${value.slice(0, 80)}"`);
  });

  app.delete('/api/v1/profiles/:id', {
    preValidation: admin,
    schema: { tags: ['profiles'], summary: 'Erase a person by profile id (a merged id erases its survivor)', description: ERASE_DESCRIPTION, security: secretSecurity, params: Type.Object({ id: Type.String() }), response: withErrors({ 200: Erased }) },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    return erase(ws, async () => (await getProfileRow(db, ws, id))?.id ?? null, `No profile ${id} in this workspace`);
  });

  app.get('/api/v1/profiles/:id/identity-history', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'How identity resolution shaped this person, newest first: merges, and links it refused (soft ids another userId claimed too, moved off onto a profile of their own)',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      response: withErrors({ 200: Type.Object({ profileId: Type.String(), items: Type.Array(Type.Object({
        status: Type.Union([Type.Literal('merged'), Type.Literal('refused')]),
        survivorId: Type.String(), otherId: Type.String(), reason: Type.String(), details: Type.Unknown(), at: Type.String(),
      })) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const row = await load(ws, (request.params as { id: string }).id);
    return { profileId: row.id, items: await identityHistory(db, ws, row.id) };
  });

  app.get('/api/v1/profiles/:id/timeline', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'Events and answers of a profile, newest first, with cursor paging',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ limit: Limit, cursor: Cursor, type: ListQuery }),
      response: withErrors({ 200: TimelinePage }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const q = request.query as { limit?: number; cursor?: string; type?: string | string[] };
    if (q.cursor && !/^\d+:.+/.test(q.cursor)) throw new AppError('invalid', 'cursor: not a cursor this API gave out', { field: 'cursor' });
    const row = await load(ws, id);
    const page = await timeline(db, ws, row.id, q.limit ?? 50, q.cursor, listParam(q.type));
    // Answers' comments with what they were found to say, for highlighting.
    const texts = await answerTextsOf(db, ws, page.items.flatMap((i) => { const a = i.answer as { id: string; comment: string | null } | null; return a?.comment ? [a.id] : []; }));
    const names = themeNamer(await workspaceTaxonomy(db, ws));
    const items = page.items.map((i) => {
      const a = i.answer as { id: string; comment: string | null } | null;
      const t = a?.comment ? texts.get(a.id) : undefined;
      return a ? { ...i, answer: { ...a, text: t && a.comment ? textView(a.comment, t, names) : null } } : i;
    });
    return { profileId: row.id, items, nextCursor: page.nextCursor };
  });

  app.get('/api/v1/profiles/:id/traits/history', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'How traits changed over time (newest first)',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ trait: Type.Optional(Type.String()) }),
      response: withErrors({ 200: TraitHistory }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const row = await load(ws, id);
    return { profileId: row.id, changes: await traitHistory(db, ws, row.id, (request.query as { trait?: string }).trait) };
  });
}
