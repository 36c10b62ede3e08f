// The SQLite write connection, in a thread of its own: accepting and projecting are SQLite work,
// so they get the second core while the main thread parses requests.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './db.ts';
import { BackpressureError, Writer } from './writer.ts';

const store = openStore({ file: (workerData as { file: string }).file });
const writer = new Writer(store);
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
          pending: err instanceof BackpressureError ? err.pending : undefined,
          // An IngestError is the caller's 4xx: keep its status and field across the thread.
          statusCode: (err as { statusCode?: number })?.statusCode,
          field: (err as { field?: string })?.field,
        },
      }),
  );
});
parentPort!.postMessage({ op: 'ready' });
