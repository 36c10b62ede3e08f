/**
 * Projection alone, in this thread: accepts N Segment batches into a fresh SQLite file, then times
 * projecting them (run with --cpu-prof to see where projection's time goes).
 *   node --import tsx [--cpu-prof] bench/project-profile.ts [batches]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../src/domain/ids.ts';
import { parseBatch, readSpecBatch } from '../src/ingest/segment-spec.ts';
import { migrate } from '../src/store/db.ts';
import { Writer } from '../src/store/writer.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { openSqlite } from './lib/harness.ts';
import { BatchBodies, MessageMaker, people } from './lib/spec-messages.ts';

const batches = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'advocate-project-'));
const store = openSqlite(join(dir, 'p.db'));
await migrate(store);
const ws = (await createWorkspace(store.db, 'Profile')).id;
const bodies = new BatchBodies(new MessageMaker(people(20_000)), 300);
const writer = new Writer(store, readSpecBatch);
(writer as any).closed = true; // accept only; projection is started below
let t = performance.now();
for (let n = 0; n < batches; n += 50) {
  const work = [];
  for (let b = n; b < Math.min(batches, n + 50); b++) {
    const buf = bodies.body(b);
    const text = buf.toString();
    const receivedAt = Date.now();
    const id = newId('inb', receivedAt);
    const parsed = parseBatch(JSON.parse(text), receivedAt, buf.length, id, text);
    work.push(writer.acceptBatch(ws, { id, text, receivedAt, size: 100, positions: parsed.positions, messageIds: parsed.events.map((e) => e.messageId) }, parsed.failures));
  }
  await Promise.all(work);
}
console.log(`accepted ${batches * 100} events in ${(performance.now() - t).toFixed(0)} ms`);
(writer as any).closed = false;
t = performance.now();
await writer.settled();
const ms = performance.now() - t;
console.log(`projected ${batches * 100} events in ${ms.toFixed(0)} ms: ${Math.round((batches * 100) / (ms / 1000))} events/s`);
await writer.close();
await store.close();
