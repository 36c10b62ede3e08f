/**
 * The ingest benchmark on PostgreSQL: the same load, catch-up, freshness probe and stored check as
 * bench/ingest.ts, against a server whose DATABASE_URL is a PostgreSQL database, next to raw
 * inserts into the same schema over one connection. Uses DATABASE_URL when set (a database the
 * benchmark may fill and empty), else a throwaway cluster with durable settings (fsync and
 * synchronous commit on, data on disk), removed afterwards.
 */
import { chmodSync } from 'node:fs';
import pg from 'pg';
import { newId } from '../src/domain/ids.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { Cluster, findPgBinaries, withPgClient } from '../test/helpers/pg-cluster.ts';
import { RAW_MAX_SECONDS, runIngest, tally, type EventRow } from './ingest.ts';
import { fmt, forSeconds, type BenchOptions, type Row } from './lib/harness.ts';
import { BATCH_OF_MESSAGE_SQL, BATCH_SIZE, MESSAGE_ID_PREFIX, scatter, type BatchBodies } from './lib/spec-messages.ts';

export const name = 'ingest-pg';

export async function run(opts: BenchOptions): Promise<Row[]> {
  let cluster: Cluster | null = null;
  let admin = process.env.DATABASE_URL ?? null;
  if (!admin) {
    const bin = findPgBinaries();
    if (!bin) throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) and no DATABASE_URL');
    // On disk, with durability: the cluster helper's defaults are for throwaway test data.
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = opts.dir;
    // The server runs as the postgres user when we are root: it must reach its directory.
    chmodSync(opts.dir, 0o755);
    cluster = new Cluster(bin);
    try {
      await cluster.init();
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    const port = await cluster.start({ settings: ['fsync=on', 'synchronous_commit=on', 'full_page_writes=on', 'shared_buffers=256MB'] });
    admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    opts.log(`PostgreSQL ${bin.version} cluster on port ${port} in ${cluster.dataDir} (fsync on, synchronous commit)`);
  }
  const databases: string[] = [];
  const fresh = async (label: string) => {
    const db = `advocate_bench_${label}_${process.pid}`;
    await withPgClient(admin!, async (client) => {
      await client.query(`drop database if exists ${db}`);
      await client.query(`create database ${db}`);
    });
    databases.push(db);
    const url = new URL(admin!);
    url.pathname = `/${db}`;
    return url.toString();
  };
  try {
    const server = await fresh('server');
    return await runIngest(opts, {
      label: 'PostgreSQL',
      location: server,
      verify: (acked, ackedCount) => verify(server, acked, ackedCount),
      async raw(rows, bodies, upTo) {
        const seconds = opts.quick ? 0.5 : RAW_MAX_SECONDS;
        const slim = await rawInsert(await fresh('slim'), rows, 1000, seconds, upTo, true);
        opts.log(`raw insert of events rows as projection writes them, 1,000-row statements: ${fmt(slim.events)} events in ${slim.seconds.toFixed(1)} s`);
        const whole = await rawInsert(await fresh('whole'), rows, 1000, seconds, upTo, false);
        opts.log(`raw insert of whole events rows, 1,000-row statements: ${fmt(whole.events)} events in ${whole.seconds.toFixed(1)} s`);
        const accepted = await rawAccept(await fresh('accept'), bodies, opts.quick ? 0.5 : 5);
        opts.log(`raw insert of accepted batches (1 per transaction, one connection): ${fmt(accepted.events)} events in ${accepted.seconds.toFixed(1)} s`);
        return { slim: slim.events / slim.seconds, whole: whole.events / whole.seconds, accepted: accepted.events / accepted.seconds };
      },
    });
  } finally {
    if (cluster) await cluster.stop();
    else {
      await withPgClient(admin, async (client) => {
        for (const db of databases) await client.query(`drop database if exists ${db} with (force)`).catch(() => {});
      });
    }
  }
}

function verify(url: string, acked: boolean[], ackedCount: number) {
  return withPgClient(url, async (client) => {
    const rows = await client.query<{ batch: number; n: number }>(
      `select ${BATCH_OF_MESSAGE_SQL} as batch, count(*)::int as n from events where message_id like '${MESSAGE_ID_PREFIX}%' group by 1`,
    );
    const errors = await client.query<{ n: number }>('select count(*)::int as n from ingestion_errors');
    return tally(rows.rows, acked, ackedCount, errors.rows[0].n);
  });
}

/** Migrates the database at `url` and hands a client on it to `fn`. */
async function withSchema<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const store = openStore({ url });
  try {
    await migrate(store);
  } finally {
    await store.close();
  }
  return withPgClient(url, fn);
}

/** `upTo` events rows (or for `seconds`), 1,000 to a statement and a transaction (see bench/ingest.ts rawInsert). */
function rawInsert(url: string, rows: EventRow[], txRows: number, seconds: number, upTo: number, slim: boolean) {
  return withSchema(url, async (client) => {
    const workspaceId = newId('ws');
    const columns = 'id, workspace_id, profile_id, message_id, type, name, properties, traits, context, user_id, anonymous_id, timestamp, received_at, batch_id, batch_position';
    const width = 15;
    const sql = `insert into events (${columns}) values ${Array.from({ length: txRows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')}`;
    let n = 0;
    return forSeconds(seconds, async () => {
      const now = Date.now();
      const values: unknown[] = [];
      for (let k = 0; k < txRows; k++, n++) {
        const [type, name, properties, traits, context, userId, anonymousId, timestamp, profileId] = rows[n % rows.length];
        values.push(newId('evt', now), workspaceId, profileId, `raw-${scatter(n)}-${n}`, type, name);
        values.push(...(slim ? [type === 'track' ? properties : null, null, null] : [properties, traits, context]));
        values.push(userId, anonymousId, timestamp, now, ...(slim ? [`inb_raw${Math.floor(n / BATCH_SIZE)}`, n % BATCH_SIZE] : [null, null]));
      }
      await client.query(sql, values);
      return txRows;
    }, upTo);
  });
}

/** What accepting writes per batch (its text in the log, a pending mark), one transaction each. */
function rawAccept(url: string, bodies: BatchBodies, seconds: number) {
  return withSchema(url, async (client) => {
    const workspaceId = newId('ws');
    const texts = Array.from({ length: 50 }, (_, i) => bodies.body(i).toString('utf8'));
    let n = 0;
    return forSeconds(seconds, async () => {
      const now = Date.now();
      const id = newId('inb', now);
      await client.query('begin');
      await client.query(`insert into batches (id, workspace_id, received_at, format, body) values ($1, $2, $3, 'spec', $4)`, [id, workspaceId, now, texts[n++ % texts.length]]);
      await client.query(`insert into inbox (id, workspace_id, received_at, count, format, skip) values ($1, $2, $3, $4, 'spec', null)`, [id, workspaceId, now, BATCH_SIZE]);
      await client.query('commit');
      return BATCH_SIZE;
    });
  });
}
