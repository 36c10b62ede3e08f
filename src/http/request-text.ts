import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LIMITS } from '../domain/limits.ts';
import { decodeUtf8, jsonProblem } from '../domain/text.ts';
import { AppError } from '../domain/errors.ts';

/**
 * The one check of what a request carries, for every route: its query, path parameters and body
 * nest at most LIMITS.jsonDepth levels and hold only storable text (no NUL, no unpaired surrogates).
 * Runs before any route's own validation, so nothing downstream (schemas, JSON.stringify, SQL) ever
 * sees such input. Routes that take a batch set `config: { perMessageCheck: true }`: their messages
 * are checked one by one so that one bad message fails alone (ingest/segment-spec.ts parseBatch).
 */
export async function checkRequestText(request: FastifyRequest): Promise<void> {
  for (const [where, value] of [['querystring', request.query], ['params', request.params]] as const) {
    const p = jsonProblem(value, where);
    if (p) throw new AppError('invalid', `${p.path}: ${p.message}`, { field: p.path });
  }
  if (request.routeOptions.config?.perMessageCheck) return;
  const p = jsonProblem(request.body, 'body');
  if (p) throw new AppError('invalid', `${p.path}: ${p.message}${p.message.startsWith('nests') ? ` (at most ${LIMITS.jsonDepth} levels of objects and arrays)` : ''}`, { field: p.path });
}

/** What a body of a GET or HEAD may hold before it is refused: Fastify reads none, so this read is all there is. */
const UNREAD_BODY_LIMIT = 64 * 1024;

/**
 * The framing of every request is sound before any handler runs. Node calls the handler as soon as
 * the headers are in and finds a Transfer-Encoding it cannot frame (anything but chunked last), or
 * a body cut short, only afterwards: it then answers 400 itself while the handler goes on, so a
 * refused request could still record an answer (GET /s/:token?score=). Such a Transfer-Encoding is
 * refused here; and since Fastify reads no body for GET and HEAD, one they carry is read to its end
 * here first, so that a malformed one fails the request instead of arriving after the handler.
 */
export async function checkFraming(request: FastifyRequest): Promise<void> {
  const te = request.headers['transfer-encoding'];
  if (te !== undefined && String(te).split(',').pop()!.trim().toLowerCase() !== 'chunked') {
    throw new AppError('invalid', `Transfer-Encoding: "${String(te).slice(0, 40)}" cannot be read; send the body as is with Content-Length, or chunked (Content-Encoding says how it is compressed)`, { field: 'transfer-encoding' });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  if (te === undefined && !(Number(request.headers['content-length'] ?? 0) > 0)) return;
  let bytes = 0;
  try {
    for await (const chunk of request.raw) {
      bytes += (chunk as Buffer).length;
      if (bytes > UNREAD_BODY_LIMIT) throw new AppError('too_large', `A ${request.method} request takes no body (this one is over ${UNREAD_BODY_LIMIT / 1024} KB)`, { field: 'body' });
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('invalid', `The request body is malformed (${(err as Error).message}); a ${request.method} request takes no body`, { field: 'body' });
  }
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
    // Only the Segment routes decompress (their own parser): elsewhere compressed bytes would be
    // refused as "not UTF-8", which sends the client looking in the wrong place.
    const encoding = String(request.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      return done(new AppError('unsupported', `Content-Encoding: "${encoding.slice(0, 40)}" is not accepted on this route; send the JSON body uncompressed`, { field: 'content-encoding' }), undefined);
    }
    if (options.emptyIsNothing && bytes.length === 0) return done(null, undefined);
    const text = decodeUtf8(bytes);
    if (text == null) return done(new AppError('invalid', 'Body is not valid UTF-8: send JSON text encoded as UTF-8', { field: 'body' }), undefined);
    json(request, text, done);
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is a batch whose messages are checked one by one by the route (see checkRequestText). */
    perMessageCheck?: boolean;
  }
}
