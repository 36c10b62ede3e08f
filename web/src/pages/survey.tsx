import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, explain } from '../api.ts';
import { AnswerList, answerItem } from '../components/answer-list.tsx';
import { CategoryBar, Distribution, NpsHeadline } from '../components/figures.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { FilterBar } from '../components/filter-bar.tsx';
import { IntervalPlot } from '../components/interval-plot.tsx';
import { useTitle } from '../components/shell.tsx';
import { Async, Empty, ErrorNotice, Loading, Stale } from '../components/states.tsx';
import { SurveyEditor } from '../components/survey-editor.tsx';
import { SurveyRuns } from '../components/survey-runs.tsx';
import { SurveyShare } from '../components/survey-share.tsx';
import { TrendChart } from '../components/trend-chart.tsx';
import { answersListIgnoresSome, answersQuery, trendQuery, useFilters } from '../filters.ts';
import { BASE, surveyHref } from '../links.ts';
import { useCan } from '../session.ts';
import { draftOf, inputOf, newDraft } from '../survey-draft.ts';
import type { AnswerPage, BreakdownReply, NpsReply, SurveyDetail, SurveyView, TrendReply } from '../types.ts';
import { forgetShared, useApi } from '../use-api.ts';

const TABS = [['results', 'Results'], ['edit', 'Edit'], ['share', 'Share'], ['runs', 'Send']] as const;

export default function SurveyPage() {
  const { params } = useRoute();
  return params.id ? <Existing id={params.id} /> : <New />;
}

function New() {
  useTitle('New survey');
  const loc = useLocation();
  const canEdit = useCan('analyst');
  return (
    <>
      <div class="page-head">
        <div>
          <h1>New survey</h1>
          <p><a href={`${BASE}/surveys`}>Surveys</a> / new</p>
        </div>
      </div>
      {canEdit ? (
        <SurveyEditor initial={newDraft()} onSaved={(s) => {
          forgetShared('/api/v1/surveys');
          loc.route(surveyHref(s.id, 'share'));
        }} />
      ) : <ErrorNotice title="Not allowed with your role" error={new Error('Creating a survey needs the analyst or admin role. Ask an admin of this workspace to change your role.')} />}
    </>
  );
}

function Existing({ id }: { id: string }) {
  const loc = useLocation();
  const tab = TABS.some(([t]) => t === loc.query.tab) ? loc.query.tab : 'results';
  const survey = useApi<SurveyDetail>(`/api/v1/surveys/${encodeURIComponent(id)}`);
  useTitle(survey.data?.survey.name ?? 'Survey');
  const tabHref = (t: string) => {
    const params = new URLSearchParams(loc.query);
    params.set('tab', t);
    return `${loc.path}?${params}`;
  };
  return (
    <Async state={survey} what="Loading the survey">
      {({ survey: s, versions }) => (
        <>
          <div class="page-head">
            <div>
              <h1>{s.name}</h1>
              <p><a href={`${BASE}/surveys`}>Surveys</a> / {s.status} · version {s.version} of {versions.length}</p>
            </div>
          </div>
          {s.status === 'paused' && <PausedNotice survey={s} onActive={() => {
            forgetShared('/api/v1/surveys');
            survey.reload();
          }} />}
          <nav class="tabs" aria-label="Survey">
            {TABS.map(([t, label]) => <a key={t} href={tabHref(t)} aria-current={tab === t ? 'page' : undefined}>{label}</a>)}
          </nav>
          {tab === 'results' && <Results survey={s} />}
          {tab === 'edit' && (
            <SurveyEditor key={`${s.id}:${s.version}:${s.status}`} initial={draftOf(s.definition, s.status)} surveyId={s.id} onSaved={() => {
              forgetShared('/api/v1/surveys');
              survey.reload();
            }} />
          )}
          {tab === 'share' && <SurveyShare survey={s} />}
          {tab === 'runs' && <SurveyRuns survey={s} />}
        </>
      )}
    </Async>
  );
}

/** A paused survey (a new one is a draft) asks nobody: said once, above every tab, with the way to start it. */
function PausedNotice({ survey, onActive }: { survey: SurveyView; onActive(): void }) {
  const canEdit = useCan('analyst');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="notice" role="note">
      <p><strong>Paused:</strong> this survey asks nobody yet. Its widget, links and sends show nothing until it is active.</p>
      {canEdit && <button type="button" disabled={busy} onClick={async () => {
        setBusy(true);
        setError(null);
        try {
          await api(`/api/v1/surveys/${encodeURIComponent(survey.id)}`, { method: 'PUT', body: { ...inputOf(draftOf(survey.definition, survey.status)), status: 'active' } });
          onActive();
        } catch (err) {
          setError(explain(err, 'analyst'));
        } finally {
          setBusy(false);
        }
      }}>Make it active</button>}
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

function Results({ survey }: { survey: SurveyView }) {
  const { filters, api: base } = useFilters();
  const q = { ...base, surveyId: survey.id };
  const nps = useApi<NpsReply>('/api/v1/metrics/nps', q);
  const trend = useApi<TrendReply>('/api/v1/metrics/trend', { ...q, ...trendQuery(filters) });
  const byChannel = useApi<BreakdownReply>('/api/v1/metrics/breakdown', { ...q, by: 'channel' });
  const answers = useApi<AnswerPage>('/api/v1/answers', { ...answersQuery(filters, 20), surveyId: survey.id });
  return (
    <>
      <FilterBar survey={false} />
      <Stale when={!!nps.data && (nps.loading || trend.loading || byChannel.loading || answers.loading)}>
        {nps.error ? <ErrorNotice error={nps.error} retry={nps.reload} /> : !nps.data ? <Loading /> : nps.data.n === 0 ? (
          <Empty title="No answers to this survey in this time range">
            <p>Answers appear here once people answer it. See <a href={surveyHref(survey.id, 'share')}>Share</a> for the widget tag, a link and a QR code, or <a href={surveyHref(survey.id, 'runs')}>Send</a> to email an audience. A wider time range may help too.</p>
          </Empty>
        ) : (
          <>
            <div class="grid">
              <section class="panel"><NpsHeadline figure={nps.data} change={nps.data.change} previous={nps.data.previous} label={`NPS of ${survey.name}`} /><WindowNote window={nps.data.window} count={nps.data.n} /></section>
              <section class="panel" aria-labelledby="h-s-cat"><h2 id="h-s-cat">Promoters, passives and detractors</h2><WindowNote window={nps.data.window} count={nps.data.n} /><CategoryBar figure={nps.data} /></section>
              <section class="panel" aria-labelledby="h-s-dist"><h2 id="h-s-dist">Scores</h2><WindowNote window={nps.data.window} count={nps.data.n} /><Distribution counts={nps.data.distribution} /></section>
            </div>
            <section class="panel" aria-labelledby="h-s-trend" style={{ marginTop: '1rem' }}>
              <h2 id="h-s-trend">Over time</h2>
              {trend.data && <WindowNote window={trend.data.window} count={trend.data.points.reduce((s, p) => s + p.n, 0)} />}
              {trend.data ? <TrendChart points={trend.data.points} annotations={trend.data.annotations} height={240} /> : trend.error ? <ErrorNotice error={trend.error} /> : <Loading />}
            </section>
            <section class="panel" aria-labelledby="h-s-channel">
              <h2 id="h-s-channel">By channel</h2>
              {byChannel.data && <WindowNote window={byChannel.data.window} count={byChannel.data.total.n} />}
              {byChannel.data ? (
                <IntervalPlot title="NPS by channel" rows={byChannel.data.rows.map((r) => ({ label: `${r.label} (${r.n})`, value: r.nps, low: r.adjusted.low, high: r.adjusted.high, mark: r.mark }))} reference={byChannel.data.total.nps} referenceLabel="This survey" />
              ) : byChannel.error ? <ErrorNotice error={byChannel.error} /> : <Loading />}
            </section>
            <section class="panel" aria-labelledby="h-s-answers">
              <h2 id="h-s-answers">Latest answers</h2>
              {answersListIgnoresSome(filters) && <p class="small muted">Listed by time, channel and stage only: the answers list does not take segments or traits.</p>}
              {answers.error ? <ErrorNotice error={answers.error} retry={answers.reload} /> : !answers.data ? <Loading /> : (
                <AnswerList label={`Latest answers to ${survey.name}`} items={answers.data.items.map(answerItem)} showSurvey={false} />
              )}
            </section>
          </>
        )}
      </Stale>
    </>
  );
}

