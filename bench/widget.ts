/**
 * Web widget size: what a page downloads for the survey widget, built as served (esbuild,
 * minified) and gzipped at level 9 as GET /widget.js sends it. No server needed.
 */
import { buildWidget, WIDGET_GZIP_BUDGET } from '../widget/build.ts';
import { fmt, type BenchOptions, type Row } from './lib/harness.ts';

export const name = 'widget';

export async function run(opts: BenchOptions): Promise<Row[]> {
  const started = Date.now();
  const r = await buildWidget();
  opts.log(`built ${r.file} in ${Date.now() - started} ms: ${fmt(r.bytes)} bytes, ${fmt(r.gzipBytes)} gzipped`);
  return [
    { metric: 'widget bytes gzipped', value: r.gzipBytes, unit: 'bytes', target: `≤ ${fmt(WIDGET_GZIP_BUDGET)}`, ok: r.gzipBytes <= WIDGET_GZIP_BUDGET },
    { metric: 'widget bytes minified', value: r.bytes, unit: 'bytes' },
  ];
}
