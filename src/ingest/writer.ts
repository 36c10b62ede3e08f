import type { Store } from '../store/db.ts';
import { ThreadWriter } from '../store/writer-thread.ts';
import { Writer, type EventWriter } from '../store/writer.ts';
import { readSpecBatch } from './segment-spec.ts';

/**
 * The writer for a store, able to read back the Segment-spec batches it accepts as text. A SQLite
 * file gets it in a worker thread (the second core does the SQLite work); PostgreSQL does that work
 * in its own server process, so its writer stays in this thread.
 */
export function createWriter(store: Store): EventWriter {
  if (store.sqlite && store.location !== ':memory:' && process.env.ADVOCATE_WRITER_THREAD !== '0') {
    return new ThreadWriter(store.location, new URL('./writer-worker.ts', import.meta.url));
  }
  return new Writer(store, readSpecBatch);
}
