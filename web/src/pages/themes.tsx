import { useEffect, useRef, useState } from 'preact/hooks';
import { api, download, explain } from '../api.ts';
import { AnswerList, answerItem } from '../components/answer-list.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { SentimentModel } from '../components/sentiment-model.tsx';
import { useTitle } from '../components/shell.tsx';
import { Empty, ErrorNotice, Loading, Stale } from '../components/states.tsx';
import { ThemeManager, type Sorting } from '../components/theme-manager.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { activeFilterCount, useFilters } from '../filters.ts';
import { fmtInt, fmtInterval, fmtNps, fmtPct, fmtSigned } from '../format.ts';
import { BASE } from '../links.ts';
import { useCan } from '../session.ts';
import type { DiscoveredReply, DriversReply, TaxonomyReply, ThemeDriver } from '../types.ts';
import { forgetShared, useApi } from '../use-api.ts';

/**
 * Why they score what they score: the themes of the comments ranked by the NPS points each costs
 * or earns, with the interval that says how sure that is, and what customers say about each.
 */
export default function Themes() {
  useTitle('Themes');
  const { filters, api: q, query, set, carry } = useFilters();
  const result = useApi<DriversReply>('/api/v1/metrics/drivers', q);
  const open = query.open || null;
  const canEdit = useCan('analyst');
  // The filter bar's theme names and values are lists every page shares: forgotten, and the bar
  // drawn anew so that it reads them again.
  const [listsRead, setListsRead] = useState(0);
  const readListsAgain = () => {
    forgetShared('/api/v1/themes');
    forgetShared('/api/v1/metrics/dimensions');
    setListsRead((n) => n + 1);
  };
  const themes = useThemes(() => {
    readListsAgain();
    result.reload();
  });
  const changed = (reply: TaxonomyReply) => {
    themes.changed(reply);
    readListsAgain();
  };
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Themes</h1>
          <p>What the comments talk about, ranked by the NPS points each theme costs or earns: the NPS of all answers against the NPS without the answers that mention it.</p>
        </div>
        <button type="button" onClick={() => {
          const head = document.getElementById('h-manage');
          head?.scrollIntoView({ block: 'start' });
          head?.focus({ preventScroll: true });
        }}>{canEdit ? 'Manage themes' : 'The themes and their words'}</button>
      </div>
      <FilterBar key={listsRead} />
      {themes.sorting && themes.data && <SortingStatus sorting={themes.sorting} version={themes.data.version} onRedraw={result.reload} />}
      <Stale when={result.loading && !!result.data}>
        {result.error ? <ErrorNotice error={result.error} retry={result.reload} /> : !result.data ? <Loading what="Reading the comments" /> : result.data.total.n === 0 ? (
          <Empty title="No answers match these filters">
            <p>Widen the time range or remove a filter{activeFilterCount(filters) ? ` (${activeFilterCount(filters)} active)` : ''}.</p>
          </Empty>
        ) : result.data.themes.length === 0 ? (
          <Empty title="No themes in these comments yet">
            <p>{result.data.commented ? `${fmtInt(result.data.commented)} comments were read and none mentions a theme.` : 'None of these answers has a comment (or they are being read: comments are analysed as they arrive).'}</p>
          </Empty>
        ) : (
          <Ranking data={result.data} open={open} onOpen={(id) => set({ open: id === open ? null : id })} onDownload={() => void download('/api/v1/metrics/drivers', { ...q, format: 'csv' }, 'nps-drivers.csv')} carry={carry} />
        )}
      </Stale>
      {themes.data
        ? <ThemeManager taxonomy={themes.data} sorting={themes.sorting} onSaved={changed} />
        : <section class="panel" id="manage" aria-labelledby="h-manage"><h2 id="h-manage" tabIndex={-1}>Manage themes</h2>{themes.error ? <ErrorNotice error={themes.error} retry={themes.reload} /> : <Loading what="Reading the themes" />}</section>}
      <Discovered taxonomy={themes.data} onAdopted={changed} />
      <SentimentModel />
    </>
  );
}

/**
 * The workspace's themes, with how far the stored comments are sorted under them. After a change
 * it looks every second until they all are, then calls onSorted: the figures are read again.
 */
function useThemes(onSorted: () => void) {
  const loaded = useApi<TaxonomyReply>('/api/v1/themes', { progress: true });
  // A change's own reply is newer than the last read until the next read catches up.
  const [saved, setSaved] = useState<TaxonomyReply | undefined>(undefined);
  const data = loaded.data && (!saved || loaded.data.version >= saved.version) ? loaded.data : saved;
  const sorting: Sorting | null = data?.analysis && data.analysis.current < data.analysis.comments ? data.analysis : null;
  const [waiting, setWaiting] = useState(false);
  useEffect(() => {
    if (sorting) {
      // Sorting seen on arrival too (a change made elsewhere): the ranking is redrawn when it ends.
      if (!waiting) setWaiting(true);
      const t = setTimeout(loaded.reload, loaded.error ? 5000 : 1000);
      return () => clearTimeout(t);
    }
    if (waiting) {
      setWaiting(false);
      onSorted();
    }
    return undefined;
  }, [data, loaded.error]);
  const changed = (reply: TaxonomyReply) => {
    setSaved(reply);
    setWaiting(true);
  };
  return { data, sorting, error: data ? undefined : loaded.error, reload: loaded.reload, changed };
}

function SortingStatus({ sorting, version, onRedraw }: { sorting: Sorting; version: number; onRedraw(): void }) {
  return (
    <p class="notice small" role="status" data-sorting>
      Sorting the stored comments under version {version} of the themes: {fmtInt(sorting.current)} of {fmtInt(sorting.comments)} ({fmtPct(sorting.current / Math.max(1, sorting.comments))}).
      {' '}The ranking is redrawn when they all are.{' '}
      <button type="button" class="link" onClick={onRedraw}>Redraw now</button>
    </p>
  );
}

/**
 * What the comments talk about that the themes do not have yet, to adopt as a theme (named as the
 * workspace likes) or fold into one it has. Adopting makes a new version of the themes, like an edit.
 */
function Discovered({ taxonomy, onAdopted }: { taxonomy: TaxonomyReply | undefined; onAdopted(reply: TaxonomyReply): void }) {
  const found = useApi<DiscoveredReply>('/api/v1/themes/discovered');
  const canEdit = useCan('analyst');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [into, setInto] = useState<Record<string, string>>({});
  // What counts as new depends on the themes: a new version (adopted, or edited above) is read again.
  const version = taxonomy?.version;
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current !== undefined && version !== seen.current) found.reload();
    seen.current = version;
  }, [version]);
  const adopt = async (item: DiscoveredReply['items'][number], target: string | null) => {
    setBusy(item.name);
    setError(null);
    try {
      const body = target ? { into: target, terms: item.terms } : { name: (names[item.name] ?? item.name).trim() || item.name, terms: item.terms };
      onAdopted(await api<TaxonomyReply>('/api/v1/themes/adopt', { method: 'POST', body }));
    } catch (err) {
      setError(`${item.name}: ${explain(err)}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="panel" aria-labelledby="h-found">
      <h2 id="h-found">Discovered in the comments</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {found.error ? <ErrorNotice error={found.error} retry={found.reload} /> : !found.data ? <Loading what="Reading the newest comments" /> : found.data.items.length === 0 ? (
        <p class="muted">Nothing new: the themes cover what {fmtInt(found.data.sample)} newest comments talk about.</p>
      ) : (
        <>
          <p class="small muted">Phrases many of the {fmtInt(found.data.sample)} newest comments use that no theme has, grouped when used together.</p>
          <ul class="plain discovered">
            {found.data.items.map((item) => (
              <li key={item.name} data-discovered={item.name}>
                <div class="row" style={{ alignItems: 'baseline', justifyContent: 'space-between' }}>
                  <strong>{item.name}</strong>
                  <span class="small muted">{fmtInt(item.comments)} comments ({fmtPct(item.share)}), NPS {fmtNps(item.nps.nps)}</span>
                </div>
                <p class="small">Words: {item.terms.join(', ')}</p>
                {item.quotes[0]?.comment && <blockquote class="small">{item.quotes[0].comment}</blockquote>}
                {canEdit && (
                  <div class="row" style={{ alignItems: 'flex-end' }}>
                    <div class="field" style={{ margin: 0 }}>
                      <label for={`name-${item.name}`}>Theme name</label>
                      <input id={`name-${item.name}`} value={names[item.name] ?? item.name} onInput={(e) => setNames({ ...names, [item.name]: e.currentTarget.value })} />
                    </div>
                    <button type="button" disabled={busy != null} onClick={() => void adopt(item, null)}>{busy === item.name ? 'Adopting…' : 'Adopt as a theme'}</button>
                    <div class="field" style={{ margin: 0 }}>
                      <label for={`into-${item.name}`}>or add its words to</label>
                      <select id={`into-${item.name}`} value={into[item.name] ?? ''} onChange={(e) => setInto({ ...into, [item.name]: e.currentTarget.value })}>
                        <option value="">Choose a theme…</option>
                        {taxonomy?.themes.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
                      </select>
                    </div>
                    <button type="button" disabled={busy != null || !into[item.name]} onClick={() => void adopt(item, into[item.name])}>Add</button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Ranking({ data, open, onOpen, onDownload, carry }: { data: DriversReply; open: string | null; onOpen(id: string): void; onDownload(): void; carry: string }) {
  const readable = data.themes.filter((t) => t.readable);
  const widest = Math.max(1, ...readable.map((t) => Math.max(Math.abs(t.impactLow ?? 0), Math.abs(t.impactHigh ?? 0))));
  const chosen = data.themes.find((t) => t.id === open) ?? null;
  return (
    <>
      <section class="panel" aria-labelledby="h-rank">
        <div class="row" style={{ justifyContent: 'space-between', alignItems: 'baseline' }}>
          <h2 id="h-rank">Themes by impact on NPS</h2>
          <button type="button" onClick={onDownload}>Download CSV</button>
        </div>
        <WindowNote window={data.window} count={data.total.n} />
        <p class="small muted">
          NPS {fmtNps(data.total.nps)} from {fmtInt(data.total.n)} answers; {fmtInt(data.commented)} with a comment, {fmtInt(data.withTheme)} of them mentioning a theme.
          An answer counts once for each theme its comment mentions.
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Theme</th>
                <th scope="col" class="num">Impact (points)</th>
                <th scope="col" class="hide-narrow">95% interval</th>
                <th scope="col" class="num">Mentions</th>
                <th scope="col" class="num hide-narrow">NPS with / without</th>
                <th scope="col" class="num">Net sentiment</th>
                <th scope="col" class="hide-narrow">Last {data.themes[0]?.trend.length ?? 12} weeks</th>
              </tr>
            </thead>
            <tbody>
              {data.themes.map((t) => (
                <tr key={t.id} class={t.id === open ? 'selected' : undefined} data-theme={t.id}>
                  <th scope="row" style={{ fontWeight: 'normal' }}>
                    <button type="button" class="link" aria-expanded={t.id === open} aria-controls="theme-detail" onClick={() => onOpen(t.id)}>{t.name}</button>
                  </th>
                  <td class="num">
                    {t.readable ? <strong class={t.impact! < 0 ? 'down' : 'up'}>{fmtSigned(t.impact, 1)}</strong> : <span class="muted" title={t.why ?? ''}>{fmtSigned(t.impact, 1)} <span class="badge warn">unclear</span></span>}
                  </td>
                  <td class="hide-narrow">{t.readable ? <ImpactBar t={t} widest={widest} /> : <span class="small muted">{t.why}</span>}</td>
                  <td class="num">{fmtInt(t.mentions)} <span class="small muted">({fmtPct(t.share)})</span></td>
                  <td class="num hide-narrow">{fmtNps(t.with.nps)} / {fmtNps(t.without.nps)}</td>
                  <td class="num">{t.netSentiment == null ? '–' : fmtSigned(t.netSentiment, 0)}</td>
                  <td class="hide-narrow"><Sparkline points={t.trend} label={`${t.name}: NPS of its mentions per week`} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="small muted">Impact: NPS of all answers minus the NPS they would have without the answers mentioning the theme. A theme whose interval is too wide to read (too few mentions) is ranked after the others. Net sentiment: % of its mentions positive minus % negative.</p>
      </section>
      {chosen && <Detail t={chosen} carry={carry} />}
      <Split data={data} />
    </>
  );
}

/** The impact and its 95% interval on a scale shared by every readable theme, centred on zero. */
function ImpactBar({ t, widest }: { t: ThemeDriver; widest: number }) {
  const W = 160;
  const x = (v: number) => W / 2 + (v / widest) * (W / 2 - 4);
  const color = t.impact! < 0 ? 'var(--detractor)' : 'var(--promoter)';
  return (
    <svg width={W} height={16} role="img" aria-label={`${fmtSigned(t.impact, 1)} points, 95% interval ${fmtInterval(t.impactLow, t.impactHigh, 1)}`}>
      <line x1={W / 2} x2={W / 2} y1={0} y2={16} stroke="#c9ced8" />
      <line x1={x(t.impactLow!)} x2={x(t.impactHigh!)} y1={8} y2={8} stroke={color} stroke-width={4} stroke-linecap="round" opacity={0.45} />
      <circle cx={x(t.impact!)} cy={8} r={4} fill={color} />
      <title>{`${fmtSigned(t.impact, 1)} points (${fmtInterval(t.impactLow, t.impactHigh, 1)})`}</title>
    </svg>
  );
}

/** NPS per week of a theme's mentions; weeks without any leave a gap. */
function Sparkline({ points, label }: { points: ThemeDriver['trend']; label: string }) {
  const W = 120;
  const H = 28;
  const x = (i: number) => (points.length > 1 ? (i / (points.length - 1)) * (W - 4) + 2 : W / 2);
  const y = (v: number) => H - 2 - ((v + 100) / 200) * (H - 4);
  const runs: string[] = [];
  let run: string[] = [];
  points.forEach((p, i) => {
    if (p.nps == null) {
      if (run.length) runs.push(run.join(' '));
      run = [];
    } else run.push(`${x(i).toFixed(1)},${y(p.nps).toFixed(1)}`);
  });
  if (run.length) runs.push(run.join(' '));
  const shown = points.filter((p) => p.nps != null);
  return (
    <svg class="spark" width={W} height={H} role="img" aria-label={`${label}: ${shown.length ? shown.map((p) => `${p.start.slice(0, 10)} ${fmtNps(p.nps)} (${p.n})`).join('; ') : 'no mentions'}`}>
      <line x1={0} x2={W} y1={y(0)} y2={y(0)} stroke="#e3e6ec" />
      {runs.map((r, i) => (r.includes(' ') ? <polyline key={i} points={r} fill="none" stroke="var(--accent)" stroke-width={1.5} /> : <circle key={i} cx={r.split(',')[0]} cy={r.split(',')[1]} r={1.8} fill="var(--accent)" />))}
    </svg>
  );
}

function Detail({ t, carry }: { t: ThemeDriver; carry: string }) {
  const answersLink = `${BASE}/breakdowns${carry}${carry ? '&' : '?'}by=theme&row=${encodeURIComponent(t.id)}`;
  return (
    <section class="panel" id="theme-detail" aria-labelledby="h-detail">
      <h2 id="h-detail">{t.name}</h2>
      <p>
        {fmtInt(t.mentions)} answers mention it ({fmtPct(t.share)}): NPS {fmtNps(t.with.nps)} against {fmtNps(t.without.nps)} for the others
        ({fmtSigned(t.difference.diff, 1)} points, 95% interval {fmtInterval(t.difference.low, t.difference.high, 1)}).
        {' '}{fmtInt(t.negative)} of its mentions are negative and {fmtInt(t.positive)} positive.
      </p>
      <div class="cols-2">
        <div>
          <h3>What they say</h3>
          {t.quotes.length ? <AnswerList label={`Representative comments about ${t.name}`} items={t.quotes.map(answerItem)} /> : <p class="muted">No comment to quote.</p>}
          <p class="small muted">The comments closest to the centre of everything said about it, not the loudest. <a href={answersLink}>All answers mentioning it</a></p>
        </div>
        <div>
          <h3>By channel</h3>
          <PerValue rows={t.byChannel} />
          <h3>By journey stage</h3>
          <PerValue rows={t.byStage} />
        </div>
      </div>
    </section>
  );
}

function PerValue({ rows }: { rows: ThemeDriver['byChannel'] }) {
  if (!rows.length) return <p class="muted">None.</p>;
  return (
    <table class="compact">
      <thead><tr><th scope="col">Value</th><th scope="col" class="num">Mentions</th><th scope="col" class="num">NPS</th></tr></thead>
      <tbody>{rows.map((r) => <tr key={r.value ?? ''}><th scope="row" style={{ fontWeight: 'normal' }}>{r.label}</th><td class="num">{fmtInt(r.n)}</td><td class="num">{fmtNps(r.nps)}</td></tr>)}</tbody>
    </table>
  );
}

/** Points lost (100 − NPS) and gained (NPS + 100) shared among themes by regression: the parts add up. */
function Split({ data }: { data: DriversReply }) {
  if (data.pointsLost == null || data.pointsGained == null) return null;
  const lost = data.themes.filter((t) => t.pointsLost > 0.05).sort((a, b) => b.pointsLost - a.pointsLost);
  const gained = data.themes.filter((t) => t.pointsGained > 0.05).sort((a, b) => b.pointsGained - a.pointsGained);
  const bar = (points: number, whole: number, color: string) => <span class="impact-bar" style={{ width: `${Math.max(2, (points / Math.max(whole, 1)) * 160)}px`, background: color }} />;
  return (
    <section class="panel" aria-labelledby="h-split">
      <h2 id="h-split">Where the points go</h2>
      <p class="small muted">The {fmtNps(data.pointsLost)} points between this NPS and +100, and the {fmtNps(data.pointsGained)} above −100, shared among the themes by how much each moves an answer (a regression on every theme at once), times how often it is mentioned.</p>
      <div class="cols-2">
        <div>
          <h3>Lost</h3>
          {lost.length ? <ul class="plain">{lost.map((t) => <li key={t.id}>{bar(t.pointsLost, data.pointsLost!, 'var(--detractor)')} {t.name}: {fmtSigned(-t.pointsLost, 1)}</li>)}</ul> : <p class="muted">No theme pulls NPS down.</p>}
        </div>
        <div>
          <h3>Gained</h3>
          {gained.length ? <ul class="plain">{gained.map((t) => <li key={t.id}>{bar(t.pointsGained, data.pointsGained!, 'var(--promoter)')} {t.name}: {fmtSigned(t.pointsGained, 1)}</li>)}</ul> : <p class="muted">No theme lifts NPS.</p>}
        </div>
      </div>
    </section>
  );
}
