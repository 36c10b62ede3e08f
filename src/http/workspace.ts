import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { JOURNEY_FIELDS, JOURNEY_OPS, DEFAULT_STAGE_RULES, type StageRule } from '../domain/journey.ts';
import type { Store } from '../store/db.ts';
import { countIngestionErrors, deleteIngestionError, listIngestionErrors, setAsideEvent } from '../store/ingestion-errors.ts';
import { createKey, churnDefinitionOf, getWorkspace, listKeys, preferencesOf, revokeKey, stageRulesOf, updateSettings } from '../store/workspaces.ts';
import { checkPreferences, DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.ts';
import { DEFAULT_CHURN, type ChurnDefinition } from '../domain/churn.ts';
import type { EventWriter as Writer } from '../store/writer.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { Cursor, Limit, secretSecurity, withErrors } from './schemas.ts';
import { ChurnDefinition as Churn, ChurnSettings } from '../api-types/churn.ts';
import { KeyCreated, KeyList, PreferencesSaved, PreferencesSettings } from '../api-types/workspace.ts';

const StageRules = Type.Array(
  Type.Object({
    stage: Type.String({ minLength: 1, maxLength: 60 }),
    when: Type.Array(Type.Object({
      field: Type.Union(JOURNEY_FIELDS.map((f) => Type.Literal(f))),
      op: Type.Union(JOURNEY_OPS.map((o) => Type.Literal(o))),
      value: Type.Number(),
    }, { additionalProperties: false }), { maxItems: 10 }),
  }, { additionalProperties: false }),
  { minItems: 1, maxItems: 20, description: 'Checked in order; the first rule whose conditions all hold names the stage. End with a rule without conditions as the catch-all.' },
);

/** Workspace administration: keys, settings and the ingestion-errors list. Secret keys only. */
export async function workspaceRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; writer: Writer }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  // Who and what gets in, and how the workspace works, is for admins (and secret keys).
  const admin = authenticate(opts.keys, 'secret', { role: 'admin' });

  app.get('/api/v1/workspace', {
    preValidation: secret,
    schema: { tags: ['workspace'], summary: 'The workspace this key belongs to', security: secretSecurity, response: withErrors({ 200: Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.Number() }) }) },
  }, async (request) => {
    const workspace = await getWorkspace(db, request.principal.workspaceId);
    if (!workspace) throw new AppError('not_found', `No workspace ${request.principal.workspaceId}`);
    return workspace;
  });

  app.get('/api/v1/keys', {
    preValidation: admin,
    schema: { tags: ['workspace'], summary: 'API keys of this workspace (never the keys themselves)', security: secretSecurity, response: withErrors({ 200: KeyList }) },
  }, async (request) => ({ items: await listKeys(db, request.principal.workspaceId) }));

  app.post('/api/v1/keys', {
    preValidation: admin,
    schema: {
      tags: ['workspace'],
      summary: 'Create a key; the full key is in this reply only',
      security: secretSecurity,
      body: Type.Object({ kind: Type.Union([Type.Literal('write'), Type.Literal('secret')]), name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
      response: withErrors({ 201: KeyCreated }),
    },
  }, async (request, reply) => {
    const { kind, name } = request.body as { kind: 'write' | 'secret'; name: string };
    reply.status(201);
    return createKey(db, request.principal.workspaceId, kind, name);
  });

  app.delete('/api/v1/keys/:id', {
    preValidation: admin,
    schema: { tags: ['workspace'], summary: 'Revoke a key', security: secretSecurity, params: Type.Object({ id: Type.String() }), response: withErrors({ 200: Type.Object({ revoked: Type.Boolean() }) }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    if (id === request.principal.keyId) throw new AppError('conflict', 'A key cannot revoke itself: use another secret key');
    const revoked = await revokeKey(db, request.principal.workspaceId, id);
    if (!revoked) throw new AppError('not_found', `No active key ${id} in this workspace`);
    opts.keys.forget();
    return { revoked };
  });

  app.get('/api/v1/settings/workspace', {
    preValidation: secret,
    schema: { tags: ['workspace'], summary: 'Currency, locale, time zone and industry: how the workspace\'s figures are written and where its days start', security: secretSecurity, response: withErrors({ 200: PreferencesSettings }) },
  }, async (request) => ({ preferences: await preferencesOf(db, request.principal.workspaceId), defaults: DEFAULT_PREFERENCES }));

  app.put('/api/v1/settings/workspace', {
    preValidation: admin,
    schema: {
      tags: ['workspace'],
      summary: 'Change the currency, locale, time zone or industry (any subset); figures use them from the next request',
      security: secretSecurity,
      body: Type.Object({
        currency: Type.Optional(Type.String({ maxLength: 3, minLength: 3 })),
        locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35 })),
        timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        industry: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
      }, { additionalProperties: false }),
      response: withErrors({ 200: PreferencesSaved }),
    },
  }, async (request) => {
    const checked = checkPreferences(request.body as Partial<Preferences>);
    if ('field' in checked) throw new AppError('invalid', checked.message, { field: checked.field });
    const ws = request.principal.workspaceId;
    await updateSettings(db, ws, { preferences: { ...(await preferencesOf(db, ws)), ...checked.value } });
    return { preferences: await preferencesOf(db, ws) };
  });

  app.get('/api/v1/settings/journey-stages', {
    preValidation: secret,
    schema: { tags: ['workspace'], summary: 'Journey-stage rules', security: secretSecurity, response: withErrors({ 200: Type.Object({ rules: StageRules, defaults: StageRules }) }) },
  }, async (request) => ({ rules: await stageRulesOf(db, request.principal.workspaceId), defaults: DEFAULT_STAGE_RULES }));

  app.put('/api/v1/settings/journey-stages', {
    preValidation: admin,
    schema: { tags: ['workspace'], summary: 'Replace the journey-stage rules (applies to answers from now on)', security: secretSecurity, body: Type.Object({ rules: StageRules }, { additionalProperties: false }), response: withErrors({ 200: Type.Object({ rules: StageRules }) }) },
  }, async (request) => {
    const { rules } = request.body as { rules: StageRule[] };
    const settings = await updateSettings(db, request.principal.workspaceId, { stageRules: rules });
    return { rules: settings.stageRules ?? DEFAULT_STAGE_RULES };
  });

  app.get('/api/v1/settings/churn', {
    preValidation: secret,
    schema: { tags: ['workspace'], summary: 'Who counts as churned, for behaviour analyses and the churn-risk model', security: secretSecurity, response: withErrors({ 200: ChurnSettings }) },
  }, async (request) => ({ churn: await churnDefinitionOf(db, request.principal.workspaceId), defaults: DEFAULT_CHURN }));

  app.put('/api/v1/settings/churn', {
    preValidation: admin,
    schema: { tags: ['workspace'], summary: 'Set the churn definition', security: secretSecurity, body: Churn, response: withErrors({ 200: Type.Object({ churn: Churn }) }) },
  }, async (request) => {
    const b = request.body as ChurnDefinition;
    const churn = { inactiveDays: b.inactiveDays, event: b.event?.trim() || null };
    await updateSettings(db, request.principal.workspaceId, { churn });
    return { churn };
  });

  app.get('/api/v1/ingestion/status', {
    preValidation: secret,
    schema: {
      tags: ['ingestion'],
      summary: 'Events accepted but not yet on their profiles, and the number of ingestion errors',
      description: 'Accepted events are committed at once and projected onto profiles in the background, normally within milliseconds; a burst shows here as a backlog being worked off.',
      security: secretSecurity,
      response: withErrors({ 200: Type.Object({ pending: Type.Integer(), errors: Type.Integer() }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    return { pending: await opts.writer.pending(ws), errors: await countIngestionErrors(db, ws) };
  });

  const IngestionError = Type.Object({
    id: Type.String(), receivedAt: Type.String(),
    kind: Type.Union([Type.Literal('rejected'), Type.Literal('projection')], { description: 'rejected: refused by validation inside an accepted batch (an excerpt is kept); projection: accepted, but putting it on its profile failed (kept whole, replayable)' }),
    messageId: Type.Union([Type.String(), Type.Null()]), type: Type.Union([Type.String(), Type.Null()]), error: Type.String(), payload: Type.Unknown(), replayable: Type.Boolean(),
  });

  app.get('/api/v1/ingestion-errors', {
    preValidation: secret,
    schema: {
      tags: ['ingestion'],
      summary: 'Messages that could not be stored, newest first: refused inside accepted batches, or set aside when projecting them failed',
      security: secretSecurity,
      querystring: Type.Object({ limit: Limit, cursor: Cursor, kind: Type.Optional(Type.Union([Type.Literal('rejected'), Type.Literal('projection')])) }),
      response: withErrors({ 200: Type.Object({ items: Type.Array(IngestionError), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (request) => {
    const q = request.query as { limit?: number; cursor?: string; kind?: 'rejected' | 'projection' };
    return listIngestionErrors(db, request.principal.workspaceId, { limit: q.limit ?? 50, cursor: q.cursor, kind: q.kind });
  });

  app.post('/api/v1/ingestion-errors/:id/replay', {
    preValidation: admin,
    schema: {
      tags: ['ingestion'],
      summary: 'Project a set-aside message again (after the cause is fixed); the error is removed, or replaced by a new one if it fails again',
      security: secretSecurity,
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      response: withErrors({ 200: Type.Object({ status: Type.String(), eventId: Type.String(), profileId: Type.String(), answerId: Type.Union([Type.String(), Type.Null()]), error: Type.Optional(Type.String()) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const found = await setAsideEvent(db, ws, id);
    if (!found) throw new AppError('not_found', `No ingestion error ${id} in this workspace`);
    if (!found.event) throw new AppError('conflict', `Ingestion error ${id} was refused by validation, not set aside: send the message again, corrected`);
    const result = await opts.writer.write(ws, [found.event]);
    await deleteIngestionError(db, ws, id);
    const item = result.items[0];
    return { status: item.status, eventId: item.eventId, profileId: item.profileId, answerId: item.answerId, ...(item.error ? { error: item.error } : {}) };
  });
}
