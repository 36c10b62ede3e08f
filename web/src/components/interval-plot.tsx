import { useEffect, useRef, useState } from 'preact/hooks';
import { fmtNps } from '../format.ts';

/**
 * NPS as the plot and the table beside it print it: one rounding, so the dashed line's "+22" and
 * the table's "All" row can never disagree ("+21.6" against "+22").
 */
export const fmtRowNps = (v: number | null | undefined) => fmtNps(v, 0);


export interface IntervalRow {
  label: string;
  value: number | null;
  low: number | null;
  high: number | null;
  mark?: 'higher' | 'lower' | null;
  muted?: boolean;
}

/**
 * A dot with its 95% interval per row, against a reference line (the overall figure): what a
 * breakdown table says, at a glance. Drawn as SVG with a text alternative per row.
 */
export function IntervalPlot({ rows, reference, referenceLabel = 'All answers', min = -100, max = 100, title }: {
  rows: IntervalRow[]; reference?: number | null; referenceLabel?: string; min?: number; max?: number; title: string;
}) {
  // Drawn at the width it is shown at, so its text stays readable on a phone instead of shrinking with it.
  const box = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setWidth(Math.max(260, Math.min(760, Math.round(el.clientWidth)))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const rowH = 26;
  const labelW = Math.min(150, Math.round(width * 0.36));
  const plotW = width - labelW - 16;
  const top = 22;
  const height = top + rows.length * rowH + 8;
  // Zoom to the data so narrow differences stay visible, but keep a round, readable scale.
  const lows = rows.map((r) => r.low).filter((v): v is number => v != null);
  const highs = rows.map((r) => r.high).filter((v): v is number => v != null);
  const lo = Math.max(min, Math.floor((Math.min(reference ?? 0, ...lows) - 5) / 10) * 10);
  const hi = Math.min(max, Math.ceil((Math.max(reference ?? 0, ...highs) + 5) / 10) * 10);
  const x = (v: number) => labelW + ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo || 1)) * plotW;
  const ticks: number[] = [];
  const step = hi - lo > 100 ? 50 : hi - lo > 40 ? 20 : 10;
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  const color = (r: IntervalRow) => (r.mark === 'higher' ? 'var(--promoter)' : r.mark === 'lower' ? 'var(--detractor)' : r.muted ? '#9aa1ae' : 'var(--accent)');
  const chars = Math.floor(labelW / 7);
  const clip = (s: string) => (s.length > chars ? `${s.slice(0, chars - 1)}…` : s);

  return (
    <figure style={{ margin: 0 }} ref={box}>
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`${title}: ${rows.map((r) => `${r.label} ${fmtRowNps(r.value)} (${fmtRowNps(r.low)} to ${fmtRowNps(r.high)})`).join('; ')}`} style={{ fontSize: '12px', display: 'block', maxWidth: '100%' }}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={top - 4} y2={height - 6} stroke="#e3e6ec" />
            <text x={x(t)} y={12} text-anchor="middle" fill="#5a6272">{fmtRowNps(t)}</text>
          </g>
        ))}
        {reference != null && (
          <line x1={x(reference)} x2={x(reference)} y1={top - 4} y2={height - 6} stroke="#1d2330" stroke-dasharray="4 3">
            <title>{`${referenceLabel}: ${fmtRowNps(reference)}`}</title>
          </line>
        )}
        {rows.map((r, i) => {
          const y = top + i * rowH + rowH / 2;
          return (
            <g key={i}>
              <text x={labelW - 8} y={y + 4} text-anchor="end" fill="#1d2330">{clip(r.label)}</text>
              {r.low != null && r.high != null && <line x1={x(r.low)} x2={x(r.high)} y1={y} y2={y} stroke={color(r)} stroke-width="3" stroke-linecap="round" opacity="0.55" />}
              {r.value != null && <circle cx={x(r.value)} cy={y} r="5" fill={color(r)}><title>{`${r.label}: ${fmtRowNps(r.value)} (${fmtRowNps(r.low)} to ${fmtRowNps(r.high)})`}</title></circle>}
            </g>
          );
        })}
      </svg>
      {reference != null && <figcaption class="small muted">Dots: NPS; bars: 95% interval; dashed line: {referenceLabel} ({fmtRowNps(reference)}). Green and red rows differ significantly from the rest.</figcaption>}
    </figure>
  );
}
