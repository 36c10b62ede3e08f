/**
 * The dashboard's modules, read as source (issue 13, item 8): no page reaches, by its imports, a
 * module that loads pages (so links never pull every page in and chunks never import each other in
 * a circle), and what the dashboard shares with the server is pure: the reply schemas it takes its
 * types from (src/api-types) and the pure code it renders with import no server-only module.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(ROOT, 'web', 'src');

interface Imports { value: string[]; types: string[]; lazy: string[] }

/** The relative imports of a module, resolved to files: values, types only, and import() calls. */
function importsOf(file: string): Imports {
  const text = readFileSync(file, 'utf8');
  const out: Imports = { value: [], types: [], lazy: [] };
  const at = (spec: string) => resolve(dirname(file), spec);
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\s+from\s+'([^']+)'/gm)) {
    if (m[3].startsWith('.')) (m[2] ? out.types : out.value).push(at(m[3]));
  }
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) out.value.push(at(m[1]));
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) out.lazy.push(at(m[1]));
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (/\.tsx?$/.test(e.name)) out.push(path);
  }
  return out;
}

const name = (file: string) => relative(ROOT, file);

test('no dashboard module reached from a page loads pages: the page table is the app\'s alone', () => {
  const pages = walk(join(WEB, 'pages'));
  assert.ok(pages.length >= 9, `pages: ${pages.map(name).join(', ')}`);
  // A module that import()s a page is a page table; none may be among what a page loads before it runs.
  const tables = walk(WEB).filter((f) => importsOf(f).lazy.some((p) => p.startsWith(join(WEB, 'pages'))));
  assert.equal(tables.length, 1, `one page table: ${tables.map(name).join(', ')}`);
  for (const page of pages) {
    const seen = new Set<string>();
    const path = new Map<string, string>([[page, name(page)]]);
    const todo = [page];
    while (todo.length) {
      const file = todo.pop()!;
      for (const dep of importsOf(file).value) {
        if (!dep.startsWith(WEB) || seen.has(dep)) continue;
        seen.add(dep);
        path.set(dep, `${path.get(file)} → ${name(dep)}`);
        assert.ok(!tables.includes(dep), `a page reaches the page table: ${path.get(dep)}`);
        todo.push(dep);
      }
    }
  }
});

test('what the dashboard reads from src/ (its reply types included) is pure: no server-only module', () => {
  const shared = new Set<string>();
  const todo = walk(WEB);
  const via = new Map<string, string>();
  while (todo.length) {
    const file = todo.pop()!;
    const { value, types } = importsOf(file);
    for (const dep of [...value, ...types]) {
      if (dep.startsWith(WEB) || shared.has(dep)) continue;
      shared.add(dep);
      via.set(dep, name(file));
      todo.push(dep);
    }
  }
  const files = [...shared];
  assert.ok(files.some((f) => f.startsWith(join(ROOT, 'src', 'api-types'))), 'the dashboard takes its reply types from src/api-types');
  for (const file of files) {
    assert.ok(existsSync(file), `${name(file)} (imported by ${via.get(file)}) exists`);
    assert.match(name(file), /^(src\/(api-types|domain|surveys)|widget\/src)\//, `${name(file)} (imported by ${via.get(file)}) is shared code`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+'([^.'][^']*)'/g)) {
      assert.ok(['@sinclair/typebox'].includes(m[1]), `${name(file)} (imported by ${via.get(file)}) imports ${m[1]}, which the dashboard must not depend on`);
    }
  }
});
