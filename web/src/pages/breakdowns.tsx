import { useEffect, useState } from 'preact/hooks';
import { api, download, explain, withQuery } from '../api.ts';
import { AnswerList, answerItem } from '../components/answer-list.tsx';
import { Mark } from '../components/figures.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { fmtRowNps, IntervalPlot } from '../components/interval-plot.tsx';
import { FewAnswers } from '../components/figures.tsx';
import { useTitle } from '../components/shell.tsx';
import { Empty, ErrorNotice, Loading, Stale } from '../components/states.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { activeFilterCount, answersListIgnoresSome, answersQuery, useFilters } from '../filters.ts';
import { fmtInt, fmtInterval, fmtP, fmtSigned } from '../format.ts';
import type { Answer, AnswerPage, BreakdownReply, DimensionList } from '../types.ts';
import { useApi, useShared } from '../use-api.ts';

const LABELS: Record<string, string> = {
  channel: 'Channel', stage: 'Journey stage', survey: 'Survey', campaign: 'Campaign', utmSource: 'UTM source', device: 'Device',
  hour: 'Hour of day (UTC)', weekday: 'Weekday', daysSinceOrder: 'Days since last order', tenure: 'Customer for',
  theme: 'Theme of the comment', sentiment: 'Comment sentiment',
};
/** A breakdown value that is also a filter, so a row can narrow every page to itself and list its answers. */
const FILTER_OF: Record<string, string> = { channel: 'channel', stage: 'stage', survey: 'surveyId', theme: 'theme', sentiment: 'sentiment' };
const PAGE = 20;

/**
 * The answers list under the table, narrowed to the picked row, a page at a time (the answers
 * API's cursor): a new query starts again from its first page.
 */
function usePagedAnswers(query: Record<string, string | number | null>) {
  const key = withQuery('/api/v1/answers', query);
  const [state, setState] = useState<{ key: string; items: Answer[]; next: string | null; error: unknown; loading: boolean }>({ key: '', items: [], next: null, error: null, loading: true });
  const load = (cursor: string | null, ctrl: AbortController) => {
    setState((s) => ({ ...(cursor ? s : { items: [], next: null }), key, error: null, loading: true }));
    api<AnswerPage>(cursor ? withQuery('/api/v1/answers', { ...query, cursor }) : key, { signal: ctrl.signal }).then(
      (r) => !ctrl.signal.aborted && setState((s) => (cursor && s.key !== key ? s : { key, items: cursor ? [...s.items, ...r.items] : r.items, next: r.nextCursor, error: null, loading: false })),
      (error) => !ctrl.signal.aborted && setState((s) => ({ ...s, error, loading: false })),
    );
  };
  useEffect(() => {
    const ctrl = new AbortController();
    load(null, ctrl);
    return () => ctrl.abort();
  }, [key]);
  return { ...state, more: () => state.next && load(state.next, new AbortController()), retry: () => load(null, new AbortController()) };
}

export default function Breakdowns() {
  useTitle('Breakdowns');
  const { filters, api: q, query, set } = useFilters();
  const dims = useShared<DimensionList>('/api/v1/metrics/dimensions');
  const by = query.by || 'stage';
  const custom = by.startsWith('trait.') || by.startsWith('property.');
  const [customKind, setCustomKind] = useState<'trait' | 'property'>(by.startsWith('property.') ? 'property' : 'trait');
  const [customName, setCustomName] = useState(custom ? by.slice(by.indexOf('.') + 1) : '');
  const result = useApi<BreakdownReply>('/api/v1/metrics/breakdown', { ...q, by });
  // A row picked in the table narrows the answers below it (only for dimensions the answers list takes).
  const pickKey = FILTER_OF[by];
  const picked = pickKey && query.row ? query.row : null;
  const answers = usePagedAnswers({ ...answersQuery(filters, PAGE), ...(picked ? { [pickKey]: picked } : {}) });
  const pickedLabel = picked ? result.data?.rows.find((r) => r.value === picked)?.label ?? picked : null;
  const names = dims.data?.items.map((d) => d.name) ?? Object.keys(LABELS);
  const label = LABELS[by] ?? by;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Breakdowns</h1>
          <p>NPS per value of one dimension, each against all other answers; marked where the difference is significant.</p>
        </div>
      </div>
      <FilterBar />
      <section class="panel" aria-labelledby="h-dim">
        <h2 id="h-dim" class="visually-hidden">Dimension</h2>
        <div class="row" style={{ alignItems: 'flex-end' }}>
          <div class="field" style={{ margin: 0 }}>
            <label for="by">Break down by</label>
            <select id="by" value={custom ? '__custom' : by} onChange={(e) => {
              const v = e.currentTarget.value;
              if (v !== '__custom') set({ by: v, row: null });
              else if (customName.trim()) set({ by: `${customKind}.${customName.trim()}`, row: null });
              else set({ by: 'trait.plan', row: null });
            }}>
              {names.map((n) => <option key={n} value={n}>{LABELS[n] ?? n}</option>)}
              <option value="__custom">A trait or answer property…</option>
            </select>
          </div>
          {custom && (
            <form class="row" style={{ alignItems: 'flex-end' }} onSubmit={(e) => {
              e.preventDefault();
              if (customName.trim()) set({ by: `${customKind}.${customName.trim()}`, row: null });
            }}>
              <div class="field" style={{ margin: 0 }}>
                <label for="by-kind">Kind</label>
                <select id="by-kind" value={customKind} onChange={(e) => setCustomKind(e.currentTarget.value as 'trait' | 'property')}>
                  <option value="trait">Trait of the person</option>
                  <option value="property">Property of the answer</option>
                </select>
              </div>
              <div class="field" style={{ margin: 0 }}>
                <label for="by-name">Name</label>
                <input id="by-name" value={customName} placeholder="plan" onInput={(e) => setCustomName(e.currentTarget.value)} />
              </div>
              <button type="submit">Break down</button>
            </form>
          )}
          <button type="button" disabled={!result.data} onClick={() => void download('/api/v1/metrics/breakdown', { ...q, by, format: 'csv' }, `nps-by-${by}.csv`)}>Download CSV</button>
        </div>
      </section>
      <Stale when={result.loading && !!result.data}>
        {result.error ? <ErrorNotice error={result.error} retry={result.reload} /> : !result.data ? <Loading what="Breaking down" /> : result.data.total.n === 0 ? (
          <Empty title="No answers match these filters">
            <p>Widen the time range or remove a filter{activeFilterCount(filters) ? ` (${activeFilterCount(filters)} active)` : ''}.</p>
          </Empty>
        ) : (
          <div class="cols-2 wide-first">
            <section class="panel" aria-labelledby="h-table">
              <h2 id="h-table">NPS by {label.toLowerCase()}</h2>
              <WindowNote window={result.data.window} count={result.data.total.n} />
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{label}</th><th scope="col" class="num">Answers</th><th scope="col" class="num">NPS</th>
                      <th scope="col" class="num hide-narrow">95% interval</th><th scope="col" class="num">vs rest</th><th scope="col">Significance</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.data.rows.map((r) => {
                      const filterKey = FILTER_OF[by];
                      const filtered = filterKey && r.value != null && (filters as unknown as Record<string, string | null>)[filterKey] === r.value;
                      const isPicked = picked != null && r.value === picked;
                      return (
                        <tr key={r.value ?? '(not set)'} class={filtered || isPicked ? 'selected' : undefined}>
                          <th scope="row" style={{ fontWeight: 'normal' }}>
                            {filterKey && r.value != null ? (
                              <button type="button" class="link" aria-pressed={isPicked} title={isPicked ? 'Show all answers again' : `List the answers of ${r.label} below`}
                                onClick={() => set({ row: isPicked ? null : r.value })}>{r.label}</button>
                            ) : r.value == null ? <span class="muted">{r.label}</span> : r.label}
                            {filterKey && r.value != null && !filtered && <> <button type="button" class="link small muted" aria-label={`Filter to ${label} ${r.label}`} title="Narrow every page to this value" onClick={() => set({ [filterKey]: r.value, row: null })}>filter</button></>}
                          </th>
                          <td class="num">{fmtInt(r.n)}</td>
                          <td class="num">{fmtRowNps(r.nps)}{r.lowSample && <> <FewAnswers /></>}</td>
                          <td class="num hide-narrow">{fmtInterval(r.adjusted.low, r.adjusted.high)}</td>
                          <td class="num" title={fmtP(r.vsRest.p)}>{fmtSigned(r.vsRest.diff)}</td>
                          <td><Mark mark={r.mark} p={r.vsRest.p} /></td>
                        </tr>
                      );
                    })}
                  </tbody>
                  <tfoot>
                    <tr><th scope="row">All</th><td class="num">{fmtInt(result.data.total.n)}</td><td class="num">{fmtRowNps(result.data.total.nps)}</td><td class="num hide-narrow">{fmtInterval(result.data.total.adjusted.low, result.data.total.adjusted.high)}</td><td /><td /></tr>
                  </tfoot>
                </table>
              </div>
            </section>
            <section class="panel" aria-labelledby="h-plot">
              <h2 id="h-plot">At a glance</h2>
              <WindowNote window={result.data.window} count={result.data.total.n} />
              <IntervalPlot
                title={`NPS by ${label}`}
                rows={result.data.rows.map((r) => ({ label: r.label, value: r.nps, low: r.adjusted.low, high: r.adjusted.high, mark: r.mark }))}
                reference={result.data.total.nps}
              />
            </section>
          </div>
        )}
      </Stale>
      <section class="panel" aria-labelledby="h-answers">
        <h2 id="h-answers">{pickedLabel ? `Answers: ${label} ${pickedLabel}` : 'Answers'}</h2>
        {pickedLabel ? (
          <p class="small">Only answers with {label.toLowerCase()} {pickedLabel}. <button type="button" class="link" onClick={() => set({ row: null })}>Show all answers</button></p>
        ) : pickKey && <p class="small muted">Pick a {label.toLowerCase()} in the table to list its answers here.</p>}
        {answersListIgnoresSome(filters) && <p class="small muted">Listed by time, survey, channel, stage, theme and sentiment only: the answers list does not take segments or traits.</p>}
        {answers.error && !answers.items.length ? <ErrorNotice error={answers.error} retry={answers.retry} /> : answers.loading && !answers.items.length ? <Loading /> : answers.items.length === 0 ? <p class="muted">No answers in this time range.</p> : (
          <>
            <AnswerList label="Answers" items={answers.items.map(answerItem)} />
            <div class="row" style={{ alignItems: 'center', marginTop: '.5rem' }}>
              <span class="small muted" role="status">{fmtInt(answers.items.length)} shown{answers.next ? '' : ', all of them'}</span>
              {answers.next && <button type="button" disabled={answers.loading} onClick={answers.more}>{answers.loading ? 'Loading…' : `Show ${PAGE} more`}</button>}
              {answers.error != null && <span class="small error">{explain(answers.error)}</span>}
            </div>
          </>
        )}
      </section>
    </>
  );
}
