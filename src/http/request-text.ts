import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LIMITS } from '../domain/limits.ts';
import { decodeUtf8, jsonProblem } from '../domain/text.ts';
import { HttpError } from './errors.ts';

/**
 * The one check of what a request carries, for every route: its query, path parameters and body
 * nest at most LIMITS.jsonDepth levels and hold only storable text (no NUL, no unpaired surrogates).
 * Runs before any route's own validation, so nothing downstream (schemas, JSON.stringify, SQL) ever
 * sees such input. Routes that take a batch set `config: { perMessageCheck: true }`: their messages
 * are checked one by one so that one bad message fails alone (ingest/segment.ts parseBatch).
 */
export async function checkRequestText(request: FastifyRequest): Promise<void> {
  for (const [where, value] of [['querystring', request.query], ['params', request.params]] as const) {
    const p = jsonProblem(value, where);
    if (p) throw new HttpError(400, `${p.path}: ${p.message}`, p.path);
  }
  if (request.routeOptions.config?.perMessageCheck) return;
  const p = jsonProblem(request.body, 'body');
  if (p) throw new HttpError(400, `${p.path}: ${p.message}${p.message.startsWith('nests') ? ` (at most ${LIMITS.jsonDepth} levels of objects and arrays)` : ''}`, p.path);
}

/**
 * JSON bodies decoded as strict UTF-8: malformed bytes are refused rather than turned into U+FFFD,
 * which would make distinct ids one. Parsing stays Fastify's (prototype-poisoning checks included).
 * `emptyIsNothing`: an empty body is no body (Delighted's client sends the header on DELETE too).
 */
export function useStrictJson(app: FastifyInstance, options: { emptyIsNothing?: boolean } = {}): void {
  const json = app.getDefaultJsonParser('error', 'error');
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (options.emptyIsNothing && bytes.length === 0) return done(null, undefined);
    const text = decodeUtf8(bytes);
    if (text == null) return done(new HttpError(400, 'Body is not valid UTF-8: send JSON text encoded as UTF-8', 'body'), undefined);
    json(request, text, done);
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is a batch whose messages are checked one by one by the route (see checkRequestText). */
    perMessageCheck?: boolean;
  }
}
