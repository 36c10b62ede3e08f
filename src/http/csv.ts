import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csvText } from '../domain/csv.ts';

/** The `format` query parameter of every route that also answers in CSV. */
export const CsvFormat = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv for a spreadsheet (also Accept: text/csv)' }));

/** format=csv, or no format and an Accept header asking for CSV. */
export function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  return format === 'csv' || (format == null && /\btext\/csv\b/.test(String(request.headers.accept ?? '')));
}

/** Every text cell is made spreadsheet-safe here (src/domain/csv.ts), so routes pass plain values. */
export function sendCsv(reply: FastifyReply, name: string, rows: Array<Record<string, unknown>>) {
  const body = csvText(rows);
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);
}

/** Rounds for a spreadsheet cell only; JSON figures stay unrounded (STATS.md: never round before comparing). */
export const round = (x: number | null, digits = 3) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
