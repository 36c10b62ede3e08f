import { useLocation } from 'preact-iso';
import { AnnotationForm } from '../components/annotation-form.tsx';
import { AnswerList, answerItem } from '../components/answer-list.tsx';
import { CategoryBar, Distribution, NpsHeadline } from '../components/figures.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { InstallGuide } from '../components/install-guide.tsx';
import { useTitle } from '../components/shell.tsx';
import { Empty, ErrorNotice, Loading, Stale } from '../components/states.tsx';
import { TrendChart } from '../components/trend-chart.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { BASE } from '../links.ts';
import { activeFilterCount, answersListIgnoresSome, answersQuery, trendInterval, trendQuery, useFilters } from '../filters.ts';
import { fmtNps } from '../format.ts';
import { useCan } from '../session.ts';
import type { AnswerPage, Benchmark, BenchmarksReply, NpsReply, TrendReply } from '../types.ts';
import { useApi } from '../use-api.ts';

export const CHART_MARK = 'advocate:overview-chart-drawn';

export default function Overview() {
  useTitle('Overview');
  const { filters, api: q, set } = useFilters();
  const loc = useLocation();
  const canAnnotate = useCan('analyst');
  const interval = trendInterval(filters);
  const nps = useApi<NpsReply>('/api/v1/metrics/nps', q);
  const trend = useApi<TrendReply>('/api/v1/metrics/trend', { ...q, ...trendQuery(filters) });
  // Without an industry the server answers with the workspace's (chosen in Settings); the picker lists every figure.
  const bench = useApi<BenchmarksReply>('/api/v1/metrics/benchmarks', q);
  // The answers API takes time, survey, channel and stage; the note below says when other filters are on.
  const recent = useApi<AnswerPage>('/api/v1/answers', answersQuery(filters, 8));
  const any = useApi<AnswerPage>('/api/v1/answers', { limit: 1 });

  const published = bench.data?.published ?? [];
  const chosen = chooseBenchmark(bench.data, loc.query.benchmark, loc.query.industry);
  // The headline waits for its benchmark sentence, so the sentence never pushes the page down after it is drawn.
  const benchSettled = !!bench.data || !!bench.error;

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
      <Stale when={nps.loading && !!nps.data}>
        {nps.error ? <ErrorNotice error={nps.error} retry={nps.reload} /> : !nps.data || !benchSettled ? <div style={{ minHeight: '14rem' }}><Loading what="Loading the figures" /></div> : nps.data.n === 0 ? (
          <Empty title="No answers match these filters">
            <p>Widen the time range or remove a filter{activeFilterCount(filters) ? ` (${activeFilterCount(filters)} active)` : ''}.</p>
            <button type="button" onClick={() => set({ range: 'all', from: null, to: null, surveyId: null, channel: null, stage: null, segment: null, ...Object.fromEntries(Object.keys(filters.traits).map((k) => [`trait.${k}`, null])) })}>Clear all filters</button>
          </Empty>
        ) : (
          <div class="grid">
            <section class="panel" aria-labelledby="h-nps">
              <h2 id="h-nps" class="visually-hidden">Net Promoter Score</h2>
              <NpsHeadline figure={nps.data} change={nps.data.change} previous={nps.data.previous} />
              <WindowNote window={nps.data.window} count={nps.data.n} />
              <BenchmarkSentence chosen={chosen} failed={!!bench.error} />
            </section>
            <section class="panel" aria-labelledby="h-cat">
              <h2 id="h-cat">Promoters, passives and detractors</h2>
              <WindowNote window={nps.data.window} count={nps.data.n} />
              <CategoryBar figure={nps.data} />
            </section>
            <section class="panel" aria-labelledby="h-dist">
              <h2 id="h-dist">Scores</h2>
              <WindowNote window={nps.data.window} count={nps.data.n} />
              <Distribution counts={nps.data.distribution} />
            </section>
          </div>
        )}
      </Stale>
      <section class="panel" aria-labelledby="h-trend" style={{ marginTop: '1rem' }}>
        <div class="row" style={{ justifyContent: 'space-between' }}>
          <h2 id="h-trend">NPS per {interval}</h2>
          <BenchmarkPicker published={published} chosen={chosen} onPick={(id) => set({ benchmark: id || 'none', industry: null })} />
        </div>
        <Stale when={trend.loading && !!trend.data}>
          {trend.error ? <ErrorNotice error={trend.error} retry={trend.reload} /> : !trend.data || !benchSettled ? <div style={{ minHeight: '340px' }}><Loading what="Loading the trend" /></div> : (
            <>
              <WindowNote window={trend.data.window} count={trend.data.points.reduce((s, p) => s + p.n, 0)} />
              <TrendChart points={trend.data.points} annotations={trend.data.annotations} benchmark={chosen ? { nps: chosen.nps, label: benchmarkShort(chosen) } : null} markName={CHART_MARK} />
            </>
          )}
        </Stale>
        {canAnnotate && <AnnotationForm onAdded={trend.reload} />}
      </section>
      <section class="panel" aria-labelledby="h-recent">
        <h2 id="h-recent">Latest answers</h2>
        {answersListIgnoresSome(filters) && <p class="small muted">Filtered by time, survey, channel and stage only.</p>}
        <Stale when={recent.loading && !!recent.data}>
          {recent.error ? <ErrorNotice error={recent.error} retry={recent.reload} /> : !recent.data ? <Loading /> : recent.data.items.length === 0 ? <p class="muted">No answers in this time range.</p> : (
            <AnswerList label="Latest answers" items={recent.data.items.map(answerItem)} />
          )}
        </Stale>
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

/** The figure in the URL (?benchmark=<id>, or an older ?industry=), else the first of the workspace's industry; none for ?benchmark=none. */
function chooseBenchmark(reply: BenchmarksReply | undefined, id: string | undefined, industry: string | undefined): Benchmark | null {
  if (!reply || id === 'none') return null;
  return reply.published.find((b) => b.id === id)
    ?? reply.published.find((b) => b.industry === industry)
    ?? reply.benchmarks.find((b) => b.industry === reply.industry)
    ?? null;
}

const figure = (b: Benchmark) => (b.kind === 'average' ? `${fmtNps(b.nps)} average` : `${b.kind} ${fmtNps(b.nps)}`);
const benchmarkShort = (b: Benchmark) => `${b.industry} benchmark (${b.source.split(',')[0]}, ${b.year})`;
/** "retail: +28 average · XM Institute, "Economics of NPS", 2023, US consumers": what, from whom, when and where (the closed picker shows only this). */
const benchmarkLabel = (b: Benchmark) => `${b.industry}: ${figure(b)} · ${b.source}, ${b.year}, ${b.region}`;

/** Every published figure, grouped by industry, each with its source, year and region. */
function BenchmarkPicker({ published, chosen, onPick }: { published: Benchmark[]; chosen: Benchmark | null; onPick(id: string): void }) {
  const industries = [...new Set(published.map((b) => b.industry))];
  return (
    <div class="row benchmark-picker">
      <label for="benchmark" class="small" style={{ margin: 0 }}>Benchmark</label>
      <select id="benchmark" value={chosen?.id ?? ''} disabled={published.length === 0} onChange={(e) => onPick(e.currentTarget.value)}>
        <option value="">None</option>
        {industries.map((industry) => (
          <optgroup key={industry} label={industry}>
            {published.filter((b) => b.industry === industry).map((b) => <option key={b.id} value={b.id}>{benchmarkLabel(b)}</option>)}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

/** Where the workspace stands against the chosen figure; without one, where to choose the industry. */
function BenchmarkSentence({ chosen, failed }: { chosen: Benchmark | null; failed: boolean }) {
  if (failed) return <p class="small muted benchmark-sentence">The benchmarks could not be loaded.</p>;
  if (!chosen) {
    return <p class="small muted benchmark-sentence">No benchmark: choose your industry in <a href={`${BASE}/settings#workspace`}>Settings</a> to compare with published figures.</p>;
  }
  const where = chosen.position === 'above' ? 'Your NPS is above it.' : chosen.position === 'below' ? 'Your NPS is below it.' : chosen.position === 'within' ? 'It lies within your interval: no clear difference.' : '';
  return (
    <p class="small benchmark-sentence" data-testid="benchmark-sentence">
      Benchmark ({chosen.industry}, {chosen.region}, {chosen.year}): {figure(chosen)}, {chosen.source}. {where}
    </p>
  );
}
