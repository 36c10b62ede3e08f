/**
 * The server under benchmark, run as a child process by bench/lib/harness.ts:
 *
 *   node --import tsx bench/server.ts (--file <db> | --url <postgres url>) [--workspace <id>]
 *
 * Opens (and migrates) the SQLite file or PostgreSQL database, creates a workspace unless one is named, creates a write
 * key and a secret key, listens on 127.0.0.1 on a free port and prints one JSON line:
 * {"port", "workspaceId", "writeKey", "secretKey"}. SIGTERM, SIGINT or the end of stdin stop it
 * gracefully: in-flight requests are answered and every queued write is committed first (events
 * accepted but not yet projected stay pending in the file, as after any restart).
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/http/app.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { createKey, createWorkspace } from '../src/store/workspaces.ts';
import { openSqlite } from './lib/harness.ts';

const { values } = parseArgs({ options: { file: { type: 'string' }, url: { type: 'string' }, workspace: { type: 'string' } } });
if (!values.file === !values.url) {
  process.stderr.write('usage: bench/server.ts (--file <sqlite file> | --url <postgres url>) [--workspace <id>]\n');
  process.exit(2);
}

const store = values.url ? openStore({ url: values.url }) : openSqlite(values.file!);
await migrate(store);
const workspaceId = values.workspace ?? (await createWorkspace(store.db, 'Benchmark')).id;
const writeKey = await createKey(store.db, workspaceId, 'write', 'bench write');
const secretKey = await createKey(store.db, workspaceId, 'secret', 'bench secret');
const { app, services: { writer } } = await buildApp({ store });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port, workspaceId, writeKey: writeKey.key, secretKey: secretKey.key })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await app.close(); // drains and closes the writer
    await store.close();
    // An explicit exit so --cpu-prof writes its profile even if a handle is left open.
    process.exit(0);
  } catch (err) {
    process.stderr.write(`bench server: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// stdin carries commands, one a line, each answered with a JSON line on stdout:
//   settle   waits until every accepted event is projected: {"settledMs": …}
// The parent also holds stdin open as a lifeline: when it goes away, so do we.
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  input += chunk;
  for (let nl = input.indexOf('\n'); nl !== -1; nl = input.indexOf('\n')) {
    const command = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (command === 'settle') {
      const started = Date.now();
      writer.settled().then(
        () => process.stdout.write(`${JSON.stringify({ settledMs: Date.now() - started })}\n`),
        (err: unknown) => process.stdout.write(`${JSON.stringify({ error: String(err) })}\n`),
      );
    } else if (command) process.stdout.write(`${JSON.stringify({ error: `unknown command ${command}` })}\n`);
  }
});
process.stdin.on('end', stop);
