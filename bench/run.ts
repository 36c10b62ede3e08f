/**
 * `npm run bench`: runs the benchmarks, prints one table and writes bench/results/latest.json
 * (plus a timestamped copy).
 *
 *   npx tsx bench/run.ts                 every benchmark
 *   npx tsx bench/run.ts --quick         short smoke run (used by test/bench.test.ts)
 *   npx tsx bench/run.ts --only ingest   some of them (comma-separated or repeated)
 *   npx tsx bench/run.ts --cpu-prof      profile the servers and print where their time went
 *
 * Speed targets are reported, never enforced; the exit code is 1 only when a benchmark crashed or
 * a correctness check (a row with `check`) failed.
 */
import { cpus, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, summarise } from './lib/cpu-profile.ts';
import { backendSummary, guardChildren, RESULTS_DIR, type Benchmark, type Row } from './lib/harness.ts';

// The registry: a benchmark is a bench/<name>.ts module exporting `name` and `run(opts)`.
const REGISTRY = ['ingest', 'ingest-pg', 'lookup', 'widget', 'insight', 'dashboard', 'text'] as const;

const USAGE = `usage: npm run bench -- [--quick] [--only ${REGISTRY.join('|')}[,…]] [--cpu-prof]`;

function parse() {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        'cpu-prof': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const unknown = only.filter((n) => !(REGISTRY as readonly string[]).includes(n));
    if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')} (have ${REGISTRY.join(', ')})`);
    return { quick: values.quick!, only, cpuProf: values['cpu-prof']! };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

interface Outcome {
  name: string;
  seconds: number;
  rows: Row[];
  error?: string;
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A Markdown table, so the output can be pasted into an issue as it is. */
function table(rows: Row[]): string {
  const header = ['metric', 'value', 'unit', 'target', 'ok'];
  const cells = rows.map((r) => [r.metric, formatValue(r.value), r.unit, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((s, i) => (i === 1 ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 1 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

async function main() {
  const args = parse();
  guardChildren();
  const selected = args.only.length ? REGISTRY.filter((n) => args.only.includes(n)) : [...REGISTRY];
  const startedAt = new Date();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    sqlite: backendSummary(),
    platform: `${process.platform} ${process.arch}`,
  };
  const summary = `machine: ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, ${machine.sqlite}, ${machine.platform}${args.quick ? ', QUICK run' : ''}`;
  process.stderr.write(`${summary}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const cpuProfRoot = args.cpuProf ? join(RESULTS_DIR, `profiles-${stamp}`) : null;

  const outcomes: Outcome[] = [];
  const keep = !!process.env.BENCH_KEEP_TMP;
  let dir = '';
  // Also on Ctrl-C, which exits from the harness's signal handler without unwinding to `finally`.
  process.on('exit', () => dir && !keep && rmSync(dir, { recursive: true, force: true }));
  for (const name of selected) {
    const log = (line: string) => process.stderr.write(`[bench ${name}] ${line}\n`);
    dir = mkdtempSync(join(tmpdir(), `advocate-bench-${name}-`));
    const cpuProfDir = cpuProfRoot ? join(cpuProfRoot, name) : null;
    const t0 = Date.now();
    try {
      const mod = (await import(`./${name}.ts`)) as Benchmark;
      log(`running${args.quick ? ' (quick)' : ''} in ${dir}`);
      const rows = await mod.run({ quick: args.quick, dir, cpuProfDir, log });
      outcomes.push({ name: mod.name, seconds: (Date.now() - t0) / 1000, rows });
    } catch (err) {
      log(`FAILED: ${(err as Error).stack ?? err}`);
      outcomes.push({ name, seconds: (Date.now() - t0) / 1000, rows: [], error: String((err as Error).message ?? err) });
    } finally {
      if (keep) log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
      dir = '';
    }
    if (cpuProfDir && existsSync(cpuProfDir)) {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the server's main thread;
      // the others are tsx's loader worker, idle once the modules are loaded.
      for (const f of readdirSync(cpuProfDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
        process.stderr.write(`${formatSummary(join(cpuProfDir, f), summarise(join(cpuProfDir, f)))}\n`);
      }
    }
  }

  const rows = outcomes.flatMap((o) => o.rows);
  process.stdout.write(`\n${summary}\n\n${table(rows)}\n`);
  const crashed = outcomes.filter((o) => o.error);
  const failedChecks = rows.filter((r) => r.check && r.ok === false);
  const missed = rows.filter((r) => !r.check && r.ok === false);
  if (crashed.length) process.stdout.write(`\ncrashed: ${crashed.map((o) => `${o.name} (${o.error})`).join('; ')}\n`);
  if (failedChecks.length) process.stdout.write(`\nFAILED checks: ${failedChecks.map((r) => r.metric).join(', ')}\n`);
  if (missed.length) process.stdout.write(`\ntargets missed: ${missed.map((r) => r.metric).join(', ')}\n`);

  const json = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    only: args.only,
    machine,
    benchmarks: outcomes,
    rows: outcomes.flatMap((o) => o.rows.map((r) => ({ benchmark: o.name, ...r }))),
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), text);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), text);
  process.stdout.write(`\nwrote bench/results/latest.json and bench/results/${stamp}.json\n`);
  process.exitCode = crashed.length || failedChecks.length ? 1 : 0;
}

await main();
