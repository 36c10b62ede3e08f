import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../../src/store/db.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

export interface Row {
  metric: string;
  value: number;
  unit: string;
  /** Human-readable, e.g. "≥ 50,000"; `ok` says whether it was met. */
  target?: string;
  ok?: boolean;
  /** A correctness check rather than a speed target: missing it fails the run. */
  check?: boolean;
}

export interface BenchOptions {
  quick: boolean;
  /** A fresh directory for this benchmark's database files, removed afterwards. */
  dir: string;
  /** Set by --cpu-prof: servers write V8 CPU profiles here. */
  cpuProfDir: string | null;
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  run(opts: BenchOptions): Promise<Row[]>;
}

/**
 * SQLite at `file` whatever DATABASE_URL says: an explicit non-PostgreSQL url wins over the
 * environment, and these numbers are about SQLite.
 */
export function openSqlite(file: string): Store {
  return openStore({ url: `sqlite:${file}`, file });
}

export function backendSummary(): string {
  const require = createRequire(import.meta.url);
  const { version } = require('better-sqlite3/package.json') as { version: string };
  const db = new Database(':memory:');
  try {
    const { v } = db.prepare('select sqlite_version() as v').get() as { v: string };
    return `better-sqlite3 ${version} (SQLite ${v})`;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server under test runs in a child process so the load generator does not compete with it
// for its event loop (it still competes for the 2 cores, which is what a real host would see).

export interface ServerInfo {
  port: number;
  workspaceId: string;
  writeKey: string;
  secretKey: string;
}

export interface RunningServer extends ServerInfo {
  url: string;
  pid: number;
  /** Waits until every accepted event is projected onto profiles; resolves with the milliseconds that took. */
  settle(): Promise<number>;
  /** Graceful stop: in-flight requests finish and the writer drains before the process exits. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let guarded = false;

function killAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A crash or Ctrl-C of the runner must not leave servers holding ports and database files. */
export function guardChildren() {
  if (guarded) return;
  guarded = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** `file`: the SQLite file, or a postgres:// URL for a server on PostgreSQL. */
export async function startServer(file: string, options: { workspaceId?: string; cpuProfDir?: string | null } = {}): Promise<RunningServer> {
  guardChildren();
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'server.ts'), ...(/^postgres(ql)?:\/\//.test(file) ? ['--url', file] : ['--file', file])];
  if (options.workspaceId) args.push('--workspace', options.workspaceId);
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const env = { ...process.env };
  delete env.DATABASE_URL;
  // stdin stays open as a lifeline: the server exits when it closes, even if we are SIGKILLed.
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));

  // The server speaks JSON lines on stdout: first its ServerInfo, then one answer per command.
  const waiting: Array<(reply: Record<string, unknown>) => void> = [];
  let ready: ((info: ServerInfo) => void) | null = null;
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      if (ready) {
        ready(message as unknown as ServerInfo);
        ready = null;
      } else waiting.shift()?.(message);
    }
  });

  const info = await new Promise<ServerInfo>((resolveInfo, reject) => {
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`bench server exited before it was ready (code ${code}, signal ${signal})`));
    const timer = setTimeout(() => fail(new Error('bench server did not report its port within 60 s')), 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    ready = (info) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolveInfo(info);
    };
    child.once('exit', onExit);
  });

  const command = (line: string) =>
    new Promise<Record<string, unknown>>((resolveReply, reject) => {
      const onExit = () => reject(new Error(`bench server exited while answering "${line}"`));
      child.once('exit', onExit);
      waiting.push((reply) => {
        child.off('exit', onExit);
        if (typeof reply.error === 'string') reject(new Error(`bench server: ${reply.error}`));
        else resolveReply(reply);
      });
      child.stdin!.write(`${line}\n`);
    });

  return {
    ...info,
    url: `http://127.0.0.1:${info.port}`,
    pid: child.pid!,
    async settle() {
      return (await command('settle')).settledMs as number;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`bench server died during the run (code ${child.exitCode}, signal ${child.signalCode})`);
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited(child);
      clearTimeout(timer);
      if (child.exitCode !== 0) throw new Error(`bench server did not stop cleanly (code ${child.exitCode}, signal ${child.signalCode})`);
    },
  };
}

/** Runs `fn` with a server and stops the server whatever happens. */
export async function withServer<T>(file: string, options: Parameters<typeof startServer>[1], fn: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer(file, options);
  let result: T;
  try {
    result = await fn(server);
  } catch (err) {
    await server.stop().catch(() => {});
    throw err;
  }
  await server.stop();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Load generation

export type LoadOptions = autocannon.Options;

export function load(options: LoadOptions): Promise<autocannon.Result> {
  return new Promise((resolveResult, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolveResult(result)));
  });
}

/** Failed requests of any kind: non-2xx answers, connection errors and timeouts. */
export function failures(r: autocannon.Result): number {
  return r.non2xx + r.errors;
}

/**
 * Runs `step` again and again for `seconds`: how raw inserts find their rate. `step` answers how
 * many events it wrote.
 */
export async function forSeconds(seconds: number, step: () => number | Promise<number>, upTo = Infinity): Promise<{ events: number; seconds: number }> {
  let events = 0;
  const started = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  while (events < upTo && process.hrtime.bigint() - started < limit) {
    // A synchronous step is not awaited: a microtask per step would count against fast inserts.
    const n = step();
    events += typeof n === 'number' ? n : await n;
  }
  return { events, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export function basicAuth(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
