/**
 * Entry point of `npm test`.
 *
 * node:test on Node 20 has no global setup hook, so this wrapper owns the one piece of shared state
 * the suites need: a PostgreSQL server. It starts a throwaway cluster (unless DATABASE_URL points at
 * one), hands its admin URL to the test processes as ADVOCATE_TEST_PG_URL, runs the tests, and
 * always tears the cluster down again.
 *
 *   npx tsx test/run.ts                         all test/**\/*.test.ts
 *   npx tsx test/run.ts store                   files whose path contains "store"
 *   npx tsx test/run.ts 'test/ingest/**'        glob over the test files
 *   npx tsx test/run.ts --test-name-pattern=x   options starting with "-" go to `node --test`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Cluster, findPgBinaries } from './helpers/pg-cluster.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = join(ROOT, 'test');
const IS_CI = isTruthy(process.env.CI);
// Test files at once: two on a machine with two cores or more (13.6 → 11.5 min here), or
// ADVOCATE_TEST_CONCURRENCY. Each file has its own databases, ports and temp dirs, and the dashboard
// is built once before they start (below), so files never share anything that changes.
const CONCURRENCY = Math.max(1, Number(process.env.ADVOCATE_TEST_CONCURRENCY) || Math.min(2, availableParallelism()));
const color = process.stderr.isTTY && !process.env.NO_COLOR;

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function paint(code: string, text: string): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function say(message: string): void {
  process.stderr.write(`[test/run] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Test file selection

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      // "**/" must also match zero directories, as in shells with globstar.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/**
 * The files that take longest (a minute or more in a full run here), started first: files run two
 * at a time, and one of them starting last would leave a core idle while it finishes alone.
 */
const SLOW_FIRST = ['bench', 'fuzz', 'dashboard', 'live', 'demo-findings', 'csv', 'accounts', 'demo-story', 'pg-restart', 'text'];

function slowFirst(a: string, b: string): number {
  const rank = (file: string) => {
    const i = SLOW_FIRST.indexOf(file.slice(file.lastIndexOf(sep) + 1).replace(/\.test\.ts$/, ''));
    return i < 0 ? SLOW_FIRST.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Returns [options for node --test, test files], both in a stable order (the slowest files first). */
function selectTests(args: string[]): [string[], string[]] {
  const all = walk(TEST_DIR).sort(slowFirst);
  const options: string[] = [];
  const patterns: string[] = [];
  for (const arg of args) (arg.startsWith('-') ? options : patterns).push(arg);
  if (patterns.length === 0) return [options, all];

  const chosen = new Set<string>();
  for (const pattern of patterns) {
    const matched: string[] = [];
    const asPath = resolve(pattern);
    if (existsSync(asPath) && statSync(asPath).isFile()) matched.push(asPath);
    else if (existsSync(asPath) && statSync(asPath).isDirectory() && walk(asPath).length) matched.push(...walk(asPath));
    // A word that happens to name a folder without tests (`widget`) still picks test files by name.
    else if (/[*?]/.test(pattern)) {
      const re = globToRegExp(toPosix(pattern).replace(/^\.\//, ''));
      matched.push(...all.filter((file) => re.test(toPosix(relative(ROOT, file)))));
    } else {
      matched.push(...all.filter((file) => toPosix(relative(ROOT, file)).includes(toPosix(pattern))));
    }
    // A typo must not turn into a green run of zero tests.
    if (matched.length === 0) throw new UsageError(`no test file matches "${pattern}"`);
    for (const file of matched) chosen.add(file);
  }
  return [options, [...chosen].sort(slowFirst)];
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Main (the throwaway cluster itself is test/helpers/pg-cluster.ts)

let cluster: Cluster | null = null;
let child: ChildProcess | null = null;
let interrupted: NodeJS.Signals | null = null;

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = signal;
  say(`${signal} received, stopping…`);
  if (child && child.exitCode === null && child.signalCode === null) {
    // The test runner shuts down its own subprocesses; we clean up when it has exited.
    child.kill(signal);
  } else if (!cluster || cluster.started || !cluster.dataDir) {
    // Not inside a startup step: nothing to wait for.
    void bail();
  }
  // Otherwise a startup step (initdb / pg_ctl start) is running; main() notices `interrupted`
  // when it returns, because killing pg_ctl half-way can orphan a postmaster.
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => cluster?.stopSync());

async function bail(): Promise<never> {
  await cluster?.stop();
  process.exit(signalExitCode(interrupted ?? 'SIGTERM'));
}

function warnBox(lines: string[]): void {
  const bar = '!'.repeat(Math.max(...lines.map((l) => l.length)) + 4);
  const body = [bar, ...lines.map((l) => `! ${l}`), bar].join('\n');
  process.stderr.write(`\n${paint('1;33', body)}\n\n`);
}

async function preparePostgres(): Promise<string | null> {
  if (process.env.DATABASE_URL) {
    say(`PostgreSQL: using DATABASE_URL (${process.env.DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')})`);
    return process.env.DATABASE_URL;
  }
  if (process.env.ADVOCATE_TEST_PG_URL) {
    say('PostgreSQL: using the ADVOCATE_TEST_PG_URL given in the environment');
    return process.env.ADVOCATE_TEST_PG_URL;
  }

  const bin = findPgBinaries();
  let failure: string;
  if (bin) {
    const started = performance.now();
    cluster = new Cluster(bin);
    try {
      await cluster.init();
      if (interrupted) await bail();
      const initMs = performance.now() - started;
      const port = await cluster.start();
      if (interrupted) await bail();
      const totalMs = performance.now() - started;
      say(
        `PostgreSQL ${bin.version} throwaway cluster on 127.0.0.1:${port} (${cluster.dataDir}) started in ` +
          `${Math.round(totalMs)} ms (initdb ${Math.round(initMs)} ms, start ${Math.round(totalMs - initMs)} ms)`,
      );
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    } catch (err) {
      if (interrupted) await bail();
      await cluster.stop();
      cluster = null;
      failure = `could not start a PostgreSQL ${bin.version} cluster: ${(err as Error).message}`;
    }
  } else {
    failure = 'no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH';
  }

  if (IS_CI) {
    process.stderr.write(
      `\n${paint('1;31', `[test/run] FATAL: ${failure}`)}\n` +
        '[test/run] CI must run the PostgreSQL tests: install PostgreSQL (see .ci/run) or set DATABASE_URL.\n\n',
    );
    process.exit(1);
  }
  warnBox([
    'PostgreSQL not found: PostgreSQL tests will be SKIPPED',
    failure.split('\n')[0],
    'Install PostgreSQL (apt-get install postgresql) or set DATABASE_URL to an admin URL.',
  ]);
  return null;
}

async function main(): Promise<number> {
  let options: string[];
  let files: string[];
  try {
    [options, files] = selectTests(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      say(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (files.length === 0) {
    say('error: no test files found under test/');
    return 1;
  }

  const pgUrl = await preparePostgres();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Tests must reach PostgreSQL only through the per-test databases of test/helpers/backends.ts;
  // openStore() falls back to DATABASE_URL, which would point a careless test at the admin database.
  delete env.DATABASE_URL;
  delete env.ADVOCATE_TEST_PG_URL;
  delete env.ADVOCATE_TEST_PG_TEMPLATE;
  delete env.ADVOCATE_TEST_PG_THROWAWAY;
  // Servers the tests start (`advocate serve` children included) log nothing unless asked with ADVOCATE_TEST_LOG=1.
  if (!isTruthy(env.ADVOCATE_TEST_LOG)) env.LOG_LEVEL = 'silent';
  // Per run, so a template migrated by an earlier run (with older migrations) is never reused.
  const template = `advocate_tpl_${randomBytes(6).toString('hex')}`;
  if (pgUrl) {
    env.ADVOCATE_TEST_PG_URL = pgUrl;
    env.ADVOCATE_TEST_PG_TEMPLATE = template;
    if (cluster) env.ADVOCATE_TEST_PG_THROWAWAY = '1';
  }

  const argv = [
    '--import', 'tsx',
    // A test that hangs (a stalled projector, a lost reply) fails after 5 minutes instead of holding
    // the run until CI kills it. Node 20 holds each test file to this limit as a whole too, whatever
    // its tests ask for: bench.test.ts runs every benchmark (2 minutes alone here, 3 beside another
    // file on a slower CI machine), so the limit is above its own 4 minutes.
    '--test', '--test-reporter=spec', `--test-concurrency=${CONCURRENCY}`, '--test-timeout=300000',
    ...options,
    ...files.map((f) => relative(ROOT, f)),
  ];
  // One build of the dashboard for every browser test (each would otherwise rebuild web/dist, and
  // files running side by side would swap its assets under each other's pages).
  if (files.some((f) => readFileSync(f, 'utf8').includes('./helpers/browser.ts'))) {
    const started = Date.now();
    const { buildWeb } = await import('../web/build.ts');
    await buildWeb({ quiet: true });
    env.ADVOCATE_TEST_WEB_BUILT = '1';
    say(`dashboard built for the browser tests in ${Date.now() - started} ms`);
  }
  const code = await new Promise<number>((done) => {
    child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', (err) => {
      say(`could not start the test runner: ${err.message}`);
      done(1);
    });
    child.on('exit', (exitCode, signal) => done(exitCode ?? signalExitCode(signal ?? 'SIGTERM')));
  });
  // Our own cluster is deleted wholesale; on a server given by the user, tidy up after ourselves.
  if (pgUrl && !cluster) await dropTemplate(pgUrl, template);
  // Repeated because the first warning has scrolled away behind the test output by now.
  if (!pgUrl) warnBox(['PostgreSQL not found: PostgreSQL tests were SKIPPED']);
  return code;
}

async function dropTemplate(adminUrl: string, template: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${template}"`);
  } catch (err) {
    say(`warning: could not drop template database ${template}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

main()
  .then(async (code) => {
    await cluster?.stop();
    process.exit(interrupted ? signalExitCode(interrupted) : code);
  })
  .catch(async (err: unknown) => {
    say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cluster?.stop().catch(() => {});
    process.exit(1);
  });
