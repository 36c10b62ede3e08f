import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csvText } from '../domain/csv.ts';

/** The `format` query parameter of every route that also answers in CSV. */
export const CsvFormat = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv for a spreadsheet (also Accept: text/csv)' }));

/** format=csv, or no format and an Accept header asking for CSV. */
export function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  return format === 'csv' || (format == null && /\btext\/csv\b/.test(String(request.headers.accept ?? '')));
}

/** Money columns of a download and the workspace currency their plain numbers are in. */
export interface MoneyColumns {
  columns: readonly string[];
  currency: string;
}

/**
 * Names the currency in each money column's header ("revenue (USD)"), so that a spreadsheet of
 * plain numbers still says what they are; cells stay numbers a spreadsheet can add up.
 */
export function withCurrency(rows: Array<Record<string, unknown>>, money: MoneyColumns): Array<Record<string, unknown>> {
  const named = new Set(money.columns);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [named.has(k) ? `${k} (${money.currency})` : k, v])));
}

/** Every text cell is made spreadsheet-safe here (src/domain/csv.ts), so routes pass plain values. */
export function sendCsv(reply: FastifyReply, name: string, rows: Array<Record<string, unknown>>, money?: MoneyColumns) {
  const body = csvText(money ? withCurrency(rows, money) : rows);
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);
}

/** Rounds for a spreadsheet cell only; JSON figures stay unrounded (STATS.md: never round before comparing). */
export const round = (x: number | null, digits = 3) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
