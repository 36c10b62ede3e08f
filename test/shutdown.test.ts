import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { SHUTDOWN_GRACE_MS } from '../src/http/shutdown.ts';
import { backends } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

function closed(socket: Socket): Promise<number> {
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now())));
}

// The HTTP server's own behaviour, the same on either backend.
it('shutdown: a request being answered gets its answer, and connections that sent nothing or went idle do not hold the close', async () => {
  const store = await backends()[0].open();
  const s = await startServer(store);
  const { hostname, port } = new URL(s.url);
  let agent: Agent | null = null;
  try {
    // A connection that never sends a request, as a browser's preconnect: server.close() alone waits for it for minutes.
    const silent = connect(Number(port), hostname);
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    const silentClosed = closed(silent);
    // A keep-alive connection left idle after one request.
    agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    const idleSocket = await new Promise<Socket>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, path: '/health', agent: agent! }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket as Socket));
      });
      req.on('error', reject);
      req.end();
    });
    const idleClosed = closed(idleSocket);

    // About two seconds of reading, in flight when the close begins.
    const long = 'The delivery was slow but the staff were lovely and the price was fair. '.repeat(140).slice(0, 10_000);
    let answeredAt = 0;
    const inFlight = s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts: Array(100).fill(long) }).then((r) => ((answeredAt = performance.now()), r));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(answeredAt, 0, 'the request is still being answered when the close begins');

    await s.close();
    const closedAt = performance.now();
    const r = await inFlight;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.items.length, 100);
    assert.ok(answeredAt > 0 && answeredAt <= closedAt, 'the close waited for the answer');
    // Not cut at the end of the grace period: let go as soon as nothing was in flight.
    assert.ok(closedAt - answeredAt < SHUTDOWN_GRACE_MS / 2, `the close ended ${Math.round(closedAt - answeredAt)} ms after the last answer`);
    assert.ok((await silentClosed) <= closedAt + 100, 'the silent connection was closed by the server');
    assert.ok((await idleClosed) <= closedAt + 100, 'the idle keep-alive connection was closed by the server');
  } finally {
    agent?.destroy();
    await store.close();
  }
});
