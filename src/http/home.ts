import type { FastifyInstance } from 'fastify';

// The root URL tells a person what is running and where to go next: the dashboard first.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Advocate</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
code{background:#f1f3f7;padding:.1rem .3rem;border-radius:4px}h1{margin-bottom:.2rem}</style></head>
<body><h1>Advocate</h1><p>NPS program built into a customer data platform. The server is running.</p>
<p><a href="/app"><strong>Open the dashboard</strong></a> (sign in with the demo login printed when the server started).</p>
<ul>
<li>API reference: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3)</li>
<li>Send events with any Segment or RudderStack library pointed at this host (<code>/v1/batch</code>) with a public write key.</li>
<li>Read NPS: <code>GET /api/v1/metrics/nps</code> with a secret key. The demo keys were printed when the server started.</li>
</ul></body></html>`;

export async function homePage(app: FastifyInstance) {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
}
