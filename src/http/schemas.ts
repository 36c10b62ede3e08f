import { Type, type TSchema } from '@sinclair/typebox';
import { timeProblem } from '../domain/limits.ts';
import { parseIsoTime } from '../domain/time.ts';
import { parseZonedTime, type Zone } from '../domain/zoned-time.ts';
import { AppError } from '../domain/errors.ts';

// Shared pieces of route schemas, so the OpenAPI document and the validation say the same thing.
// Reply shapes the dashboard reads live in src/api-types, which it can read without server code.
export { PreferencesSchema } from '../api-types/workspace.ts';
export const IsoTime = Type.String({ maxLength: 64, description: 'ISO 8601 date-time, or epoch milliseconds as a string' });
export const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 }));
export const Cursor = Type.Optional(Type.String({ maxLength: 200 }));
export const ErrorBody = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) });
export const secretSecurity: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }];

export function withErrors(responses: Record<number, TSchema>) {
  return { ...responses, '4xx': ErrorBody };
}

/**
 * Parses a time query parameter (ISO or epoch ms); the field name goes into the error. With a
 * zone, a date or date-time without an offset is a reading of that zone's clocks (a date alone: its midnight).
 */
export function parseTimeParam(value: string | undefined, field: string, zone?: Zone): number | undefined {
  if (value == null || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : zone ? parseZonedTime(value, zone) : parseIsoTime(value);
  // Past ±8.64e15 ms a number is no longer a date anywhere (JavaScript, ISO output, bigint columns).
  if (ms == null || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new AppError('invalid', `${field}: "${value.slice(0, 40)}" is not a date (use ISO 8601, e.g. 2026-03-01T12:00:00Z, or epoch milliseconds)`, { field });
  }
  return ms;
}

/** The time of something that happened (an answer, an annotation): a date inside the accepted window (domain/limits.ts). */
export function parseEventTime(value: string | undefined, field: string, now = Date.now()): number | undefined {
  const ms = parseTimeParam(value, field);
  if (ms === undefined) return undefined;
  const problem = timeProblem(ms, now);
  if (problem) throw new AppError('invalid', `${field}: ${new Date(ms).toISOString()} ${problem}`, { field });
  return ms;
}

/** `from` and `to` of a query (to exclusive), each ISO 8601 or epoch ms; 400 naming `to` when it is not after `from`. */
export function parseTimeRange(q: Readonly<Record<string, unknown>>, zone?: Zone): { from: number | undefined; to: number | undefined } {
  const from = parseTimeParam(q.from as string | undefined, 'from', zone);
  const to = parseTimeParam(q.to as string | undefined, 'to', zone);
  if (from != null && to != null && from >= to) throw new AppError('invalid', 'to: must be after from', { field: 'to' });
  return { from, to };
}

/** Query lists may be repeated (?channel=a&channel=b) or comma-separated (?channel=a,b). */
export function listParam(value: string | string[] | undefined): string[] | undefined {
  if (value == null) return undefined;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return list.length ? list : undefined;
}
export const ListQuery = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));
