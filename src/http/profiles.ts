import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/db.ts';
import { findProfileId, getProfileRow, profileView, timeline, traitHistory, type IdentifierKind } from '../store/profiles.ts';
import { stageRulesOf } from '../store/workspaces.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { HttpError } from './errors.ts';
import { Cursor, Limit, listParam, ListQuery, secretSecurity, withErrors } from './schemas.ts';

const Profile = Type.Object({
  id: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  identities: Type.Array(Type.Object({ kind: Type.String(), value: Type.String(), since: Type.String() })),
  traits: Type.Record(Type.String(), Type.Unknown()),
  computed: Type.Record(Type.String(), Type.Unknown(), { description: 'firstSeen, lastSeen, orderCount, lifetimeRevenue, lastOrderAt, daysSinceLastOrder, tenureDays, journeyStage, latestNps, previousNpsScore, npsChange, lastCampaign, lastUtmSource' }),
  groups: Type.Array(Type.String()),
  mergedFrom: Type.Array(Type.Object({ profileId: Type.String(), reason: Type.String(), at: Type.String() })),
});

const IDENTIFIERS: IdentifierKind[] = ['userId', 'anonymousId', 'email', 'phone'];

export async function profileRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');

  async function load(workspaceId: string, id: string) {
    const row = await getProfileRow(db, workspaceId, id);
    if (!row) throw new HttpError(404, `No profile ${id} in this workspace`);
    return row;
  }

  app.get('/api/v1/profiles', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'Find a profile by any identifier: userId, anonymousId, email or phone (exactly one)',
      security: secretSecurity,
      querystring: Type.Object({ userId: Type.Optional(Type.String()), anonymousId: Type.Optional(Type.String()), email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: withErrors({ 200: Profile }),
    },
  }, async (request) => {
    const q = request.query as Partial<Record<IdentifierKind, string>>;
    const given = IDENTIFIERS.filter((k) => q[k] != null && q[k] !== '');
    if (given.length !== 1) throw new HttpError(400, 'querystring: give exactly one of userId, anonymousId, email, phone', 'querystring');
    const ws = request.principal.workspaceId;
    const id = await findProfileId(db, ws, given[0], q[given[0]]!);
    if (!id) throw new HttpError(404, `No profile with ${given[0]} "${q[given[0]]}"`);
    return profileView(db, ws, await load(ws, id), await stageRulesOf(db, ws));
  });

  app.get('/api/v1/profiles/:id', {
    preValidation: secret,
    schema: { tags: ['profiles'], summary: 'A profile with identities, traits and computed traits; a merged id answers with its survivor', security: secretSecurity, params: Type.Object({ id: Type.String() }), response: withErrors({ 200: Profile }) },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    return profileView(db, ws, await load(ws, id), await stageRulesOf(db, ws));
  });

  app.get('/api/v1/profiles/:id/timeline', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'Events and answers of a profile, newest first, with cursor paging',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ limit: Limit, cursor: Cursor, type: ListQuery }),
      response: withErrors({ 200: Type.Object({ profileId: Type.String(), items: Type.Array(Type.Record(Type.String(), Type.Unknown())), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const q = request.query as { limit?: number; cursor?: string; type?: string | string[] };
    if (q.cursor && !/^\d+:.+/.test(q.cursor)) throw new HttpError(400, 'cursor: not a cursor this API gave out', 'cursor');
    const row = await load(ws, id);
    return { profileId: row.id, ...(await timeline(db, ws, row.id, q.limit ?? 50, q.cursor, listParam(q.type))) };
  });

  app.get('/api/v1/profiles/:id/traits/history', {
    preValidation: secret,
    schema: {
      tags: ['profiles'],
      summary: 'How traits changed over time (newest first)',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ trait: Type.Optional(Type.String()) }),
      response: withErrors({ 200: Type.Object({ profileId: Type.String(), changes: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const row = await load(ws, id);
    return { profileId: row.id, changes: await traitHistory(db, ws, row.id, (request.query as { trait?: string }).trait) };
  });
}
