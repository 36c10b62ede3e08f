/**
 * Builds the dashboard: web/ → web/dist (Vite, hashed assets), then writes a gzip (level 9) and a
 * brotli copy beside every text file so the server sends them without compressing per request.
 *
 *   npx tsx web/build.ts      build and print what the first page costs
 *
 * `npm install` runs this (postinstall) and so does `npm run build:web`; the server serves
 * web/dist (src/http/web-app.ts) and says how to build it when it is missing.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIR = dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = join(DIR, 'dist');
/** JavaScript for the first page (the shell and the overview), gzipped. */
export const FIRST_PAGE_GZIP_BUDGET = 150 * 1024;
/** The page a signed-in person lands on, as Vite's manifest names its module. */
const FIRST_PAGE_MODULE = 'src/pages/overview.tsx';

export interface WebBuild {
  dir: string;
  files: number;
  /** Gzipped bytes of every script the first page loads: the entry, its imports and the overview's chunk with its imports. */
  firstPageGzipBytes: number;
  firstPageBytes: number;
  firstPageFiles: string[];
  /** Gzipped bytes of all scripts, every page included. */
  totalGzipBytes: number;
}

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** The scripts a chunk loads before it runs: itself and its static imports, transitively. */
function closure(manifest: Manifest, key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key) || !manifest[key]) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(manifest, dep, seen);
  return seen;
}

/** What the first page costs, read from a finished build. */
export function measureFirstPage(dir = WEB_DIST): Pick<WebBuild, 'firstPageGzipBytes' | 'firstPageBytes' | 'firstPageFiles' | 'totalGzipBytes'> {
  const manifest = JSON.parse(readFileSync(join(dir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry && k.endsWith('index.html'));
  if (!entry) throw new Error('web build: the manifest has no index.html entry');
  if (!manifest[FIRST_PAGE_MODULE]) throw new Error(`web build: the manifest has no ${FIRST_PAGE_MODULE}`);
  const keys = new Set([...closure(manifest, entry), ...closure(manifest, FIRST_PAGE_MODULE)]);
  const files = [...keys].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  const gz = (f: string) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  const allJs = Object.values(manifest).map((c) => c.file).filter((f, i, a) => f.endsWith('.js') && a.indexOf(f) === i);
  return {
    firstPageFiles: files,
    firstPageBytes: files.reduce((s, f) => s + statSync(join(dir, f)).size, 0),
    firstPageGzipBytes: files.reduce((s, f) => s + gz(f), 0),
    totalGzipBytes: allJs.reduce((s, f) => s + gz(f), 0),
  };
}

/**
 * Lets the browser fetch the overview's chunks (and their styles) with the entry instead of after it
 * has run: the page most visits land on would otherwise wait one more round trip per import level.
 */
function preloadFirstPage(dir = WEB_DIST): void {
  const manifest = JSON.parse(readFileSync(join(dir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry && k.endsWith('index.html'));
  if (!entry || !manifest[FIRST_PAGE_MODULE]) return;
  const loaded = closure(manifest, entry);
  const extra = [...closure(manifest, FIRST_PAGE_MODULE)].filter((k) => !loaded.has(k));
  const scripts = extra.map((k) => `<link rel="modulepreload" crossorigin href="/app/${manifest[k].file}">`);
  const styles = [...new Set(extra.flatMap((k) => manifest[k].css ?? []))].map((f) => `<link rel="preload" as="style" crossorigin href="/app/${f}">`);
  const file = join(dir, 'index.html');
  const html = readFileSync(file, 'utf8');
  writeFileSync(file, html.replace('</head>', `${[...scripts, ...styles].join('')}</head>`));
}

export async function buildWeb(options: { quiet?: boolean } = {}): Promise<WebBuild> {
  // Imported here so that a server which never builds does not load Vite.
  const { build } = await import('vite');
  await build({ configFile: join(DIR, 'vite.config.ts'), logLevel: options.quiet ? 'silent' : 'warn' });
  preloadFirstPage();
  // The manifest stays where Vite put it: measureFirstPage() reads it, the server never serves it.
  const files = walk(WEB_DIST).filter((f) => !relative(WEB_DIST, f).startsWith('.vite'));
  for (const file of files) {
    if (!COMPRESSIBLE.test(file)) continue;
    const data = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
    writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  }
  return { dir: WEB_DIST, files: files.length, ...measureFirstPage() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWeb();
  const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;
  process.stdout.write(`${relative(process.cwd(), r.dir)}: ${r.files} files; first page ${kb(r.firstPageBytes)} of JavaScript, ${kb(r.firstPageGzipBytes)} gzipped (budget ${kb(FIRST_PAGE_GZIP_BUDGET)}); all pages ${kb(r.totalGzipBytes)} gzipped\n`);
  // A warning, not a failure: this also runs on install. test/dashboard.test.ts enforces the budget.
  if (r.firstPageGzipBytes > FIRST_PAGE_GZIP_BUDGET) process.stderr.write('warning: the first page is over its gzip budget\n');
}

export const webBuilt = () => existsSync(join(WEB_DIST, 'index.html'));
