import { useState } from 'preact/hooks';
import { download } from '../api.ts';
import { AnswerList } from '../components/answer-list.tsx';
import { Mark } from '../components/figures.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { IntervalPlot } from '../components/interval-plot.tsx';
import { useTitle } from '../components/shell.tsx';
import { Empty, ErrorNotice, Loading } from '../components/states.tsx';
import { activeFilterCount, answersListIgnoresSome, answersQuery, useFilters } from '../filters.ts';
import { fmtInt, fmtInterval, fmtNps, fmtP, fmtSigned } from '../format.ts';
import type { Answer, BreakdownReply, Dimension } from '../types.ts';
import { useApi, useShared } from '../use-api.ts';

const LABELS: Record<string, string> = {
  channel: 'Channel', stage: 'Journey stage', survey: 'Survey', campaign: 'Campaign', utmSource: 'UTM source', device: 'Device',
  hour: 'Hour of day (UTC)', weekday: 'Weekday', daysSinceOrder: 'Days since last order', tenure: 'Customer for',
};
/** A breakdown value that is also a filter, so a row can narrow every page to itself. */
const FILTER_OF: Record<string, string> = { channel: 'channel', stage: 'stage', survey: 'surveyId' };

export default function Breakdowns() {
  useTitle('Breakdowns');
  const { filters, api: q, query, set } = useFilters();
  const dims = useShared<{ items: Dimension[] }>('/api/v1/metrics/dimensions');
  const by = query.by || 'stage';
  const custom = by.startsWith('trait.') || by.startsWith('property.');
  const [customKind, setCustomKind] = useState<'trait' | 'property'>(by.startsWith('property.') ? 'property' : 'trait');
  const [customName, setCustomName] = useState(custom ? by.slice(by.indexOf('.') + 1) : '');
  const result = useApi<BreakdownReply>('/api/v1/metrics/breakdown', { ...q, by });
  const answers = useApi<{ items: Answer[] }>('/api/v1/answers', answersQuery(filters, 20));
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
              if (v !== '__custom') set({ by: v });
              else if (customName.trim()) set({ by: `${customKind}.${customName.trim()}` });
              else set({ by: 'trait.plan' });
            }}>
              {names.map((n) => <option key={n} value={n}>{LABELS[n] ?? n}</option>)}
              <option value="__custom">A trait or answer property…</option>
            </select>
          </div>
          {custom && (
            <form class="row" style={{ alignItems: 'flex-end' }} onSubmit={(e) => {
              e.preventDefault();
              if (customName.trim()) set({ by: `${customKind}.${customName.trim()}` });
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
      {result.error ? <ErrorNotice error={result.error} retry={result.reload} /> : !result.data ? <Loading what="Breaking down" /> : result.data.total.n === 0 ? (
        <Empty title="No answers match these filters">
          <p>Widen the time range or remove a filter{activeFilterCount(filters) ? ` (${activeFilterCount(filters)} active)` : ''}.</p>
        </Empty>
      ) : (
        <div class="cols-2">
          <section class="panel" aria-labelledby="h-table">
            <h2 id="h-table">NPS by {label.toLowerCase()}</h2>
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
                    const selected = filterKey && r.value != null && (filters as unknown as Record<string, string | null>)[filterKey] === r.value;
                    return (
                      <tr key={r.value ?? '(not set)'} class={selected ? 'selected' : undefined}>
                        <th scope="row" style={{ fontWeight: 'normal' }}>
                          {r.value ?? <span class="muted">(not set)</span>}
                          {filterKey && r.value != null && !selected && <> <button type="button" class="link small" aria-label={`Filter to ${label} ${r.value}`} onClick={() => set({ [filterKey]: r.value })}>filter</button></>}
                        </th>
                        <td class="num">{fmtInt(r.n)}</td>
                        <td class="num">{fmtNps(r.nps)}{r.lowSample && <span class="badge warn" title="Few answers: the interval is wider than ±10 points"> few</span>}</td>
                        <td class="num hide-narrow">{fmtInterval(r.adjusted.low, r.adjusted.high)}</td>
                        <td class="num" title={fmtP(r.vsRest.p)}>{fmtSigned(r.vsRest.diff)}</td>
                        <td><Mark mark={r.mark} p={r.vsRest.p} /></td>
                      </tr>
                    );
                  })}
                </tbody>
                <tfoot>
                  <tr><th scope="row">All</th><td class="num">{fmtInt(result.data.total.n)}</td><td class="num">{fmtNps(result.data.total.nps)}</td><td class="num hide-narrow">{fmtInterval(result.data.total.adjusted.low, result.data.total.adjusted.high)}</td><td /><td /></tr>
                </tfoot>
              </table>
            </div>
          </section>
          <section class="panel" aria-labelledby="h-plot">
            <h2 id="h-plot">At a glance</h2>
            <IntervalPlot
              title={`NPS by ${label}`}
              rows={result.data.rows.map((r) => ({ label: r.value ?? '(not set)', value: r.nps, low: r.adjusted.low, high: r.adjusted.high, mark: r.mark }))}
              reference={result.data.total.nps}
            />
          </section>
        </div>
      )}
      <section class="panel" aria-labelledby="h-answers">
        <h2 id="h-answers">Answers</h2>
        {answersListIgnoresSome(filters) && <p class="small muted">Listed by time, survey, channel and stage only: the answers list does not take segments or traits.</p>}
        {answers.error ? <ErrorNotice error={answers.error} retry={answers.reload} /> : !answers.data ? <Loading /> : answers.data.items.length === 0 ? <p class="muted">No answers in this time range.</p> : (
          <AnswerList label="Answers" items={answers.data.items.map((a) => ({ id: a.id, score: a.score, comment: a.comment, channel: a.channel, at: a.answeredAt, profileId: a.profileId, surveyId: a.surveyId }))} />
        )}
      </section>
    </>
  );
}
