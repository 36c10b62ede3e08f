import { fmtInt, fmtInterval, fmtNps, fmtP, fmtPct, fmtSigned } from '../format.ts';
import type { Difference, NpsFigure } from '../types.ts';

const FEW_TEXT = 'few answers: the 95% interval is wider than ±10 points (about fewer than 100 answers)';

/** The low-sample badge, with its threshold said in a tooltip and to screen readers. */
export function FewAnswers({ label = 'few' }: { label?: string }) {
  return (
    <span class="badge warn" title={FEW_TEXT}>
      <span aria-hidden="true">{label}</span><span class="visually-hidden">{FEW_TEXT}</span>
    </span>
  );
}

/** The headline figure: NPS, its 95% interval, how many answers, and the change from the period before. */
export function NpsHeadline({ figure, change, previous, label = 'NPS' }: { figure: NpsFigure; change?: Difference | null; previous?: NpsFigure | null; label?: string }) {
  return (
    <div>
      <div class="kpi-sub">{label}</div>
      <div class="kpi" data-testid="nps-value">{fmtNps(figure.nps)}</div>
      <p class="kpi-sub">
        95% interval {fmtInterval(figure.adjusted.low, figure.adjusted.high)} · {fmtInt(figure.n)} answers
        {figure.lowSample && <> · <FewAnswers label="few answers" /></>}
      </p>
      {change && previous && <ChangeLine change={change} previous={previous} />}
    </div>
  );
}

export function ChangeLine({ change, previous }: { change: Difference; previous: NpsFigure }) {
  if (change.diff == null) return <p class="small muted">No answers in the period before to compare with.</p>;
  const dir = change.diff > 0 ? 'up' : change.diff < 0 ? 'down' : '';
  return (
    <p class="small">
      <span class={change.significant ? dir : ''}>
        <span aria-hidden="true">{change.diff > 0 ? '▲' : change.diff < 0 ? '▼' : '■'} </span>
        {fmtSigned(change.diff)} points
      </span>{' '}
      vs the period before ({fmtNps(previous.nps)}, {fmtInt(previous.n)} answers):{' '}
      {change.significant ? `significant (${fmtP(change.p)})` : `not significant (${fmtP(change.p)})`}
    </p>
  );
}

export function CategoryBar({ figure }: { figure: NpsFigure }) {
  const parts = [
    { key: 'promoter', label: 'Promoters (9–10)', share: figure.promoterShare, n: figure.promoters },
    { key: 'passive', label: 'Passives (7–8)', share: figure.passiveShare, n: figure.passives },
    { key: 'detractor', label: 'Detractors (0–6)', share: figure.detractorShare, n: figure.detractors },
  ];
  return (
    <div>
      <div class="catbar" role="img" aria-label={parts.map((p) => `${p.label}: ${fmtPct(p.share)}`).join(', ')}>
        {parts.map((p) => <div key={p.key} class={p.key} style={{ width: `${(p.share ?? 0) * 100}%` }} />)}
      </div>
      <div class="legend">
        {parts.map((p) => (
          <span key={p.key}><i class={`catbar-${p.key}`} style={{ background: `var(--${p.key === 'passive' ? 'passive' : p.key})` }} />{p.label}: <strong>{fmtPct(p.share)}</strong> ({fmtInt(p.n)})</span>
        ))}
      </div>
    </div>
  );
}

const COLOR = (score: number) => (score >= 9 ? 'var(--promoter)' : score >= 7 ? '#d4a017' : 'var(--detractor)');

/** Answers per score, 0 to 10, as bars; the numbers are in the bars' labels for screen readers. */
export function Distribution({ counts }: { counts: number[] }) {
  const max = Math.max(1, ...counts);
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <figure style={{ margin: 0 }}>
      <div class="dist" role="list" aria-label="Answers per score">
        {counts.map((c, s) => (
          <div class="bar" role="listitem" key={s} aria-label={`Score ${s}: ${c} answers (${fmtPct(total ? c / total : null)})`}>
            <span class="num" aria-hidden="true">{c}</span>
            <span class="fill" style={{ height: `${(c / max) * 100}%`, background: COLOR(s) }} />
          </div>
        ))}
      </div>
      <div class="dist-axis" aria-hidden="true">{counts.map((_, s) => <span key={s}>{s}</span>)}</div>
      <figcaption class="small muted" style={{ marginTop: '.3rem' }}>Answers per score, 0 (not at all likely) to 10 (extremely likely)</figcaption>
    </figure>
  );
}

export function Mark({ mark, p }: { mark: 'higher' | 'lower' | null; p?: number | null }) {
  if (!mark) return <span class="muted small" title={p != null ? `not significant, ${fmtP(p)}` : undefined}>–</span>;
  return <span class={`badge ${mark === 'higher' ? 'promoter' : 'detractor'}`} title={p != null ? fmtP(p) : undefined}>{mark === 'higher' ? '▲ higher' : '▼ lower'}</span>;
}
