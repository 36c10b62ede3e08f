// The SQLite write connection, in a thread of its own: accepting and projecting are SQLite work,
// so they get the second core while the main thread parses requests.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/db.ts';
import { AppError } from '../domain/errors.ts';
import { Writer } from '../store/writer.ts';
import { readSpecBatch } from './segment-spec.ts';

const store = openStore({ file: (workerData as { file: string }).file });
const writer = new Writer(store, readSpecBatch);
writer.onProjected = (workspaceIds) => parentPort!.postMessage({ op: 'projected', workspaceIds });

async function handle(m: { id: number; op: string; args: any[] }): Promise<unknown> {
  switch (m.op) {
    case 'write':
      return writer.writeSerialized(m.args[0], m.args[1], m.args[2], m.args[3]);
    case 'acceptBatch':
      return writer.acceptBatch(m.args[0], m.args[1], m.args[2]);
    case 'settled':
      return writer.settled();
    case 'drain':
      return writer.drain();
    case 'pending':
      return writer.pending(m.args[0]);
    case 'apply':
      return writer.apply(m.args[0], m.args[1]);
    case 'close':
      await writer.close();
      await store.close();
      return null;
    default:
      throw new Error(`unknown writer operation ${m.op}`);
  }
}

parentPort!.on('message', (m: { id: number; op: string; args: any[] }) => {
  handle(m).then(
    (result) => parentPort!.postMessage({ id: m.id, ok: true, result }),
    (err: Error) =>
      parentPort!.postMessage({
        id: m.id,
        ok: false,
        error: {
          name: err?.name,
          message: err?.message ?? String(err),
          stack: err?.stack,
          // An AppError says what to answer (a 4xx naming the field, 429 with how far behind): keep all of it across the thread.
          ...(err instanceof AppError ? { kind: err.kind, field: err.field, headers: err.headers, details: err.details } : {}),
        },
      }),
  );
});
parentPort!.postMessage({ op: 'ready' });
