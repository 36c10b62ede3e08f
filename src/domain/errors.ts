/**
 * The one error type the code base throws on purpose: what went wrong, as a kind from a closed
 * list, in words meant for whoever sent the request. Domain, ingest, store and surveys throw it;
 * HTTP maps each kind to its status in one place (http/errors.ts), so nothing here knows HTTP.
 */

export type ErrorKind =
  | 'invalid' // the input cannot be taken as sent; `field` names what to change
  | 'unauthorized' // no valid credential
  | 'forbidden' // a valid credential that may not do this
  | 'not_found'
  | 'gone' // existed, but no longer usable (an expired link, a closed survey)
  | 'conflict' // the state of things forbids it now (already used, last admin, not active)
  | 'too_large'
  | 'unsupported' // a media type or encoding not taken
  | 'unprocessable' // well-formed, but names something that does not exist here
  | 'rate_limited' // slow down and retry (Retry-After in `headers`)
  | 'unavailable' // the server cannot do it at the moment; retry
  | 'internal'; // a server fault whose message still tells the client what happened and what to do

export const ERROR_KINDS: readonly ErrorKind[] = [
  'invalid', 'unauthorized', 'forbidden', 'not_found', 'gone', 'conflict', 'too_large', 'unsupported', 'unprocessable', 'rate_limited', 'unavailable', 'internal',
];

export interface AppErrorOptions {
  /** The request field the message is about (e.g. `person.email`). */
  field?: string;
  /** Headers the answer should carry, e.g. Retry-After. */
  headers?: Record<string, string>;
  /** Data for the code that catches it, e.g. how far behind ingestion is. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly field?: string;
  readonly headers: Record<string, string>;
  readonly details?: Record<string, unknown>;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.field = options.field;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

/** Whether `err` is an AppError (of one of `kinds`, when given). */
export function isAppError(err: unknown, ...kinds: ErrorKind[]): err is AppError {
  return err instanceof AppError && (kinds.length === 0 || kinds.includes(err.kind));
}

/** Input refused, the message starting with the field it names: `field: problem`. */
export function invalid(field: string, problem: string): AppError {
  return new AppError('invalid', `${field}: ${problem}`, { field });
}

/** An error as one line for logs and set-aside records: its message, with the driver's code when it has one. */
export function errorReason(err: unknown, max = Infinity): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return (typeof e?.code === 'string' ? `${message} (${e.code})` : message).slice(0, max);
}
