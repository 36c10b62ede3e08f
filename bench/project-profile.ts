/**
 * Projection alone, in this thread: accepts N Segment batches into a fresh SQLite file (or the
 * empty PostgreSQL database PROFILE_PG_URL names), then times projecting them (run with
 * --cpu-prof to see where projection's time goes).
 *   node --import tsx [--cpu-prof] bench/project-profile.ts [batches]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../src/domain/ids.ts';
import { parseBatch, readSpecBatch } from '../src/ingest/segment-spec.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { Writer } from '../src/store/writer.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { openSqlite } from './lib/harness.ts';
import { BatchBodies, MessageMaker, people } from './lib/spec-messages.ts';

const batches = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'advocate-project-'));
const store = process.env.PROFILE_PG_URL ? openStore({ url: process.env.PROFILE_PG_URL }) : openSqlite(join(dir, 'p.db'));
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
// Wall time on a shared virtual disk is noisy: CPU time and bytes written per event say more.
const written = () => Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
const bytes0 = written();
const cpu0 = process.cpuUsage();
t = performance.now();
await writer.settled();
const ms = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
const n = batches * 100;
console.log(
  `projected ${n} events in ${ms.toFixed(0)} ms: ${Math.round(n / (ms / 1000))} events/s; ` +
    `cpu ${((cpu.user + cpu.system) / n).toFixed(1)} µs/event (user ${(cpu.user / n).toFixed(1)}); ` +
    `${((written() - bytes0) / n / 1024).toFixed(2)} KB written per event`,
);
// What the accepted log costs a reader: every "Product Viewed" (properties from the log) in time order.
if (process.env.PROFILE_READ) {
  const { forEachNamedEvent } = await import('../src/store/events.ts');
  const r0 = performance.now();
  let read = 0;
  let withProps = 0;
  await forEachNamedEvent(store.db, ws, 'Product Viewed', {}, (page) => {
    read += page.length;
    withProps += page.filter((e) => e.properties).length;
  });
  console.log(`read ${read} named events (${withProps} with properties) in ${(performance.now() - r0).toFixed(0)} ms`);
  const { timeline } = await import('../src/store/profiles.ts');
  const ids = (await store.db.selectFrom('profiles').select('id').where('workspace_id', '=', ws).limit(40).execute()).map((r) => r.id);
  const times: number[] = [];
  for (const id of ids) {
    const t1 = performance.now();
    await timeline(store.db, ws, id, 50);
    times.push(performance.now() - t1);
  }
  times.sort((a, b) => a - b);
  console.log(`timeline of 50 events: median ${times[times.length >> 1].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`);
}
await writer.close();
for (const [k, o] of (globalThis as any).__T ?? []) console.log(k.padEnd(40), (o.ms * 1000 / n).toFixed(1), 'µs/event', o.rows, 'rows', (o.ms * 1000 / o.rows).toFixed(1), 'µs/row');
await store.close();
