/**
 * GET /widget.js, the web survey widget (bundled from widget/src by widget/build.ts), and
 * GET /widget/demo, a page that embeds it for trying a survey by hand.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notModified, pickEncoding } from './encoding.ts';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'widget', 'dist', 'widget.js');

interface Bundle {
  /** mtime and size of the file it was read from: a rebuild is picked up without a restart. */
  version: string;
  js: Buffer;
  gz: Buffer;
  etag: string;
  gzEtag: string;
}

let cached: Bundle | null = null;
let building: Promise<unknown> | null = null;

async function bundle(): Promise<Bundle> {
  let st = await stat(FILE).catch(() => null);
  if (!st) {
    // Concurrent first requests share one build.
    building ??= import('../../widget/build.ts').then((m) => m.buildWidget()).finally(() => (building = null));
    await building;
    st = await stat(FILE);
  }
  const version = `${st.mtimeMs}:${st.size}`;
  if (cached?.version === version) return cached;
  const js = await readFile(FILE);
  // The precompressed file is used only if it is the gzip of this very bundle (a build may be half-way).
  let gz = await readFile(`${FILE}.gz`).catch(() => null);
  if (!gz || !sameGunzip(gz, js)) gz = gzipSync(js, { level: 9 });
  const hash = createHash('sha256').update(js).digest('base64url').slice(0, 22);
  // Two encodings are two representations: a strong ETag must tell them apart.
  cached = { version, js, gz, etag: `"${hash}"`, gzEtag: `"${hash}-gz"` };
  return cached;
}

function sameGunzip(gz: Buffer, js: Buffer): boolean {
  try {
    return gunzipSync(gz).equals(js);
  } catch {
    return false;
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function demoPage(q: { key?: string; userId?: string; language?: string }): string {
  const attrs = [
    q.key ? ` data-write-key="${escapeHtml(q.key)}"` : '',
    q.userId ? ` data-user-id="${escapeHtml(q.userId)}"` : '',
    q.language ? ` data-language="${escapeHtml(q.language)}"` : '',
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Advocate widget demo</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
code{background:#f1f3f7;padding:.1rem .3rem;border-radius:4px}button{font:inherit;margin:0 .5rem .5rem 0}</style>
<script>
  // The queueing snippet: calls made before widget.js has loaded are replayed by it.
  window.advocate = window.advocate || [];
  window.advocate.push(['page']);
</script>
<script src="/widget.js"${attrs} async></script>
</head><body>
<h1>Advocate widget demo</h1>
${q.key ? '' : '<p><strong>No write key:</strong> open this page as <code>/widget/demo?key=adv_pk_…</code> (optional <code>&amp;userId=</code>, <code>&amp;language=</code>).</p>\n'}<p>This page embeds the survey widget with one script tag. When a survey of this workspace is enabled
for the web channel, the server offers it and it opens in the corner (a bottom sheet on narrow screens).</p>
<p><button type="button" id="track" onclick="advocate.track('Demo Button Clicked')">advocate.track('Demo Button Clicked')</button><button type="button" id="show" onclick="advocate.show()">advocate.show()</button><button type="button" id="reset" onclick="advocate.reset()">advocate.reset()</button></p>
<p><label>A field to type in (the widget does not take focus from it): <input id="field"></label></p>
</body></html>
`;
}

export async function widgetAsset(app: FastifyInstance) {
  app.get('/widget.js', {
    schema: {
      tags: ['widget'],
      summary: 'The web survey widget script (embed with <script src=".../widget.js" data-write-key="adv_pk_…" async>); gzip and ETag revalidation',
    },
  }, async (request, reply) => {
    const b = await bundle();
    const gzip = pickEncoding(request.headers['accept-encoding'], { br: false, gz: true }) === 'gzip';
    const etag = gzip ? b.gzEtag : b.etag;
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*')
      .header('vary', 'Accept-Encoding')
      .header('x-content-type-options', 'nosniff')
      .header('etag', etag);
    if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? b.gz : b.js);
  });

  app.get('/widget/demo', {
    schema: {
      tags: ['widget'],
      summary: 'A demo page embedding the widget with the write key given as ?key= (for trying a web survey by hand)',
      querystring: Type.Object({
        key: Type.Optional(Type.String({ maxLength: 200, description: 'A public write key (adv_pk_…)' })),
        userId: Type.Optional(Type.String({ maxLength: 256, description: 'Set as data-user-id' })),
        language: Type.Optional(Type.String({ maxLength: 35, description: 'Set as data-language' })),
      }),
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    return demoPage(request.query as { key?: string; userId?: string; language?: string });
  });
}
