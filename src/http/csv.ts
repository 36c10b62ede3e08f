import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The `format` query parameter of every route that also answers in CSV. */
export const CsvFormat = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv for a spreadsheet (also Accept: text/csv)' }));

/** format=csv, or no format and an Accept header asking for CSV. */
export function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  return format === 'csv' || (format == null && /\btext\/csv\b/.test(String(request.headers.accept ?? '')));
}

export function sendCsv(reply: FastifyReply, name: string, rows: Array<Record<string, unknown>>) {
  const body = stringify(rows, { header: true, columns: rows.length ? Object.keys(rows[0]) : ['empty'] });
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);
}

/**
 * Text a spreadsheet would run as a formula (=, +, -, @, or a leading tab or return) gets a leading
 * apostrophe. For cells holding what customers or their events sent (names, emails): a CSV is
 * opened in Excel.
 */
export function spreadsheetSafe(value: string | null): string | null {
  return value != null && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Rounds for a spreadsheet cell only; JSON figures stay unrounded (STATS.md: never round before comparing). */
export const round = (x: number | null, digits = 3) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
