import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';

// What a client can put in a request to steer links somewhere else.
const FORGED = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

/** A request with any Host header (fetch sets Host itself), as a client or a misconfigured proxy could send. */
function raw(s: TestServer, method: string, path: string, key: string | null, headers: Record<string, string>, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
  const url = new URL(s.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, method, path,
      headers: { ...headers, ...(key ? { authorization: basic(key) } : {}), ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every absolute link the server makes, asked for with a forged Host and X-Forwarded-Host. */
async function linksWithForgedHost(s: TestServer) {
  for (const [i, email] of ['ada@example.com', 'bob@example.com'].entries()) {
    const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { email }, score: 9 - i, comment: 'ok' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const survey = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' });
  assert.equal(survey.status, 201, survey.text);
  const surveyId = survey.json.survey.id;
  await s.settle();

  const link = await raw(s, 'POST', `/api/v1/surveys/${surveyId}/links`, s.ws.secretKey, FORGED, { kind: 'open' });
  assert.equal(link.status, 201, JSON.stringify(link.json));
  const qr = await raw(s, 'GET', `/api/v1/surveys/${surveyId}/qr`, s.ws.secretKey, FORGED);
  assert.equal(qr.status, 200);
  const responses = await raw(s, 'GET', '/v1/survey_responses.json', s.ws.secretKey, FORGED);
  assert.equal(responses.status, 200, JSON.stringify(responses.json));
  const people = await raw(s, 'GET', '/v1/people.json?per_page=1', s.ws.secretKey, FORGED);
  assert.equal(people.status, 200, JSON.stringify(people.json));
  const settings = await raw(s, 'GET', `/v1/projects/${s.ws.writeKey}/settings`, null, FORGED);
  assert.equal(settings.status, 200, JSON.stringify(settings.json));
  return {
    link: link.json.url as string,
    qr: qr.headers['x-survey-url'] as string,
    permalinks: (responses.json as Array<{ permalink: string }>).map((r) => r.permalink),
    next: String(people.headers.link).match(/^<([^>]+)>; rel="next"$/)?.[1],
    segment: (({ apiHost, protocol }) => ({ apiHost, protocol }))(settings.json.integrations['Segment.io'] as { apiHost: string; protocol: string }),
  };
}

forEachBackend('headers: links are built on the configured public URL, whatever Host or X-Forwarded-Host a request carries', async (store) => {
  const s = await startServer(store, { publicUrl: 'https://nps.example.com/', trustProxy: true });
  try {
    const links = await linksWithForgedHost(s);
    assert.match(links.link, /^https:\/\/nps\.example\.com\/o\/[^/]+$/);
    assert.match(links.qr, /^https:\/\/nps\.example\.com\/o\/[^/]+$/);
    assert.equal(links.permalinks.length, 2);
    for (const p of links.permalinks) assert.match(p, /^https:\/\/nps\.example\.com\/api\/v1\/answers\/[^/]+$/);
    assert.match(links.next ?? '', /^https:\/\/nps\.example\.com\/v1\/people\.json\?per_page=1&page_info=/);
    assert.deepEqual(links.segment, { apiHost: 'nps.example.com/v1', protocol: 'https' });
  } finally {
    await s.close();
  }
});

forEachBackend('headers: without a public URL, links are on the listening address, not on a forged Host', async (store) => {
  const s = await startServer(store);
  try {
    const links = await linksWithForgedHost(s);
    const listening = s.url.replace(/^http:\/\//, '');
    assert.ok(links.link.startsWith(`${s.url}/o/`), links.link);
    assert.ok(links.qr.startsWith(`${s.url}/o/`), links.qr);
    for (const p of links.permalinks) assert.ok(p.startsWith(`${s.url}/api/v1/answers/`), p);
    assert.ok(links.next?.startsWith(`${s.url}/v1/people.json?`), links.next);
    assert.deepEqual(links.segment, { apiHost: `${listening}/v1`, protocol: 'http' });
  } finally {
    await s.close();
  }
});

forEachBackend('headers: every JSON and CSV response says nosniff and carries its request id, errors included', async (store) => {
  const s = await startServer(store);
  try {
    await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'u1' }, score: 10, properties: { journey_stage: 'new' } });
    const checks: Array<[string, string, string | null, RegExp, number]> = [
      ['GET', '/health', null, /^application\/json/, 200],
      ['GET', '/api/v1/metrics/nps', s.ws.secretKey, /^application\/json/, 200],
      ['GET', '/api/v1/metrics/breakdown?by=stage&format=csv', s.ws.secretKey, /^text\/csv/, 200],
      ['GET', '/api/v1/churn/at-risk?format=csv', s.ws.secretKey, /^text\/csv/, 200],
      ['GET', '/v1/survey_responses.json', s.ws.secretKey, /^application\/json/, 200],
      ['GET', '/api/v1/metrics/nps', null, /^application\/json/, 401],
      ['GET', '/api/v1/metrics/breakdown?by=nothing', s.ws.secretKey, /^application\/json/, 400],
      ['GET', '/api/v1/nowhere', s.ws.secretKey, /^application\/json/, 404],
      ['GET', '/', null, /^text\/html/, 200],
    ];
    const ids = new Set<string>();
    for (const [method, path, key, type, status] of checks) {
      const r = await s.call(method, path, key);
      assert.equal(r.status, status, `${path}: ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', type, path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      const id = r.headers.get('x-request-id');
      assert.match(id ?? '', /^[0-9a-f-]{36}$/, path);
      ids.add(id!);
    }
    assert.equal(ids.size, checks.length, 'a request id of its own for each request');
  } finally {
    await s.close();
  }
});
