/**
 * The layout DEVELOPERS.md describes, read off the source: only src/store runs SQL, src/store
 * depends on src/domain and nothing else of ours, and each table has one store file that writes
 * it. A failure names the file and line (and, for tables, prints who writes what), so the fix is
 * to move the code, not to loosen the rule.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Imports of the store's own that are allowed for now, each with the change that removes it (none today). */
const STORE_IMPORT_EXCEPTIONS: Record<string, string[]> = {};

/**
 * Store files that may write tables another store file owns. Keep it short: everything else
 * writes through the owner's functions.
 */
const SHARED_WRITERS: Record<string, string> = {
  // The write path: accepted batches (inbox) and their projection onto every table an event touches.
  'src/store/writer.ts': 'write path',
  'src/store/projector.ts': 'projection',
  // An erasure must delete a person from every table at once, in one transaction.
  'src/store/erase.ts': 'erasure',
  // Migrations reshape tables and backfill them.
  'src/store/migrations.ts': 'migrations',
  // Merges and splits move a person's rows from one profile to another.
  'src/store/identity-split.ts': 'merges',
};

const DRIVERS = ['kysely', 'better-sqlite3', 'pg'];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const rel = (path: string) => relative(ROOT, path).split('\\').join('/');

/**
 * The text with comments blanked (newlines kept, so line numbers hold) and strings kept: a comment
 * that mentions selectFrom( is no violation, a table named in a string is what we look for.
 */
export function withoutComments(text: string): string {
  let out = '';
  // What we are inside: code, a string with its quote, a template, or code inside a template's ${ }.
  const stack: Array<'code' | "'" | '"' | '`' | '${'> = ['code'];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (top === 'code' || top === '${') {
      if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
        continue;
      }
      if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? text.length : end + 2;
        out += text.slice(i, stop).replace(/[^\n]/g, ' ');
        i = stop;
        continue;
      }
      if (c === "'" || c === '"' || c === '`') stack.push(c);
      else if (c === '{' && top === '${') stack.push('${');
      else if (c === '}' && top === '${') stack.pop();
      out += c;
      i++;
      continue;
    }
    if (c === '\\') {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (top === '`' && c === '$' && text[i + 1] === '{') {
      stack.push('${');
      out += '${';
      i += 2;
      continue;
    }
    if (c === top || (c === '\n' && top !== '`')) stack.pop();
    out += c;
    i++;
  }
  return out;
}

interface Found {
  file: string;
  line: number;
  what: string;
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

function* matches(text: string, re: RegExp): Generator<RegExpExecArray> {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  for (let m = g.exec(text); m; m = g.exec(text)) yield m;
}

/** Module specifiers a file imports or re-exports (static and dynamic, with a literal specifier). */
export function importsOf(text: string): Array<{ spec: string; index: number }> {
  const out: Array<{ spec: string; index: number }> = [];
  for (const m of matches(text, /\b(?:from|import)\s*\(?\s*(['"])([^'"\n]+)\1/)) out.push({ spec: m[2], index: m.index });
  return out;
}

const CALL = /\b(selectFrom|insertInto|updateTable|deleteFrom)\s*\(\s*(?:(['"])([^'"]*)\2)?|\bsql\s*`|\.transaction\s*\(/;

/** Outside src/store: database drivers imported, query builders called, tables named in those calls. */
export function sqlOutsideStore(file: string, source: string): Found[] {
  const text = withoutComments(source);
  const out: Found[] = [];
  for (const { spec, index } of importsOf(text)) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (DRIVERS.includes(pkg)) out.push({ file, line: lineAt(text, index), what: `imports '${spec}': only src/store talks to the database` });
  }
  for (const m of matches(text, CALL)) {
    const table = m[3] ? ` (table ${m[3].split(/\s/)[0]})` : '';
    out.push({ file, line: lineAt(text, m.index), what: `${m[0].trim()}: runs SQL outside src/store${table}; call a store function instead` });
  }
  return out;
}

/** In src/store: imports of our own code from outside src/store and src/domain. */
export function storeImports(file: string, source: string): Found[] {
  const text = withoutComments(source);
  const out: Found[] = [];
  const allowed = STORE_IMPORT_EXCEPTIONS[file] ?? [];
  for (const { spec, index } of importsOf(text)) {
    if (!spec.startsWith('.')) continue; // packages and node: builtins
    const target = rel(resolve(ROOT, dirname(file), spec));
    if (target.startsWith('src/store/') || target.startsWith('src/domain/') || allowed.includes(target)) continue;
    out.push({ file, line: lineAt(text, index), what: `imports ${target}: src/store may import only src/domain and src/store` });
  }
  return out;
}

/** Tables a store file writes: Kysely inserts, updates and deletes, bulk inserts, and raw SQL. */
export function tablesWritten(source: string, tables: Set<string>): Map<string, number> {
  const text = withoutComments(source);
  const out = new Map<string, number>();
  const add = (table: string, index: number) => {
    if (tables.has(table) && !out.has(table)) out.set(table, lineAt(text, index));
  };
  for (const m of matches(text, /\b(?:insertInto|updateTable|deleteFrom)\s*\(\s*(['"])([a-z_]+)/)) add(m[2], m.index);
  for (const m of matches(text, /\binsertRows\s*\([^,()]*,[^,()]*,\s*(['"])([a-z_]+)\1/)) add(m[2], m.index);
  for (const m of matches(text, /\b(?:insert\s+into|delete\s+from)\s+"?([a-z_]+)"?/i)) add(m[1], m.index);
  for (const m of matches(text, /\bupdate\s+"?([a-z_]+)"?\s+set\b/i)) add(m[1], m.index);
  return out;
}

/** The tables of the `Schema` interface in src/store/schema.ts. */
function schemaTables(): Set<string> {
  const text = readFileSync(join(ROOT, 'src/store/schema.ts'), 'utf8');
  const body = /export interface Schema \{([^}]*)\}/.exec(text);
  assert.ok(body, 'src/store/schema.ts declares `export interface Schema { … }`');
  return new Set([...body[1].matchAll(/^\s*([a-z_]+)\s*:/gm)].map((m) => m[1]));
}

const report = (found: Found[]) => found.map((f) => `  ${f.file}:${f.line}: ${f.what}`).join('\n');

const files = sourceFiles(join(ROOT, 'src')).map((path) => ({ file: rel(path), text: readFileSync(path, 'utf8') }));
const inStore = (file: string) => file.startsWith('src/store/');

describe('layout: only src/store runs SQL, and each table has one owner', () => {
  it('no file outside src/store imports a database driver, builds a query or opens a transaction', () => {
    const found = files.filter((f) => !inStore(f.file)).flatMap((f) => sqlOutsideStore(f.file, f.text));
    assert.equal(found.length, 0, `SQL outside src/store:\n${report(found)}`);
  });

  it('database differences live in src/store/dialect.ts: nobody else asks which backend it is on', () => {
    const found: Found[] = [];
    for (const f of files.filter((f) => f.file !== 'src/store/dialect.ts')) {
      withoutComments(f.text).split('\n').forEach((text, i) => {
        const m = /\bbackend\s*[!=]==|instanceof\s+(Postgres|Sqlite)Adapter/.exec(text);
        if (m) found.push({ file: f.file, line: i + 1, what: `${m[0]}: ask the dialect (store.dialect, dialectOf(db))` });
      });
    }
    assert.equal(found.length, 0, `backend tests outside the dialect:\n${report(found)}`);
  });

  it('src/store imports only src/domain and src/store', () => {
    const found = files.filter((f) => inStore(f.file)).flatMap((f) => storeImports(f.file, f.text));
    assert.equal(found.length, 0, `src/store depends on code outside src/domain:\n${report(found)}`);
  });

  it('each table is written by at most one store file (besides the write path, erasure, migrations and merges)', () => {
    const tables = schemaTables();
    const writers = new Map<string, Array<{ file: string; line: number }>>([...tables].sort().map((t) => [t, []]));
    for (const f of files.filter((f) => inStore(f.file))) {
      for (const [table, line] of tablesWritten(f.text, tables)) writers.get(table)!.push({ file: f.file, line });
    }
    const owners = (table: string) => writers.get(table)!.filter((w) => !(w.file in SHARED_WRITERS));
    const shared = [...writers.keys()].filter((t) => owners(t).length > 1);
    const map = [...writers].map(([table, list]) => `  ${table}: ${list.map((w) => `${w.file}:${w.line}${w.file in SHARED_WRITERS ? ` (${SHARED_WRITERS[w.file]})` : ''}`).join(', ') || '(nobody)'}`).join('\n');
    assert.deepEqual(shared, [], `tables written by more than one store file: ${shared.join(', ')}\ntable → writers:\n${map}`);
  });

  it('the checks find what they look for (a sample of each kind)', () => {
    const route = [
      "import { sql } from 'kysely';",
      '// db.selectFrom(\'profiles\') in a comment is fine',
      "const rows = await db.selectFrom('identities').selectAll().execute();",
      'await db.transaction().execute(async (tx) => {});',
      'const x = sql`select 1`;',
      "const url = 'http://example.com/'; // a string with slashes",
    ].join('\n');
    assert.deepEqual(sqlOutsideStore('src/http/x.ts', route).map((f) => [f.line, f.what.split(':')[0]]), [
      [1, "imports 'kysely'"], [3, "selectFrom('identities'"], [4, '.transaction('], [5, 'sql`'],
    ]);
    assert.match(sqlOutsideStore('src/http/x.ts', route)[1].what, /table identities/);
    assert.deepEqual(storeImports('src/store/x.ts', "import { a } from '../ingest/event.ts';\nimport { b } from '../domain/ids.ts';\nimport { c } from './db.ts';\nimport { sql } from 'kysely';")
      .map((f) => [f.line, f.what]), [[1, 'imports src/ingest/event.ts: src/store may import only src/domain and src/store']]);
    // The writer is handed its batch reader; it may not import the parser.
    assert.equal(storeImports('src/store/writer.ts', "import { parseBatch } from '../ingest/segment-spec.ts';").length, 1);
    const written = tablesWritten([
      "await tx.updateTable('contacts').set({}).execute();",
      "await insertRows(store, tx, 'events', rows);",
      'await sql`update jobs set status = ${s} where id = ${id}`.execute(db);',
      "await db.deleteFrom('nonsense').execute();",
    ].join('\n'), new Set(['contacts', 'events', 'jobs']));
    assert.deepEqual([...written], [['contacts', 1], ['events', 2], ['jobs', 3]]);
  });
});
