import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtAxisDate, fmtDate, fmtInt, fmtInterval, fmtNps, formatPreferences } from '../format.ts';
import type { Annotation, TrendPoint } from '../types.ts';

export interface TrendChartProps {
  points: TrendPoint[];
  annotations: Annotation[];
  benchmark?: { nps: number; label: string } | null;
  height?: number;
  /** Set on the container and as a performance mark when the chart has drawn (the benchmark reads it). */
  markName?: string;
}

const ANNOTATION_COLOR: Record<string, string> = { campaign: '#7c3aed', release: '#0e7490', note: '#6b7280' };

/**
 * NPS over time with its 95% interval as a band, campaign and release annotations as dashed
 * verticals, and the chosen benchmark as a horizontal line. The canvas is decoration for sighted
 * readers: the same figures are in the table below it.
 */
export function TrendChart({ points, annotations, benchmark, height = 300, markName }: TrendChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current!;
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const nps = points.map((p) => (p.n ? p.nps : null));
    const low = points.map((p) => (p.n ? p.adjusted.low : null));
    const high = points.map((p) => (p.n ? p.adjusted.high : null));
    const values = [...low, ...high, benchmark?.nps ?? null].filter((v): v is number => v != null);
    const yMin = Math.max(-100, Math.floor((Math.min(0, ...values) - 5) / 10) * 10);
    const yMax = Math.min(100, Math.ceil((Math.max(0, ...values) + 5) / 10) * 10);
    const tMin = xs.length ? xs[0] : Date.now() / 1000 - 86400;
    const tMax = points.length ? Date.parse(points[points.length - 1].end) / 1000 : Date.now() / 1000;
    let marked = false;

    const drawOverlays = (u: uPlot) => {
      const ctx = u.ctx;
      const { top, height: h, left, width: w } = u.bbox;
      ctx.save();
      ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
      if (benchmark) {
        const y = u.valToPos(benchmark.nps, 'y', true);
        ctx.strokeStyle = '#b45309';
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + w, y);
        ctx.stroke();
        ctx.fillStyle = '#b45309';
        ctx.textAlign = 'right';
        ctx.fillText(`${benchmark.label} ${fmtNps(benchmark.nps)}`, left + w - 4, y - 4 * devicePixelRatio);
      }
      ctx.textAlign = 'left';
      for (const a of annotations) {
        const t = Date.parse(a.at) / 1000;
        if (t < tMin || t > tMax) continue;
        const x = u.valToPos(t, 'x', true);
        ctx.strokeStyle = ANNOTATION_COLOR[a.kind] ?? '#6b7280';
        ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.lineWidth = devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + h);
        ctx.stroke();
        ctx.save();
        ctx.translate(x + 3 * devicePixelRatio, top + 4 * devicePixelRatio);
        ctx.rotate(Math.PI / 2);
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(a.label.length > 28 ? `${a.label.slice(0, 27)}…` : a.label, 0, 0);
        ctx.restore();
      }
      ctx.restore();
      if (!marked && markName) {
        marked = true;
        el.dataset.drawn = 'true';
        performance.mark(markName);
      }
    };

    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      scales: { x: { time: true, range: [tMin, tMax] }, y: { range: [yMin, yMax] } },
      // Ticks at the workspace's midnights and labels in its locale, not the browser's.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), formatPreferences().timeZone),
      axes: [
        { stroke: '#5a6272', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dde1e8' }, values: (_u, vals) => vals.map((v) => fmtAxisDate(v * 1e3, (tMax - tMin) * 1e3)) },
        { stroke: '#5a6272', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dde1e8' }, size: 44, values: (_u, vals) => vals.map((v) => fmtNps(v)) },
      ],
      series: [
        {},
        { label: 'High', stroke: 'transparent', points: { show: false } },
        { label: 'Low', stroke: 'transparent', points: { show: false } },
        { label: 'NPS', stroke: '#4338ca', width: 2, points: { show: true, size: 5, fill: '#4338ca' } },
      ],
      bands: [{ series: [1, 2], fill: 'rgba(67, 56, 202, 0.14)' }],
      hooks: {
        draw: [drawOverlays],
        setCursor: [(u) => {
          const t = tip.current;
          const i = u.cursor.idx;
          if (!t) return;
          if (i == null || !points[i]) {
            t.hidden = true;
            return;
          }
          const p = points[i];
          t.hidden = false;
          t.textContent = `${fmtDate(p.start)}: NPS ${fmtNps(p.nps)} (${fmtInterval(p.adjusted.low, p.adjusted.high)}), ${fmtInt(p.n)} answers`;
          const left = u.valToPos(xs[i], 'x') + u.over.offsetLeft;
          t.style.left = `${Math.min(Math.max(0, left - 110), el.clientWidth - 230)}px`;
        }],
      },
    };
    const u = new uPlot(opts, [xs, high, low, nps] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [points, annotations, benchmark?.nps, benchmark?.label, height]);

  return (
    <div class="chart-outer" style={{ position: 'relative' }}>
      <div ref={box} class="chart" aria-hidden="true" data-testid="trend-chart" />
      <div ref={tip} hidden class="small" style={{ position: 'absolute', top: '0', width: '230px', background: '#1d2330', color: '#fff', padding: '.3rem .5rem', borderRadius: '6px', pointerEvents: 'none' }} />
      <div class="chart-legend">
        <span><i style={{ display: 'inline-block', width: '14px', height: '3px', background: '#4338ca', verticalAlign: 'middle' }} /> NPS</span>
        <span><i style={{ display: 'inline-block', width: '14px', height: '10px', background: 'rgba(67,56,202,.14)', verticalAlign: 'middle' }} /> 95% interval</span>
        {benchmark && <span style={{ color: '#b45309' }}>- - {benchmark.label}</span>}
        {annotations.length > 0 && <span style={{ color: ANNOTATION_COLOR.campaign }}>┆ campaign</span>}
        {annotations.some((a) => a.kind === 'release') && <span style={{ color: ANNOTATION_COLOR.release }}>┆ release</span>}
      </div>
      <details>
        <summary class="small">The figures as a table</summary>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">NPS per period</caption>
            <thead><tr><th>Period from</th><th class="num">NPS</th><th class="num">95% interval</th><th class="num">Answers</th></tr></thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.start}><td>{fmtDate(p.start)}</td><td class="num">{fmtNps(p.nps)}</td><td class="num">{fmtInterval(p.adjusted.low, p.adjusted.high)}</td><td class="num">{fmtInt(p.n)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
        {annotations.length > 0 && (
          <ul class="small">
            {annotations.map((a) => <li key={a.id}>{fmtDate(a.at)}: {a.label} ({a.kind})</li>)}
          </ul>
        )}
      </details>
    </div>
  );
}
