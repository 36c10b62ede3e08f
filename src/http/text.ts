import type { FastifyInstance } from 'fastify';
import { analyzeText } from '../text/analyze.ts';
import { DEFAULT_TAXONOMY } from '../text/taxonomy.ts';
import { AnalyzeReply, AnalyzeRequest } from '../api-types/text.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { secretSecurity, withErrors } from './schemas.ts';

/** Comment analysis on demand: themes with their mentions, and sentiment. */
export async function textRoutes(app: FastifyInstance, opts: { keys: KeyCache }) {
  app.post('/api/v1/text/analyze', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['text'], security: secretSecurity,
      summary: 'Themes (with the offsets and sentiment of each mention) and sentiment of up to 100 texts',
      description: 'Offline: nothing leaves the server. Themes come from the default customer-experience taxonomy; sentiment from a lexicon with negation, contrast and intensifiers.',
      body: AnalyzeRequest,
      response: withErrors({ 200: AnalyzeReply }),
    },
  }, async (request) => {
    const { texts } = request.body as { texts: string[] };
    return { items: texts.map((t) => analyzeText(t)), taxonomyVersion: DEFAULT_TAXONOMY.version, model: 'lexicon' as const };
  });
}
