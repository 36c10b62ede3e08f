import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

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
};

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
  } else if (status >= 500) {
    request.log.error(err);
    message = 'Internal error; it has been logged';
  }
  if (err.headers) reply.headers(err.headers);
  reply.status(status).send({ statusCode: status, error: REASONS[status] ?? 'Error', message, ...(field ? { field } : {}) });
}
