/**
 * Bundles the web survey widget: widget/src/index.ts → widget/dist/widget.js (+ .gz, level 9).
 *
 *   npx tsx widget/build.ts      build and print the sizes
 *
 * The server (src/http/widget-asset.ts) calls buildWidget() when the bundle is missing; the test
 * and the benchmark call it to hold the bundle to its size budget.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIR = dirname(fileURLToPath(import.meta.url));
export const WIDGET_FILE = join(DIR, 'dist', 'widget.js');
/** Everything a page loads for the widget, gzipped. */
export const WIDGET_GZIP_BUDGET = 6 * 1024;

export interface WidgetBuild {
  bytes: number;
  gzipBytes: number;
  file: string;
}

/** Written aside and renamed, so a server reading meanwhile gets the old file or the new one, never half. */
function writeAtomic(file: string, data: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function buildWidget(): Promise<WidgetBuild> {
  // Imported here so that a server which never builds does not load esbuild.
  const { build } = await import('esbuild');
  const { version } = JSON.parse(readFileSync(join(DIR, '..', 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    entryPoints: [join(DIR, 'src', 'index.ts')],
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2019',
    write: false,
    sourcemap: false,
    legalComments: 'none',
    define: { __VERSION__: JSON.stringify(version) },
    logLevel: 'silent',
  });
  const js = result.outputFiles[0].contents;
  const gz = gzipSync(js, { level: 9 });
  mkdirSync(dirname(WIDGET_FILE), { recursive: true });
  writeAtomic(WIDGET_FILE, js);
  writeAtomic(`${WIDGET_FILE}.gz`, gz);
  return { bytes: js.length, gzipBytes: gz.length, file: WIDGET_FILE };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWidget();
  const n = (v: number) => v.toLocaleString('en');
  process.stdout.write(`${relative(process.cwd(), r.file)}: ${n(r.bytes)} bytes, ${n(r.gzipBytes)} gzipped (budget ${n(WIDGET_GZIP_BUDGET)})\n`);
  // A warning, not a failure: this also runs on install. test/widget.test.ts enforces the budget.
  if (r.gzipBytes > WIDGET_GZIP_BUDGET) process.stderr.write('warning: the widget is over its gzip budget\n');
}
