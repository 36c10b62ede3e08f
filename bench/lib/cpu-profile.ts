import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './harness.ts';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: Array<{ name: string; ms: number }>;
  areas: Array<{ name: string; ms: number }>;
}

function where(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

/** Which package or source folder a frame belongs to, so a profile can be read as "who costs what". */
function area(url: string, functionName: string): string {
  const path = where(url);
  if (!path) return functionName.startsWith('(') ? functionName : '(native)';
  if (path.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  const src = /^(src|bench)\/([^/]+)/.exec(path);
  return src ? `${src[1]}/${src[2]}` : path;
}

/** Self time per function and per package from a V8 .cpuprofile (as written by node --cpu-prof). */
export function summarise(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  // timeDeltas[i] is the time since the previous sample; attributing it to sample i is how
  // Chrome DevTools computes self time too.
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    const loc = where(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${loc ? ` ${loc}:${frame.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a = area(frame.url, frame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
  });
  const sorted = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000 }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions: sorted(fn, top), areas: sorted(areas, 15) };
}

export function formatSummary(file: string, s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${file}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${((s.idleMs / s.totalMs) * 100).toFixed(1)}% idle; shares below are of the busy time`,
    '  by package / folder (self time):',
    ...s.areas.map((a) => `    ${pct(a.ms)}  ${a.name}`),
    '  top functions (self time):',
    ...s.functions.map((f) => `    ${pct(f.ms)}  ${f.name}`),
  ];
  return lines.join('\n');
}
