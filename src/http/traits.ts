import type { FastifyInstance } from 'fastify';
import type { InsightEngine } from '../analytics/engine.ts';
import type { TraitColumns } from '../analytics/traits.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { TraitList } from '../api-types/metrics.ts';

/** The traits people who answered carry, for a picker: names with their most frequent values. */
export async function traitRoutes(app: FastifyInstance, opts: { keys: KeyCache; engine: InsightEngine; traits: TraitColumns }) {
  app.get('/api/v1/traits', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['insight'], security: secretSecurity,
      summary: 'Profile traits of the people who answered, each with its most frequent values and how many answers each keeps as a filter',
      description: 'Traits that identify people (a different value for nearly everyone, e.g. email) are left out. Read from profiles kept in memory and refreshed every minute.',
      response: withErrors({ 200: TraitList }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    return { items: await opts.traits.catalogue(ws, await opts.engine.answers(ws)) };
  });
}
