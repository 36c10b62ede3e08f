import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../src/http/app.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { tmpDir } from './helpers/backends.ts';

test('the OpenAPI document covers every route, with a summary and the security it needs', async () => {
  const store = openStore({ file: join(tmpDir('advocate-openapi-'), 'a.db') });
  await migrate(store);
  const { app, routes } = await buildApp({ store });
  try {
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi.startsWith('3.'), true);
    const visible = routes.filter((r) => !r.hidden);
    assert.ok(visible.length >= 25, `routes: ${visible.length}`);
    for (const r of visible) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.url} is missing from /openapi.json`);
      assert.ok(op.summary, `${r.method} ${r.url} has no summary`);
      // Everything under /api needs a key and says so, but for survey-token routes, which say
      // explicitly that they need none (the signed token in the path is the credential), and
      // signing in, which is how one gets a session.
      if (path.startsWith('/api/')) {
        const tokenRoute = path.includes('{token}') || r.method === 'OPTIONS' || (r.method === 'POST' && path === '/api/v1/session');
        assert.ok(tokenRoute ? Array.isArray(op.security) : op.security?.length, `${r.method} ${r.url} does not declare its security`);
      }
    }
    assert.ok(doc.components.securitySchemes.basicAuth);
    // Routes a dashboard session may call document the cookie; key-only ones (Delighted, ingestion) do not.
    assert.ok(doc.components.securitySchemes.sessionCookie);
    assert.ok(doc.paths['/api/v1/metrics/nps'].get.security.some((s: object) => 'sessionCookie' in s));
    assert.ok(!doc.paths['/v1/people'].get.security.some((s: object) => 'sessionCookie' in s));
    assert.ok(!doc.paths['/v1/batch'].post.security.some((s: object) => 'sessionCookie' in s));
  } finally {
    await app.close();
    await store.close();
  }
});
