import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api } from '../api.ts';
import { AnswerList, answerItem } from '../components/answer-list.tsx';
import { Highlighted } from '../components/highlighted.tsx';
import { useTitle } from '../components/shell.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { Async, ErrorNotice, Loading } from '../components/states.tsx';
import { categoryOf, fmtDate, fmtDateTime, fmtDecimal, fmtInt, fmtMoney, fmtPct, fmtProperty, fmtValue } from '../format.ts';
import type { Answer, AnswerPage, ChurnRisk, Profile, ProfileSegments, TimelineItem, TimelinePage, TraitHistory as TraitChanges } from '../types.ts';
import { surveyHref } from '../links.ts';
import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import { useApi } from '../use-api.ts';

const COMPUTED_LABELS: Record<string, string> = {
  firstSeen: 'First seen', lastSeen: 'Last seen', orderCount: 'Orders', lifetimeRevenue: 'Lifetime revenue', lastOrderAt: 'Last order',
  daysSinceLastOrder: 'Days since last order', tenureDays: 'Customer for (days)', journeyStage: 'Journey stage',
  previousNpsScore: 'Previous NPS score', npsChange: 'NPS change', lastCampaign: 'Last campaign', lastUtmSource: 'Last UTM source',
};
const DATES = new Set(['firstSeen', 'lastSeen', 'lastOrderAt']);

export default function ProfilePage() {
  const { params } = useRoute();
  const id = params.id;
  const profile = useApi<Profile>(`/api/v1/profiles/${encodeURIComponent(id)}`);
  const p = profile.data;
  const name = p ? p.personLabel : 'Person';
  useTitle(name);

  return (
    <Async state={profile} what="Loading the profile">
      {(p) => (
        <>
          <div class="page-head">
            <div>
              <h1>{name}</h1>
              <p>
                {[p.person?.email, p.person?.phone].filter((v) => v && v !== name).map((v) => <span key={v}>{v} · </span>)}
                {p.userId ? <>User id <code>{p.userId}</code> · </> : null}
                Profile <code>{p.id}</code>
              </p>
            </div>
            <div class="row">
              {typeof p.computed.journeyStage === 'string' && <span class="badge">{dimensionValueLabel('stage', p.computed.journeyStage)}</span>}
              {p.computed.latestNps && <span class={`badge ${p.computed.latestNps.category}`}>Latest NPS {p.computed.latestNps.score} ({p.computed.latestNps.category})</span>}
            </div>
          </div>
          {p.id !== id && <p class="notice small">This person was merged into the profile shown here.</p>}
          <div class="grid">
            <ChurnPanel id={p.id} />
            <section class="panel" aria-labelledby="h-computed">
              <h2 id="h-computed">Computed traits</h2>
              <dl class="facts">
                {Object.entries(p.computed).filter(([k]) => k !== 'latestNps').map(([k, v]) => (
                  <Fact key={k} term={COMPUTED_LABELS[k] ?? k} value={DATES.has(k) ? fmtDate(v as string) : k === 'lifetimeRevenue' ? fmtMoney(v as number) : k === 'journeyStage' ? dimensionValueLabel('stage', v as string | null) : typeof v === 'number' && Number.isInteger(v) ? fmtInt(v) : fmtValue(v)} />
                ))}
              </dl>
            </section>
            <Segments profile={p} />
          </div>
          <div class="cols-2" style={{ marginTop: '1rem' }}>
            <div>
              <NpsHistory id={p.id} />
              <section class="panel" aria-labelledby="h-traits">
                <h2 id="h-traits">Traits</h2>
                {Object.keys(p.traits).length === 0 ? <p class="muted">No traits: identify calls set them.</p> : (
                  <dl class="facts">{Object.entries(p.traits).map(([k, v]) => <Fact key={k} term={k} value={fmtProperty(k, v)} />)}</dl>
                )}
                <TraitHistory id={p.id} />
              </section>
              <section class="panel" aria-labelledby="h-ids">
                <h2 id="h-ids">Identities</h2>
                <ul class="small" style={{ paddingLeft: '1.1rem', margin: 0 }}>
                  {p.identities.map((i) => <li key={`${i.kind}:${i.value}`}><strong>{i.kind}</strong> <span style={{ overflowWrap: 'anywhere' }}>{i.value}</span> <span class="muted">linked {fmtDate(i.since)}</span></li>)}
                </ul>
                {p.mergedFrom.length > 0 && (
                  <p class="small muted" style={{ marginTop: '.5rem' }}>Merged from {p.mergedFrom.map((m) => `${m.profileId} (${m.reason}, ${fmtDate(m.at)})`).join('; ')}</p>
                )}
                {p.groups.length > 0 && <p class="small">Groups: {p.groups.join(', ')}</p>}
              </section>
            </div>
            <Timeline id={p.id} />
          </div>
        </>
      )}
    </Async>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  return <><dt>{term}</dt><dd>{value}</dd></>;
}

function ChurnPanel({ id }: { id: string }) {
  const risk = useApi<ChurnRisk>(`/api/v1/profiles/${encodeURIComponent(id)}/churn-risk`);
  return (
    <section class="panel" aria-labelledby="h-churn">
      <h2 id="h-churn">Churn risk</h2>
      <Async state={risk}>
        {(r) => r.risk == null ? <p class="muted">{r.reason ?? 'No churn risk for this person.'}</p> : (
          <>
            <div class="kpi" style={{ fontSize: '2rem' }}>{fmtPct(r.risk)}</div>
            <p class="small muted">chance of churning, from a model with AUC {fmtDecimal(r.model?.auc)} trained {fmtDate(r.model?.trainedAt)}</p>
            {r.factors.length > 0 && <><h3>Raising it most</h3><ul class="small" style={{ paddingLeft: '1.1rem', margin: 0 }}>{r.factors.map((f) => <li key={f.feature}>{f.text}</li>)}</ul></>}
            {r.lowering.length > 0 && <><h3 style={{ marginTop: '.75rem' }}>Lowering it</h3><ul class="small" style={{ paddingLeft: '1.1rem', margin: 0 }}>{r.lowering.map((f) => <li key={f.feature}>{f.text}</li>)}</ul></>}
          </>
        )}
      </Async>
    </section>
  );
}

/** Saved segments this person is in now, as the server evaluates them. */
function Segments({ profile }: { profile: Profile }) {
  const segments = useApi<ProfileSegments>(`/api/v1/profiles/${encodeURIComponent(profile.id)}/segments`);
  return (
    <section class="panel" aria-labelledby="h-segments">
      <h2 id="h-segments">Segments</h2>
      <Async state={segments}>
        {(s) => s.of === 0 ? <p class="muted">This workspace has no saved segments yet.</p>
          : s.items.length === 0 ? <p class="muted">In none of the {s.of} saved segments.</p>
          : <ul style={{ paddingLeft: '1.1rem', margin: 0 }}>{s.items.map((seg) => <li key={seg.id}>{seg.name}</li>)}</ul>}
      </Async>
    </section>
  );
}

function NpsHistory({ id }: { id: string }) {
  const answers = useApi<AnswerPage>('/api/v1/answers', { profileId: id, limit: 50 });
  return (
    <section class="panel" aria-labelledby="h-nps-history">
      <h2 id="h-nps-history">NPS answers</h2>
      <Async state={answers}>
        {(a) => a.items.length === 0 ? <p class="muted">No answers from this person yet.</p> : (
          <>
            <WindowNote window={{ from: null, to: new Date().toISOString() }} count={a.items.length} population={a.items.length >= 50 ? "this person's latest 50" : "every answer of this person"} />
            <ScoreHistory answers={a.items} />
            <AnswerList label="Answers of this person" showPerson={false} items={a.items.map(answerItem)} />
          </>
        )}
      </Async>
    </section>
  );
}

/** Scores over time as dots on a 0–10 scale. */
function ScoreHistory({ answers }: { answers: Answer[] }) {
  const sorted = [...answers].sort((a, b) => a.answeredAt.localeCompare(b.answeredAt));
  if (sorted.length < 2) return null;
  const t0 = Date.parse(sorted[0].answeredAt);
  const t1 = Date.parse(sorted[sorted.length - 1].answeredAt);
  const x = (iso: string) => 20 + ((Date.parse(iso) - t0) / (t1 - t0 || 1)) * 560;
  const y = (s: number) => 10 + (10 - s) * 8;
  const color = { promoter: 'var(--promoter)', passive: '#d4a017', detractor: 'var(--detractor)' };
  return (
    <svg viewBox="0 0 600 100" width="100%" role="img" aria-label={`Scores over time: ${sorted.map((a) => `${a.score} on ${fmtDate(a.answeredAt)}`).join(', ')}`} style={{ display: 'block', marginBottom: '.5rem' }}>
      {[0, 5, 10].map((s) => <line key={s} x1="20" x2="580" y1={y(s)} y2={y(s)} stroke="#eef0f4" />)}
      <polyline fill="none" stroke="#c3c8d2" points={sorted.map((a) => `${x(a.answeredAt)},${y(a.score)}`).join(' ')} />
      {sorted.map((a) => <circle key={a.id} cx={x(a.answeredAt)} cy={y(a.score)} r="5" fill={color[categoryOf(a.score)]} />)}
    </svg>
  );
}

function TraitHistory({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const history = useApi<TraitChanges>(open ? `/api/v1/profiles/${encodeURIComponent(id)}/traits/history` : null);
  return (
    <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)} style={{ marginTop: '.5rem' }}>
      <summary class="small">How traits changed</summary>
      {open && (
        <Async state={history}>
          {(h) => h.changes.length === 0 ? <p class="muted small">No changes recorded.</p> : (
            <ul class="small" style={{ paddingLeft: '1.1rem' }}>
              {h.changes.map((c, i) => <li key={i}>{fmtDate(c.changedAt)}: <strong>{c.trait}</strong> {c.previous == null ? 'set to' : `${fmtValue(c.previous)} →`} {fmtValue(c.value)}</li>)}
            </ul>
          )}
        </Async>
      )}
    </details>
  );
}

function Timeline({ id }: { id: string }) {
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function more(from?: string | null) {
    setBusy(true);
    try {
      const r = await api<TimelinePage>(`/api/v1/profiles/${encodeURIComponent(id)}/timeline`, { query: { limit: 30, cursor: from ?? null } });
      setItems((now) => [...now, ...r.items]);
      setCursor(r.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => {
    setItems([]);
    void more(null);
  }, [id]);

  return (
    <section class="panel" aria-labelledby="h-timeline">
      <h2 id="h-timeline">Timeline</h2>
      {error ? <ErrorNotice error={error} retry={() => void more(cursor)} /> : null}
      {cursor === undefined && !error ? <Loading /> : items.length === 0 && !error ? <p class="muted">No events yet.</p> : (
        <ol class="timeline" aria-label="Events and answers, newest first">
          {items.map((e) => (
            <li key={e.id} class={e.answer ? 'answer' : undefined}>
              <div class="row" style={{ justifyContent: 'space-between' }}>
                <strong>{e.answer ? `NPS answer: ${e.answer.score}` : e.name || e.type}</strong>
                <time class="small muted" dateTime={e.timestamp}>{fmtDateTime(e.timestamp)}</time>
              </div>
              {e.answer ? (
                <>
                  {e.answer.comment && <p class="comment" style={{ margin: '.2rem 0', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}><Highlighted comment={e.answer.comment} text={e.answer.text} /></p>}
                  <p class="small muted" style={{ margin: 0 }}>{dimensionValueLabel('channel', e.answer.channel)}{e.answer.surveyId && <> · {e.answer.surveyTitle ? <a href={surveyHref(e.answer.surveyId)}>{e.answer.surveyTitle}</a> : e.answer.surveyId}</>}</p>
                </>
              ) : <EventDetails e={e} />}
            </li>
          ))}
        </ol>
      )}
      {cursor && <button type="button" disabled={busy} onClick={() => void more(cursor)}>{busy ? 'Loading…' : 'Show older events'}</button>}
    </section>
  );
}

function EventDetails({ e }: { e: TimelineItem }) {
  const props = e.properties && Object.keys(e.properties).length ? e.properties : e.traits && Object.keys(e.traits).length ? e.traits : null;
  if (!props) return <p class="small muted" style={{ margin: 0 }}>{e.type}</p>;
  const summary = Object.entries(props).filter(([, v]) => typeof v !== 'object' || v === null).slice(0, 3).map(([k, v]) => `${k}: ${fmtProperty(k, v)}`).join(' · ');
  return (
    <details>
      <summary>{e.type}{summary ? ` · ${summary}` : ''}</summary>
      <pre>{JSON.stringify(props, null, 2)}</pre>
    </details>
  );
}

