import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InsightEngine } from '../analytics/engine.ts';
import type { TraitColumns } from '../analytics/traits.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';

const TraitSummary = Type.Object({
  name: Type.String({ description: 'As a filter: trait.<name>=<value> (nested traits with dots)' }),
  answers: Type.Integer({ description: 'Answers whose person has this trait set now' }),
  distinct: Type.Integer(),
  values: Type.Array(Type.Object({ value: Type.String(), answers: Type.Integer({ description: 'Answers the filter trait.<name>=<value> keeps (all time)' }) })),
  otherAnswers: Type.Integer({ description: 'Answers with a value not listed' }),
});

/** The traits people who answered carry, for a picker: names with their most frequent values. */
export async function traitRoutes(app: FastifyInstance, opts: { keys: KeyCache; engine: InsightEngine; traits: TraitColumns }) {
  app.get('/api/v1/traits', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['insight'], security: secretSecurity,
      summary: 'Profile traits of the people who answered, each with its most frequent values and how many answers each keeps as a filter',
      description: 'Traits that identify people (a different value for nearly everyone, e.g. email) are left out. Read from profiles kept in memory and refreshed every minute.',
      response: withErrors({ 200: Type.Object({ items: Type.Array(TraitSummary) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    return { items: await opts.traits.catalogue(ws, await opts.engine.answers(ws)) };
  });
}
