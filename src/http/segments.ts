import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InsightEngine } from '../analytics/engine.ts';
import { overview } from '../analytics/query.ts';
import type { SegmentMembers } from '../analytics/segments.ts';
import { evaluate, type FieldCondition } from '../domain/conditions.ts';
import type { Store } from '../store/db.ts';
import { createSegment, deleteSegment, getSegment, listSegments, updateSegment, type Segment } from '../store/segments.ts';
import { Condition } from '../domain/survey-definition.ts';
import { factsOf } from '../surveys/eligibility.ts';
import { getProfileRow } from '../store/profiles.ts';
import { stageRulesOf } from '../store/workspaces.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { ProfileSegments } from '../api-types/profiles.ts';
import { SegmentList, SegmentReply } from '../api-types/segments.ts';

const SegmentBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  conditions: Type.Array(Condition, { minItems: 1, maxItems: 50, description: 'All must hold, over traits (traits.plan), computed traits (orderCount, lifetimeRevenue, journeyStage) and NPS (latestNpsScore, latestNpsCategory)' }),
}, { additionalProperties: false });

export async function savedSegmentRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; engine: InsightEngine; members: SegmentMembers }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  const tags = ['insight'];
  const security = secretSecurity;
  const params = Type.Object({ id: Type.String({ maxLength: 100 }) });

  async function view(s: Segment, withSize: boolean) {
    const base = { id: s.id, name: s.name, conditions: s.conditions as unknown as Array<Record<string, unknown>>, createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString() };
    if (!withSize) return base;
    const cols = await opts.engine.answers(s.workspaceId);
    const { people, size } = await opts.members.of(s, cols);
    return { ...base, people: size, answers: overview(cols, { people }).n };
  }

  app.post('/api/v1/segments', {
    preValidation: secret,
    schema: { tags, security, summary: 'Save a segment: a set of conditions over traits, computed traits and NPS; figures can then be filtered with segment=<id>', body: SegmentBody, response: withErrors({ 201: SegmentReply }) },
  }, async (request, reply) => {
    const b = request.body as { name: string; conditions: FieldCondition[] };
    const s = await createSegment(db, request.principal.workspaceId, b.name, b.conditions);
    reply.status(201);
    return { segment: await view(s, true) };
  });

  app.get('/api/v1/segments', {
    preValidation: secret,
    schema: { tags, security, summary: 'Saved segments', response: withErrors({ 200: SegmentList }) },
  }, async (request) => ({ items: await Promise.all((await listSegments(db, request.principal.workspaceId)).map((s) => view(s, false))) }));

  app.get('/api/v1/profiles/:id/segments', {
    preValidation: secret,
    schema: {
      tags: [...tags, 'profiles'], security,
      summary: 'The saved segments a person is in now, by the same conditions and facts as every segment figure',
      params, response: withErrors({ 200: ProfileSegments }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const profile = await getProfileRow(db, ws, id);
    if (!profile) throw new AppError('not_found', `No profile ${id} in this workspace`);
    // Evaluated now, for this one person: figures use membership kept for up to a minute.
    const facts = factsOf(profile, Date.now(), await stageRulesOf(db, ws));
    const segments = await listSegments(db, ws);
    return { items: segments.filter((seg) => evaluate(seg.conditions, facts).ok).map((seg) => ({ id: seg.id, name: seg.name })), of: segments.length };
  });

  app.get('/api/v1/segments/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'One segment with how many people and answers are in it', params, response: withErrors({ 200: SegmentReply }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const s = await getSegment(db, request.principal.workspaceId, id);
    if (!s) throw new AppError('not_found', `No segment ${id} in this workspace`);
    return { segment: await view(s, true) };
  });

  app.put('/api/v1/segments/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'Change a segment\'s name and conditions', params, body: SegmentBody, response: withErrors({ 200: SegmentReply }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const b = request.body as { name: string; conditions: FieldCondition[] };
    const s = await updateSegment(db, request.principal.workspaceId, id, b.name, b.conditions);
    if (!s) throw new AppError('not_found', `No segment ${id} in this workspace`);
    return { segment: await view(s, true) };
  });

  app.delete('/api/v1/segments/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'Delete a segment', params, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await deleteSegment(db, request.principal.workspaceId, id))) throw new AppError('not_found', `No segment ${id} in this workspace`);
    reply.status(204);
  });
}
