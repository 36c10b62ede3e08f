import type { Store } from '../store/db.ts';
import { createKey, createWorkspace } from '../store/workspaces.ts';
import type { EventWriter } from '../store/writer.ts';
import { createWriter } from '../store/writer-thread.ts';
import { parseMessage } from '../ingest/segment.ts';
import type { IngestEvent } from '../ingest/event.ts';
import { generateDemo, type DemoOptions } from './generate.ts';
import { progress } from '../progress.ts';

export interface DemoWorkspace {
  workspaceId: string;
  name: string;
  writeKey: string;
  secretKey: string;
}

/**
 * Fills a workspace with the generated story through the same write path as live traffic, so the
 * demo exercises identity resolution, merges and answer context exactly as real data would.
 */
export async function loadDemo(store: Store, workspaceId: string, options: DemoOptions & { writer?: EventWriter; quiet?: boolean } = {}) {
  const writer = options.writer ?? createWriter(store);
  const customers = options.customers ?? 5000;
  const bar = progress(`demo data (${customers.toLocaleString('en')} customers)`, customers, options.quiet);
  let pending: IngestEvent[] = [];
  let messages = 0;
  let done = 0;
  const inFlight: Promise<unknown>[] = [];
  for (const list of generateDemo(options)) {
    for (const m of list) pending.push(parseMessage(m, Date.parse(String(m.timestamp))));
    messages += list.length;
    done++;
    if (pending.length >= 2000) {
      inFlight.push(writer.write(workspaceId, pending, [], { wait: 'accepted' }));
      pending = [];
      if (inFlight.length >= 4) await Promise.all(inFlight.splice(0));
      bar.update(done);
    }
  }
  if (pending.length) inFlight.push(writer.write(workspaceId, pending, [], { wait: 'accepted' }));
  await Promise.all(inFlight);
  // Profiles, merges and answers follow from the accepted events; the demo is ready when they are.
  await writer.settled();
  if (!options.writer) await writer.close();
  bar.done(`${messages.toLocaleString('en')} messages`);
  return { customers, messages };
}

export async function createDemoWorkspace(store: Store, options: DemoOptions & { name?: string; quiet?: boolean } = {}): Promise<DemoWorkspace & { messages: number }> {
  const name = options.name ?? 'Demo';
  const ws = await createWorkspace(store.db, name);
  const write = await createKey(store.db, ws.id, 'write', 'Demo write key (public)');
  const secret = await createKey(store.db, ws.id, 'secret', 'Demo secret key');
  const { messages } = await loadDemo(store, ws.id, options);
  return { workspaceId: ws.id, name, writeKey: write.key, secretKey: secret.key, messages };
}
