import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CHROMIUM, NO_BROWSER } from './helpers/browser.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 4 * 60_000;

// The time to a drawn chart needs Chromium: without one (locally; CI installs it) the dashboard
// benchmark says so and measures the rest, as the browser tests skip.
const CHART_METRICS = ['dashboard overview chart drawn, first visit (empty cache)', 'dashboard overview chart drawn, first visit after server start'];
const EXPECTED_METRICS = [
  'dashboard first page JS gzipped',
  ...(NO_BROWSER ? [] : CHART_METRICS),
  'ingest events/s',
  'ingest requests/s',
  'ingest latency p50',
  'ingest latency p99',
  'ingest failed requests',
  'ingest acknowledged events stored',
  'ingest projection catch-up',
  'ingest end-to-end events/s (accepted → on profile)',
  'end-to-end / accepted',
  'raw insert events/s, rows as projection writes them (1,000-row tx)',
  'raw insert events/s, whole rows with payload (1,000-row tx)',
  'end-to-end / raw insert of projected rows',
  'raw insert of accepted batches events/s (1 batch per tx)',
  'PostgreSQL: ingest events/s',
  'PostgreSQL: ingest end-to-end events/s (accepted → on profile)',
  'PostgreSQL: raw insert events/s, rows as projection writes them (1,000-row tx)',
  'lookup profiles seeded',
  'lookup seed time',
  'lookup latency p50',
  'lookup latency p99',
  'lookup requests/s',
  'lookup failed requests',
  'insight overview p99',
  'insight weekly trend p99',
  'insight breakdown by stage p99',
  'insight breakdown by stage, VIP segment p99',
  'insight figures differing from DuckDB',
  'insight fresh: ack → in figures p99',
];

function runQuick(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // Its own process group, so a timeout takes down the runner and its servers together.
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      fail(new Error(`bench --quick did not finish within ${TIMEOUT_MS / 1000} s\n${stderr}`));
    }, TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

// Speed targets are not asserted: timing belongs to the benchmark report, not to a unit test.
test('bench --quick runs every benchmark, prints the table and writes latest.json', { timeout: TIMEOUT_MS + 10_000 }, async () => {
  const started = Date.now();
  const { code, stdout, stderr } = await runQuick();
  assert.equal(code, 0, `exit code ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);

  assert.match(stdout, /^machine: \d+ cpus .*node v\d+.*SQLite \d/m);
  assert.match(stdout, /^\| metric +\| +value \| unit +\| target +\| ok +\|$/m);
  for (const metric of EXPECTED_METRICS) assert.ok(stdout.includes(`| ${metric} `), `table has no row "${metric}"\n${stdout}`);
  if (NO_BROWSER) assert.ok(stdout.includes(`no Chromium at ${CHROMIUM}`) || stderr.includes(`no Chromium at ${CHROMIUM}`), 'the missing browser is said');

  const latest = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'latest.json'), 'utf8'));
  assert.ok(Date.parse(latest.startedAt) >= started - 1000, 'latest.json is left over from an earlier run');
  assert.equal(latest.quick, true);
  assert.equal(typeof latest.machine.cpus, 'number');
  const names = latest.benchmarks.map((b: { name: string }) => b.name);
  for (const name of ['ingest', 'ingest-pg', 'lookup', 'insight', 'dashboard']) assert.ok(names.includes(name), `benchmark ${name} did not run (ran ${names.join(', ')})`);
  for (const b of latest.benchmarks) assert.equal(b.error, undefined, `${b.name} crashed: ${b.error}`);
  const byMetric = new Map<string, { value: unknown; unit: unknown }>(latest.rows.map((r: { metric: string }) => [r.metric, r]));
  for (const metric of EXPECTED_METRICS) {
    const row = byMetric.get(metric);
    assert.ok(row, `latest.json has no row "${metric}"`);
    assert.equal(typeof row.value, 'number', `${metric}: value ${row.value}`);
    assert.ok(Number.isFinite(row.value as number), `${metric}: value ${row.value}`);
    assert.equal(typeof row.unit, 'string');
  }
  // Correctness, not speed: every acknowledged event was found in the database.
  for (const metric of ['ingest acknowledged events stored', 'PostgreSQL: ingest acknowledged events stored']) {
    const stored = latest.rows.find((r: { metric: string }) => r.metric === metric);
    assert.equal(stored.ok, true, `${metric}: ${stored.value} stored, expected ${stored.target}`);
  }
  // And every figure the insight API gave equals DuckDB's count of the same rows.
  assert.equal(byMetric.get('insight figures differing from DuckDB')!.value, 0);
});
