/**
 * GET /app and /app/*: the dashboard, a single-page app built by web/build.ts into web/dist.
 * Hashed assets are cached for a year (their name changes with their content); the HTML is
 * revalidated every time, so a rebuild reaches every browser on its next visit. Every text file
 * was compressed at build time (brotli and gzip), so nothing is compressed per request.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notModified, pickEncoding } from './encoding.ts';
import { FIRST_FIGURES_ID, firstFigures, scriptJson } from './first-figures.ts';

/** Where web/build.ts puts the app. */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

// Scripts only from this origin, so a comment or trait that slipped into markup could still not
// run; inline styles stay allowed for the survey previews (the widget's and the email's own CSS).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  body: Buffer;
  br: Buffer | null;
  gz: Buffer | null;
  type: string;
  etag: string;
}

async function load(file: string): Promise<Asset | null> {
  const body = await readFile(file).catch(() => null);
  if (!body) return null;
  const [br, gz] = await Promise.all([readFile(`${file}.br`).catch(() => null), readFile(`${file}.gz`).catch(() => null)]);
  const ext = file.slice(file.lastIndexOf('.'));
  return { body, br, gz, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** An HTML page with the one instruction a person needs when the app was never built. */
const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Advocate: dashboard not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2330}code{background:#f1f3f7;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The dashboard is not built yet</h1>
<p>The server is running, but <code>web/dist</code> is missing. Build the dashboard once with</p>
<p><code>npm run build:web</code></p>
<p>(<code>npm install</code> does this too), then reload this page. The API works meanwhile: <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;

export async function webApp(app: FastifyInstance, opts: { dir?: string } = {}) {
  const dist = opts.dir ?? DIST;
  if (!existsSync(join(dist, 'index.html'))) app.log.warn(`The dashboard is not built (${dist} is missing): run \`npm run build:web\`; /app says so meanwhile`);
  // Hashed assets never change under their name: kept once read. The HTML pages are re-read
  // when their file changes, so `npm run build:web` needs no restart.
  const assets = new Map<string, Asset>();
  const pages = new Map<string, { version: string; asset: Asset }>();

  async function page(name: 'index.html' | 'preview.html'): Promise<Asset | null> {
    const file = join(dist, name);
    const st = await stat(file).catch(() => null);
    if (!st) return null;
    const version = `${st.mtimeMs}:${st.size}`;
    const hit = pages.get(name);
    if (hit?.version === version) return hit.asset;
    const asset = await load(file);
    if (asset) pages.set(name, { version, asset });
    return asset;
  }

  function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
    const encoding = pickEncoding(request.headers['accept-encoding'], { br: !!asset.br, gz: !!asset.gz });
    // Each encoding is its own representation and gets its own strong ETag.
    const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
    reply
      .header('content-type', asset.type)
      .header('cache-control', cache)
      .header('vary', 'Accept-Encoding')
      .header('x-content-type-options', 'nosniff')
      .header('etag', etag);
    if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
    if (encoding) reply.header('content-encoding', encoding);
    return reply.send(encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gz : asset.body);
  }

  function html(reply: FastifyReply) {
    return reply
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'SAMEORIGIN');
  }

  async function shell(request: FastifyRequest, reply: FastifyReply, overview = false) {
    const index = await page('index.html');
    if (!index) return html(reply).code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
    const first = overview ? await firstFigures(app, request).catch((err) => {
      request.log.warn({ err }, 'the first figures were left out of the page; it fetches them itself');
      return null;
    }) : null;
    if (!first) return send(request, html(reply), index, 'no-cache');
    // A data block, not a script: the CSP's script-src 'self' still holds. It is this person's, so never stored.
    const block = `<script type="application/json" id="${FIRST_FIGURES_ID}">${scriptJson(first)}</script>`;
    const body = Buffer.from(index.body.toString('utf8').replace('</head>', `${block}</head>`));
    html(reply).header('content-type', index.type).header('cache-control', 'no-store, private').header('vary', 'Cookie, Accept-Encoding').header('x-content-type-options', 'nosniff');
    if (pickEncoding(request.headers['accept-encoding'], { br: false, gz: true }) === 'gzip') return reply.header('content-encoding', 'gzip').send(gzipSync(body, { level: 4 }));
    return reply.send(body);
  }

  const hide = { schema: { hide: true } };
  app.get('/app', hide, (request, reply) => shell(request, reply, true));

  app.get('/app/*', hide, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (rest.startsWith('assets/')) {
      const name = rest.slice('assets/'.length);
      // Only names the build makes: no path separators, no dot-files, nothing to climb out with.
      if (!/^[\w-]+(\.[\w-]+)*\.(js|css|svg|png|woff2)$/.test(name)) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No asset ${name}` });
      let asset = assets.get(name);
      if (!asset) {
        const loaded = await load(join(dist, 'assets', name));
        if (!loaded) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No asset ${name}: the page may be older than the last build, reload it` });
        assets.set(name, (asset = loaded));
      }
      return send(request, reply, asset, 'public, max-age=31536000, immutable');
    }
    if (rest === 'preview.html') {
      const preview = await page('preview.html');
      if (!preview) return html(reply).code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
      return send(request, html(reply), preview, 'no-cache');
    }
    // Every other path under /app is a page of the app: the client-side router draws it.
    return shell(request, reply, rest === '');
  });
}
