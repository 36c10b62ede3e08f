import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorKind } from '../domain/errors.ts';
import { isTransientDbError } from '../store/transient.ts';

/** The one place an error kind becomes an HTTP status. */
const STATUS: Record<ErrorKind, number> = {
  invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, gone: 410, too_large: 413,
  unsupported: 415, unprocessable: 422, rate_limited: 429, internal: 500, unavailable: 503,
};

/** The status an error answers with: by kind for an AppError, else Fastify's own statusCode, else 500. */
export function statusOf(err: unknown): number {
  if (err instanceof AppError) return STATUS[err.kind];
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
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

/** What a client is told for databaseUnavailable: busy (SQLite's lock held too long) or away (a restart, a failover). */
export const DATABASE_UNAVAILABLE = 'The database is busy or not available at the moment (it may be restarting); retry in a second';

/** One error shape for every route: { statusCode, error, message, field? }; the message names the field. */
export function errorHandler(err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  let status = statusOf(err);
  let message = err.message;
  let field: string | undefined;
  if (err instanceof AppError) {
    // Its message is written for the client, whatever the kind (a set-aside write's says how to replay it).
    field = err.field;
    reply.headers(err.headers);
  } else if (err.validation) {
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
    message = DATABASE_UNAVAILABLE;
  } else if (status >= 500 && status !== 503 && !(err as { expose?: boolean }).expose) {
    // Any other fault's words are not meant for the client (Fastify's errors that are say so with
    // `expose`). app.ts logs every 5xx with this error and the request id (X-Request-Id of the reply).
    message = 'Internal error; it has been logged';
  }
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  reply.status(status).send({ statusCode: status, error: REASONS[status] ?? 'Error', message, ...(field ? { field } : {}) });
}
