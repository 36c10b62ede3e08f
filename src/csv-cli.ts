import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { isAppError } from './domain/errors.ts';
import { DATE_FORMATS, IMPORT_KINDS, importCsv, type DateFormat, type ImportKind, type ImportReport } from './ingest/csv-import.ts';
import { progress } from './progress.ts';
import type { Store } from './store/db.ts';
import { EXPORT_KINDS, exportCsv, type ExportKind } from './store/export.ts';

const IMPORT_USAGE = 'usage: advocate import <people|events|answers> <file.csv> [--workspace W] [--map col=field,...] [--date-format iso|dmy|mdy] [--delighted]';
const EXPORT_USAGE = 'usage: advocate export <people|events|answers> [--workspace W] [--out file.csv]';

/** A mistake in the command line or the file's layout: the message says what to change, a stack trace would not help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
    this.stack = `${this.name}: ${message}`;
  }
}

function commandLine<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // cli.ts already reports unknown options as usage errors; only the usage line is missing.
    if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      (err as Error).message += `\n${usage}`;
      throw err;
    }
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}

/** `--map "A=score,B=comment" --map C=stage`; a column name may contain "=", a field name cannot. */
export function parseMap(specs: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const spec of specs) {
    for (const part of spec.split(',')) {
      if (!part.trim()) continue;
      const eq = part.lastIndexOf('=');
      if (eq <= 0) throw new UsageError(`--map: "${part}" is not column=field`);
      const column = part.slice(0, eq).trim();
      if (column in map) throw new UsageError(`--map: column "${column}" is mapped twice`);
      map[column] = part.slice(eq + 1).trim();
    }
  }
  return map;
}

const n = (x: number) => x.toLocaleString('en');

/** How the file's columns are read, said before the rows so a wrong guess can be stopped early. */
export function formatColumns(kind: ImportKind, c: ImportReport['columns']): string {
  const fields = c.fields.map((f) => `${f.field} ← "${f.column}"${f.guessed ? ' (guessed from its name)' : ''}`);
  const lines = [`Columns: ${fields.join(', ') || 'none of the known fields'}`];
  if (c.kept.length) lines.push(`  kept as ${kind === 'people' ? 'traits' : 'properties'}: ${c.kept.map((k) => `"${k}"`).join(', ')}`);
  if (kind === 'answers' && !c.fields.some((f) => f.field === 'comment')) {
    lines.push('  no comment column: the answers are stored without comments (name one "comment" or map it with --map COLUMN=comment)');
  }
  if (kind === 'answers' && !c.fields.some((f) => f.field === 'timestamp')) {
    lines.push('  no date column: each answer is dated when it is imported (name one "timestamp" or map it with --map COLUMN=timestamp)');
  }
  if (c.fields.some((f) => f.guessed)) lines.push('  (a guess is overridden with --map COLUMN=FIELD, or --map COLUMN=- to drop the column)');
  return lines.join('\n');
}

export function formatReport(kind: ImportKind, file: string, r: ImportReport): string {
  const rate = r.seconds > 0 ? Math.round(r.rows / r.seconds) : r.rows;
  const lines = [
    `Imported ${kind} from ${file}: ${n(r.rows)} rows in ${r.seconds.toFixed(1)} s (${n(rate)} rows/s)`,
    `  stored:     ${n(r.stored)}`,
    `  duplicates: ${n(r.duplicates)}`,
    `  skipped:    ${n(r.skippedCount)}`,
  ];
  if (r.skippedCount) {
    const shown = r.skipped.slice(0, 10);
    lines.push(`Skipped rows${r.skippedCount > shown.length ? ` (first ${shown.length} of ${n(r.skippedCount)})` : ''}:`);
    for (const s of shown) lines.push(`  line ${s.line}: ${s.reason}`);
  }
  return lines.join('\n');
}

async function importCommand(argv: string[], store: Store, resolveWorkspace: (name?: string) => Promise<string>) {
  const { values, positionals } = commandLine(IMPORT_USAGE, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        workspace: { type: 'string' },
        map: { type: 'string', multiple: true },
        'date-format': { type: 'string' },
        delighted: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
    }),
  );
  const [kind, file, ...extra] = positionals;
  if (!kind) throw new UsageError(`what to import is missing\n${IMPORT_USAGE}`);
  if (!IMPORT_KINDS.includes(kind as ImportKind)) throw new UsageError(`unknown kind "${kind}": use ${IMPORT_KINDS.join(', ')}\n${IMPORT_USAGE}`);
  if (!file) throw new UsageError(`the CSV file is missing\n${IMPORT_USAGE}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"\n${IMPORT_USAGE}`);
  const dateFormat = (values['date-format'] ?? 'iso') as DateFormat;
  if (!DATE_FORMATS.includes(dateFormat)) throw new UsageError(`--date-format must be one of ${DATE_FORMATS.join(', ')} (got "${values['date-format']}")`);
  if (values.delighted && kind !== 'answers') throw new UsageError('--delighted reads survey responses: use it with `advocate import answers`');
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`${file} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const map = parseMap(values.map ?? []);
  const workspaceId = await resolveWorkspace(values.workspace);
  if (!values.quiet) process.stderr.write(`Reading ${file} (${(size / 1024 / 1024).toFixed(1)} MB) into workspace ${workspaceId}…\n`);
  try {
    const report = await importCsv(store, workspaceId, kind as ImportKind, createReadStream(file), {
      map,
      dateFormat,
      delighted: values.delighted,
      quiet: values.quiet,
      onColumns: (columns) => {
        if (!values.quiet) process.stderr.write(`${formatColumns(kind as ImportKind, columns)}\n`);
      },
    });
    console.log(formatReport(kind as ImportKind, file, report));
  } catch (err) {
    if (isAppError(err, 'invalid')) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

async function exportCommand(argv: string[], store: Store, resolveWorkspace: (name?: string) => Promise<string>) {
  const { values, positionals } = commandLine(EXPORT_USAGE, () =>
    parseArgs({ args: argv, allowPositionals: true, options: { workspace: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' } } }),
  );
  const [kind, ...extra] = positionals;
  if (!kind) throw new UsageError(`what to export is missing\n${EXPORT_USAGE}`);
  if (!EXPORT_KINDS.includes(kind as ExportKind)) throw new UsageError(`unknown kind "${kind}": use ${EXPORT_KINDS.join(', ')}\n${EXPORT_USAGE}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"\n${EXPORT_USAGE}`);
  const workspaceId = await resolveWorkspace(values.workspace);
  const toFile = values.out !== undefined && values.out !== '-';
  const output = toFile ? createWriteStream(values.out!) : process.stdout;
  if (toFile) {
    try {
      await once(output, 'open');
    } catch (err) {
      throw new UsageError(`cannot write ${values.out}: ${(err as Error).message}`);
    }
  } else {
    // `advocate export answers | head` closes the pipe early; that is the reader's choice, not an error.
    output.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
  }
  const { rows, seconds } = await exportCsv(store, workspaceId, kind as ExportKind, output, { end: toFile, progress: progress(`Exporting ${kind}`, null, values.quiet) });
  // stdout may be the CSV itself, so the summary goes to stderr.
  process.stderr.write(`Exported ${n(rows)} ${kind} ${toFile ? `to ${values.out} ` : ''}in ${seconds.toFixed(1)} s\n`);
}

/** `advocate import …` and `advocate export …`; errors a user can fix are thrown as UsageError. */
export async function runCsvCommand(command: 'import' | 'export', args: string[], store: Store, resolveWorkspace: (name?: string) => Promise<string>): Promise<void> {
  if (command === 'import') return importCommand(args, store, resolveWorkspace);
  return exportCommand(args, store, resolveWorkspace);
}
