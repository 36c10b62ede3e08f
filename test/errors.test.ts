/**
 * One error type with kinds (domain/errors.ts), mapped to HTTP in one place (http/errors.ts): each
 * kind answers with its status, reason, message, field and headers over real HTTP; the handling
 * of errors that are not ours (validation, bad JSON, too large, the database away, a bug) is kept;
 * and an error thrown in the SQLite writer's thread arrives as the same kind, so it answers as it
 * would have in the main thread.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError, ERROR_KINDS, isAppError, type ErrorKind } from '../src/domain/errors.ts';
import { errorHandler } from '../src/http/errors.ts';
import { parseMessage } from '../src/ingest/segment-spec.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend } from './helpers/backends.ts';

// Every write is refused as too far behind (0 pending > -1). Read when the writer module loads, in
// the writer's thread too: set before importing it.
process.env.ADVOCATE_LAG_MAX = '-1';
const { backpressureError } = await import('../src/store/writer.ts');
const { createWriter } = await import('../src/ingest/writer.ts');
const { ThreadWriter } = await import('../src/store/writer-thread.ts');

/** What each kind answers with: the contract the API documents (schemas.ts ErrorBody). */
const EXPECTED: Record<ErrorKind, { status: number; error: string }> = {
  invalid: { status: 400, error: 'Bad Request' },
  unauthorized: { status: 401, error: 'Unauthorized' },
  forbidden: { status: 403, error: 'Forbidden' },
  not_found: { status: 404, error: 'Not Found' },
  conflict: { status: 409, error: 'Conflict' },
  gone: { status: 410, error: 'Gone' },
  too_large: { status: 413, error: 'Payload Too Large' },
  unsupported: { status: 415, error: 'Unsupported Media Type' },
  unprocessable: { status: 422, error: 'Unprocessable Entity' },
  rate_limited: { status: 429, error: 'Too Many Requests' },
  internal: { status: 500, error: 'Internal Server Error' },
  unavailable: { status: 503, error: 'Service Unavailable' },
};

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('AppError kinds through the error handler, over HTTP', () => {
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  let url = '';
  before(async () => {
    app.setErrorHandler(errorHandler);
    app.get('/kind/:kind', async (request) => {
      const kind = (request.params as { kind: ErrorKind }).kind;
      throw new AppError(kind, `${kind}: said in words for the client`, { field: `field.of.${kind}`, headers: { 'x-kind': kind } });
    });
    app.get('/bare/:kind', async (request) => {
      throw new AppError((request.params as { kind: ErrorKind }).kind, 'no field, no headers');
    });
    app.get('/retry', async () => {
      throw backpressureError(1234);
    });
    app.post('/echo', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (request) => request.body);
    app.get('/bug', async () => {
      throw new Error('secret internals: SELECT * FROM users');
    });
    app.get('/database-away', async () => {
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    });
    url = await listen(app);
  });
  after(() => app.close());

  it('maps every kind to its status, reason and message, with the field and the headers it carries', async () => {
    assert.deepEqual([...ERROR_KINDS].sort(), Object.keys(EXPECTED).sort(), 'a kind without an expected status here');
    for (const kind of ERROR_KINDS) {
      const r = await fetch(`${url}/kind/${kind}`);
      const body = await r.json();
      assert.equal(r.status, EXPECTED[kind].status, kind);
      assert.deepEqual(body, { statusCode: EXPECTED[kind].status, error: EXPECTED[kind].error, message: `${kind}: said in words for the client`, field: `field.of.${kind}` }, kind);
      assert.equal(r.headers.get('x-kind'), kind);
      // A 503 always says when to come back; others only when the error says so.
      assert.equal(r.headers.get('retry-after'), kind === 'unavailable' ? '1' : null, kind);
    }
  });

  it('leaves out field when the error names none, and keeps the message of a 5xx kind (it is meant for the client)', async () => {
    for (const kind of ['not_found', 'internal', 'unavailable'] as const) {
      const r = await fetch(`${url}/bare/${kind}`);
      assert.deepEqual(await r.json(), { statusCode: EXPECTED[kind].status, error: EXPECTED[kind].error, message: 'no field, no headers' });
    }
  });

  it("answers the writer's back-pressure with 429 and Retry-After: 1", async () => {
    const r = await fetch(`${url}/retry`);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal((await r.json()).message, 'Ingestion is 1,234 events behind; retry in a second');
  });

  it('keeps its handling of errors that are not AppErrors', async () => {
    const missing = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { statusCode: 400, error: 'Bad Request', message: 'body.name: is required', field: 'body.name' });

    const malformed = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    assert.equal(malformed.status, 400);
    assert.match((await malformed.json()).message, /^Malformed JSON body: /);

    const large = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2000) }) });
    assert.equal(large.status, 413);
    assert.equal((await large.json()).error, 'Payload Too Large');

    const bug = await fetch(`${url}/bug`);
    assert.equal(bug.status, 500);
    assert.deepEqual(await bug.json(), { statusCode: 500, error: 'Internal Server Error', message: 'Internal error; it has been logged' });

    const away = await fetch(`${url}/database-away`);
    assert.equal(away.status, 503);
    assert.equal(away.headers.get('retry-after'), '1');
    assert.match((await away.json()).message, /database is busy or not available/);
  });
});

forEachBackend("an error of the writer (in its own thread on SQLite) arrives as the same kind and answers as the main thread's", async (store, backend) => {
  const ws = await createWorkspace(store.db, 'Errors');
  const writer = createWriter(store);
  // The point on SQLite is the thread: make sure the test really crosses it.
  if (backend === 'sqlite') assert.ok(writer instanceof ThreadWriter, 'the SQLite writer is not the thread writer');
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  app.post('/write', async () => writer.write(ws.id, [parseMessage({ type: 'track', userId: 'ada', event: 'Viewed', messageId: 'm-1' }, Date.now())]));
  try {
    const err = await writer.write(ws.id, [parseMessage({ type: 'track', userId: 'ada', event: 'Viewed', messageId: 'm-0' }, Date.now())]).then(
      () => assert.fail('the write was not refused'),
      (e: unknown) => e,
    );
    assert.ok(isAppError(err, 'rate_limited'), `not a rate_limited AppError: ${String(err)}`);
    const inMainThread = backpressureError(0);
    assert.equal(err.message, inMainThread.message);
    assert.deepEqual(err.headers, { 'retry-after': '1' });
    assert.deepEqual(err.details, { pending: 0 });
    assert.equal(err.field, undefined);

    const url = await listen(app);
    const r = await fetch(`${url}/write`, { method: 'POST' });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.deepEqual(await r.json(), { statusCode: 429, error: 'Too Many Requests', message: inMainThread.message });
    // Refused as a whole: nothing of either write was kept.
    const kept = await store.db.selectFrom('inbox').select('id').where('workspace_id', '=', ws.id).execute();
    assert.equal(kept.length, 0);
  } finally {
    await app.close();
    await writer.close();
  }
});
