import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isTransientDbError } from '../store/transient.ts';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * The database failed for a moment rather than over this request: restarting, failing over,
 * unreachable, out of connections, a deadlock. The request may simply be sent again, so it gets a
 * 503 with Retry-After (which Segment's and Delighted's clients honour), not a 500. Looks through
 * `cause`, where pg puts the socket error under its own "connection timeout".
 */
export function databaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isTransientDbError(e)) return true;
  }
  return false;
}

/** One error shape for every route: { statusCode, error, message, field? }; the message names the field. */
export function errorHandler(err: FastifyError & { field?: string; headers?: Record<string, string> }, request: FastifyRequest, reply: FastifyReply) {
  let status = err.statusCode ?? 500;
  let message = err.message;
  let field = err.field;
  if (err.validation) {
    status = 400;
    const v = err.validation[0];
    const where = err.validationContext ?? 'body';
    const path = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const params = v?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
    const missing = params?.missingProperty;
    const extra = params?.additionalProperty;
    field = [where, path, missing ?? extra].filter(Boolean).join('.');
    message = `${field}: ${missing ? 'is required' : extra ? 'is not a field this request takes' : (v?.message ?? 'is invalid')}`;
  } else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    status = 400;
    message = `Malformed JSON body: ${err.message}`;
  } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    status = 413;
  } else if (status === 500 && databaseUnavailable(err)) {
    status = 503;
    message = 'The database is not available at the moment (it may be restarting); retry in a second';
  } else if (status >= 500 && status !== 503) {
    // A 503 thrown as such (the writer while the database is away) keeps its message: it says what happened.
    // app.ts logs every 5xx with this error and the request id (X-Request-Id of the reply).
    // Errors that say what happened in words meant for the client (`expose`) keep their message.
    if (!(err as { expose?: boolean }).expose) message = 'Internal error; it has been logged';
  }
  if (err.headers) reply.headers(err.headers);
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  reply.status(status).send({ statusCode: status, error: REASONS[status] ?? 'Error', message, ...(field ? { field } : {}) });
}
