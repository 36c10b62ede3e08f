/**
 * A process of its own for test/bus.test.ts, on the database a test opened:
 *   produce <url> <workspace> <tag> <writes>  writes that many small batches, each projected before the next
 *   consume <url>                             runs the "recorder" durable consumer until killed
 * The recorder writes every fact it is handed into bus_seen, in the transaction that moves its
 * cursor, slowly and a few facts per transaction, so that a kill lands in the middle of the log.
 */
import { sql } from 'kysely';
import { encodeFacts } from '../../src/domain/facts.ts';
import { parseMessage, readSpecBatch } from '../../src/ingest/segment-spec.ts';
import { Bus } from '../../src/store/bus.ts';
import { openStore } from '../../src/store/db.ts';
import { Writer } from '../../src/store/writer.ts';

const [role, url, workspaceId, tag, writes] = process.argv.slice(2);
const store = openStore({ url, poolSize: 3 });

if (role === 'produce') {
  const writer = new Writer(store, readSpecBatch);
  for (let i = 0; i < Number(writes); i++) {
    const now = Date.now();
    // A new person, an event of theirs, an anonymous visitor, and now and then the previous
    // write's visitor identified (a merge of two stored profiles).
    const messages = [
      { type: 'identify', userId: `${tag}-u${i}`, traits: { plan: i % 3 ? 'pro' : 'free' }, messageId: `${tag}-id-${i}` },
      { type: 'track', event: 'Viewed', userId: `${tag}-u${i}`, messageId: `${tag}-tr-${i}` },
      { type: 'track', event: 'Viewed', anonymousId: `${tag}-a${i}`, messageId: `${tag}-an-${i}` },
      ...(i % 4 === 1 ? [{ type: 'identify', userId: `${tag}-u${i - 1}`, anonymousId: `${tag}-a${i - 1}`, messageId: `${tag}-mg-${i}` }] : []),
    ];
    await writer.write(workspaceId, messages.map((m) => parseMessage(m, now)));
  }
  await writer.close();
  await store.close();
  process.stdout.write('produced\n');
} else if (role === 'consume') {
  const bus = new Bus(store, { pollMs: 50 });
  bus.consume({
    name: 'recorder',
    wants: () => true,
    budget: 5,
    async handle(tx, batch) {
      for (const f of batch.facts) {
        await sql`insert into bus_seen (position, fact, pid) values (${batch.position}, ${encodeFacts([f])}, ${process.pid})`.execute(tx);
      }
      await new Promise((r) => setTimeout(r, 3));
    },
  });
  await bus.start();
  // The bus's own timer does not keep a process alive (a server's sockets do): this one waits to be killed.
  setInterval(() => {}, 60_000);
  process.stdout.write('consuming\n');
} else {
  throw new Error(`unknown role ${role}`);
}
