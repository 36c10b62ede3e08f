import { stringify, type Options } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

// Every CSV this server writes (HTTP downloads and `advocate export`) is opened in a spreadsheet,
// which runs a cell starting with = + - @ (or a tab or carriage return before one) as a formula:
// =HYPERLINK(…) in a customer's comment would become a link the analyst clicks.
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'+[=+\-@\t\r]/;

/**
 * A text cell a spreadsheet would run gets a leading apostrophe. Cells already starting with
 * apostrophes before such a character get one more, so that `fromSpreadsheetSafe` restores every
 * text exactly and an export reads back unchanged. Numbers are never text here: -2 stays -2.
 */
export function spreadsheetSafe(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value;
}

/** The text before `spreadsheetSafe`: what `advocate import` reads from a cell. */
export function fromSpreadsheetSafe(value: string): string {
  return ESCAPED.test(value) ? value.slice(1) : value;
}

// csv-stringify casts by type, so only strings are escaped; numbers and booleans keep their own cast.
const OPTIONS: Options = { header: true, cast: { string: spreadsheetSafe } };

/** A streaming CSV writer of objects with these columns, every text cell made spreadsheet-safe. */
export function csvWriter(columns: readonly string[]) {
  return stringify({ ...OPTIONS, columns: [...columns] });
}

/** A whole CSV document of rows (columns from the first row), every text cell made spreadsheet-safe. */
export function csvText(rows: Array<Record<string, unknown>>): string {
  return stringifySync(rows, { ...OPTIONS, columns: rows.length ? Object.keys(rows[0]) : ['empty'] });
}
