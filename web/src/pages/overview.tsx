import { useLocation } from 'preact-iso';
import { AnnotationForm } from '../components/annotation-form.tsx';
import { AnswerList } from '../components/answer-list.tsx';
import { CategoryBar, Distribution, NpsHeadline } from '../components/figures.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { InstallGuide } from '../components/install-guide.tsx';
import { useTitle } from '../components/shell.tsx';
import { Empty, ErrorNotice, Loading } from '../components/states.tsx';
import { TrendChart } from '../components/trend-chart.tsx';
import { activeFilterCount, answersListIgnoresSome, answersQuery, trendInterval, trendQuery, useFilters } from '../filters.ts';
import { fmtNps } from '../format.ts';
import { useCan } from '../session.ts';
import type { Answer, BenchmarksReply, NpsReply, TrendReply } from '../types.ts';
import { useApi } from '../use-api.ts';

export const CHART_MARK = 'advocate:overview-chart-drawn';

export default function Overview() {
  useTitle('Overview');
  const { filters, api: q, set } = useFilters();
  const loc = useLocation();
  const industry = loc.query.industry || null;
  const canAnnotate = useCan('analyst');
  const interval = trendInterval(filters);
  const nps = useApi<NpsReply>('/api/v1/metrics/nps', q);
  const trend = useApi<TrendReply>('/api/v1/metrics/trend', { ...q, ...trendQuery(filters) });
  const bench = useApi<BenchmarksReply>('/api/v1/metrics/benchmarks', { ...q, industry });
  // The answers API takes time, survey, channel and stage; the note below says when other filters are on.
  const recent = useApi<{ items: Answer[] }>('/api/v1/answers', answersQuery(filters, 8));
  const any = useApi<{ items: Answer[] }>('/api/v1/answers', { limit: 1 });

  const benchmarks = bench.data?.benchmarks ?? [];
  const chosen = benchmarks.find((b) => b.industry === industry) ?? benchmarks[0] ?? null;

  if (any.data && any.data.items.length === 0) {
    return (
      <>
        <Head />
        <InstallGuide />
      </>
    );
  }

  return (
    <>
      <Head />
      <FilterBar />
      {nps.error ? <ErrorNotice error={nps.error} retry={nps.reload} /> : !nps.data ? <Loading what="Loading the figures" /> : nps.data.n === 0 ? (
        <Empty title="No answers match these filters">
          <p>Widen the time range or remove a filter{activeFilterCount(filters) ? ` (${activeFilterCount(filters)} active)` : ''}.</p>
          <button type="button" onClick={() => set({ range: 'all', from: null, to: null, surveyId: null, channel: null, stage: null, segment: null, ...Object.fromEntries(Object.keys(filters.traits).map((k) => [`trait.${k}`, null])) })}>Clear all filters</button>
        </Empty>
      ) : (
        <div class="grid">
          <section class="panel" aria-labelledby="h-nps">
            <h2 id="h-nps" class="visually-hidden">Net Promoter Score</h2>
            <NpsHeadline figure={nps.data} change={nps.data.change} previous={nps.data.previous} />
            {chosen && bench.data && (
              <p class="small">
                Benchmark ({chosen.industry}, {chosen.region}, {chosen.year}): {fmtNps(chosen.nps)}, {chosen.source}.{' '}
                {chosen.position === 'above' ? 'Your NPS is above it.' : chosen.position === 'below' ? 'Your NPS is below it.' : chosen.position === 'within' ? 'It lies within your interval: no clear difference.' : ''}
              </p>
            )}
          </section>
          <section class="panel" aria-labelledby="h-cat">
            <h2 id="h-cat">Promoters, passives and detractors</h2>
            <CategoryBar figure={nps.data} />
          </section>
          <section class="panel" aria-labelledby="h-dist">
            <h2 id="h-dist">Scores</h2>
            <Distribution counts={nps.data.distribution} />
          </section>
        </div>
      )}
      <section class="panel" aria-labelledby="h-trend" style={{ marginTop: '1rem' }}>
        <div class="row" style={{ justifyContent: 'space-between' }}>
          <h2 id="h-trend">NPS per {interval}</h2>
          {benchmarks.length > 0 && (
            <div class="row">
              <label for="industry" class="small" style={{ margin: 0 }}>Benchmark</label>
              <select id="industry" value={chosen?.industry ?? ''} onChange={(e) => set({ industry: e.currentTarget.value })}>
                {benchmarks.map((b) => <option key={b.industry} value={b.industry}>{b.industry} ({fmtNps(b.nps)})</option>)}
              </select>
            </div>
          )}
        </div>
        {trend.error ? <ErrorNotice error={trend.error} retry={trend.reload} /> : !trend.data ? <Loading what="Loading the trend" /> : (
          <TrendChart points={trend.data.points} annotations={trend.data.annotations} benchmark={chosen ? { nps: chosen.nps, label: `${chosen.industry} benchmark` } : null} markName={CHART_MARK} />
        )}
        {canAnnotate && <AnnotationForm onAdded={trend.reload} />}
      </section>
      <section class="panel" aria-labelledby="h-recent">
        <h2 id="h-recent">Latest answers</h2>
        {answersListIgnoresSome(filters) && <p class="small muted">Filtered by time, survey, channel and stage only.</p>}
        {recent.error ? <ErrorNotice error={recent.error} retry={recent.reload} /> : !recent.data ? <Loading /> : recent.data.items.length === 0 ? <p class="muted">No answers in this time range.</p> : (
          <AnswerList label="Latest answers" items={recent.data.items.map((a) => ({ id: a.id, score: a.score, comment: a.comment, channel: a.channel, at: a.answeredAt, profileId: a.profileId, surveyId: a.surveyId }))} />
        )}
      </section>
    </>
  );
}

function Head() {
  return (
    <div class="page-head">
      <div>
        <h1>Overview</h1>
        <p>How likely customers are to recommend you, with the uncertainty of every figure.</p>
      </div>
    </div>
  );
}
