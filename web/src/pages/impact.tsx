import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api.ts';
import { IntervalPlot } from '../components/interval-plot.tsx';
import { useTitle } from '../components/shell.tsx';
import { Async, Empty } from '../components/states.tsx';
import { WindowNote } from '../components/window-note.tsx';
import { fmtDate, fmtDecimal, fmtInt, fmtInterval, fmtMoney, fmtNps, fmtPct } from '../format.ts';
import { PersonLink } from '../components/person-link.tsx';
import { useCan } from '../session.ts';
import type { TaxonomyReply, AtRiskPage as AtRiskReply, Behaviour, CampaignImpact, CampaignList, ChurnFactor, ChurnModelReply, Proportion } from '../types.ts';
import { useAction } from '../use-action.ts';
import { useApi, useShared } from '../use-api.ts';

export default function Impact() {
  useTitle('Impact');
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Impact</h1>
          <p>What campaigns do to NPS, what each kind of customer does after answering, and who is likely to leave.</p>
        </div>
        <nav class="row small" aria-label="On this page"><a href="#campaigns">Campaigns</a><a href="#behaviour">Behaviour</a><a href="#churn">Churn risk</a></nav>
      </div>
      <Campaigns />
      <BehaviourPanel />
      <Churn />
    </>
  );
}

function Campaigns() {
  const loc = useLocation();
  const list = useApi<CampaignList>('/api/v1/impact/campaigns');
  const chosen = loc.query.campaign || list.data?.items[0]?.campaign || null;
  const impact = useApi<CampaignImpact>(chosen ? '/api/v1/impact/campaign' : null, { campaign: chosen });
  const pick = (c: string) => {
    const params = new URLSearchParams(loc.query);
    params.set('campaign', c);
    loc.route(`${loc.path}?${params}`, true);
  };
  return (
    <section class="panel" id="campaigns" aria-labelledby="h-campaigns">
      <h2 id="h-campaigns">Campaign impact</h2>
      <Async state={list}>
        {(l) => l.items.length === 0 ? (
          <Empty title="No campaigns seen yet">
            <p>Campaigns are read from opens and clicks: track events such as <code>{l.events.slice(0, 2).join('</code> or <code>')}</code> with a <code>campaign</code> property.</p>
          </Empty>
        ) : (
          <>
            <div class="field" style={{ maxWidth: '28rem' }}>
              <label for="campaign">Campaign</label>
              <select id="campaign" value={chosen ?? ''} onChange={(e) => pick(e.currentTarget.value)}>
                {l.items.map((c) => <option key={c.campaign} value={c.campaign}>{c.campaign} ({fmtInt(c.people)} people, {fmtDate(c.firstAt)})</option>)}
              </select>
            </div>
            <Async state={impact} what="Comparing">
              {(r) => (
                <>
                  <p><strong>{r.summary.split(': ')[0]}.</strong> {fmtInt(r.exposure.people)} people saw it ({fmtInt(r.exposure.answering)} of them answered a survey), from {fmtDate(r.exposure.firstAt)} to {fmtDate(r.exposure.lastAt)}.</p>
                  <div class="grid">
                    <div>
                      <h3>Same people, before and after</h3>
                      <WindowNote window={null} count={r.beforeAfter.pairs} noun={['person', 'people']} population={`who saw it and answered both in the ${fmtInt(r.windowDays)} days before and in the ${fmtInt(r.windowDays)} days after`} />
                      <p class="small">{fmtNps(r.beforeAfter.before.nps)} → {fmtNps(r.beforeAfter.after.nps)} ({fmtInt(r.beforeAfter.pairs)} people answered both): {r.beforeAfter.verdict.text}</p>
                      <p class="small"><strong>Net of people who did not see it:</strong> {r.netChange.verdict.text}</p>
                    </div>
                    <div>
                      <h3>Saw it vs did not, same period</h3>
                      <WindowNote window={r.exposedVsNot.to == null ? null : { from: r.exposedVsNot.from, to: r.exposedVsNot.to }} count={r.exposedVsNot.exposed.n + r.exposedVsNot.unexposed.n} />
                      <p class="small">{fmtNps(r.exposedVsNot.exposed.nps)} ({fmtInt(r.exposedVsNot.exposed.n)} answers) vs {fmtNps(r.exposedVsNot.unexposed.nps)} ({fmtInt(r.exposedVsNot.unexposed.n)}): {r.exposedVsNot.verdict.text}</p>
                    </div>
                  </div>
                  <IntervalPlot
                    title="NPS of the comparisons"
                    rows={[
                      { label: 'Exposed, before', value: r.beforeAfter.before.nps, low: r.beforeAfter.before.adjusted.low, high: r.beforeAfter.before.adjusted.high, muted: true },
                      { label: 'Exposed, after', value: r.beforeAfter.after.nps, low: r.beforeAfter.after.adjusted.low, high: r.beforeAfter.after.adjusted.high },
                      { label: 'Not exposed, before', value: r.unexposedBeforeAfter.before.nps, low: r.unexposedBeforeAfter.before.adjusted.low, high: r.unexposedBeforeAfter.before.adjusted.high, muted: true },
                      { label: 'Not exposed, after', value: r.unexposedBeforeAfter.after.nps, low: r.unexposedBeforeAfter.after.adjusted.low, high: r.unexposedBeforeAfter.after.adjusted.high, muted: true },
                      { label: 'Saw it (same period)', value: r.exposedVsNot.exposed.nps, low: r.exposedVsNot.exposed.adjusted.low, high: r.exposedVsNot.exposed.adjusted.high },
                      { label: 'Did not (same period)', value: r.exposedVsNot.unexposed.nps, low: r.exposedVsNot.unexposed.adjusted.low, high: r.exposedVsNot.unexposed.adjusted.high, muted: true },
                    ]}
                  />
                  <details><summary class="small">How to read this</summary><p class="small">{r.caveat}</p></details>
                </>
              )}
            </Async>
          </>
        )}
      </Async>
    </section>
  );
}

function BehaviourPanel() {
  const [days, setDays] = useState(90);
  // Only customers whose comment mentions a theme: what the ones who complained about it did next.
  const [theme, setTheme] = useState('');
  const themes = useShared<TaxonomyReply>('/api/v1/themes');
  const b = useApi<Behaviour>('/api/v1/metrics/behaviour', { days, theme: theme || null });
  const themeName = themes.data?.themes.find((t) => t.id === theme)?.name ?? theme;
  const rate = (r: Proportion) => `${fmtPct(r.share)} (${fmtPct(r.low)}–${fmtPct(r.high)})`;
  return (
    <section class="panel" id="behaviour" aria-labelledby="h-behaviour">
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="h-behaviour">Sentiment and behaviour</h2>
        <div class="row">
          <label for="behaviour-theme" class="small" style={{ margin: 0 }}>Comments about</label>
          <select id="behaviour-theme" value={theme} onChange={(e) => setTheme(e.currentTarget.value)}>
            <option value="">Any (every answer)</option>
            {themes.data?.themes.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
          <label for="days" class="small" style={{ margin: 0 }}>Days after the answer</label>
          <select id="days" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {[30, 60, 90, 180].map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </div>
      </div>
      <Async state={b} what="Reading what customers did">
        {(r) => r.customers === 0 && theme ? <Empty title={`No one whose comment mentions ${themeName} yet`}><p>Customers count here once {fmtInt(r.days)} days have passed since their latest answer mentioning it. Choose another theme, or Any.</p></Empty> : r.customers === 0 ? <Empty title="Not enough history yet"><p>This compares what customers did in the {r.days} days after their latest answer; it needs answers older than that and orders (track <code>Order Completed</code> with <code>revenue</code>).</p></Empty> : (
          <>
            <WindowNote window={{ from: null, to: r.answeredBy }} count={r.customers} noun={['customer', 'customers']} population={theme ? `each by their latest answer whose comment mentions ${themeName}, whose ${fmtInt(r.days)} days after answering have ended` : `each by their latest answer, whose ${fmtInt(r.days)} days after answering have ended`} />
            <ul>{r.findings.map((f, i) => <li key={i}>{f}</li>)}</ul>
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Category</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Revenue per customer</th><th scope="col" class="num">Orders per customer</th><th scope="col" class="num">Bought again</th><th scope="col" class="num hide-narrow">Repeat purchase</th><th scope="col" class="num">Churned</th></tr></thead>
                <tbody>
                  {r.categories.map((c) => (
                    <tr key={c.category}>
                      <th scope="row"><span class={`badge ${c.category}`}>{c.category}s</span></th>
                      <td class="num">{fmtInt(c.customers)}</td>
                      <td class="num">{fmtMoney(c.revenuePerCustomer)}</td>
                      <td class="num">{fmtDecimal(c.ordersPerCustomer)}</td>
                      <td class="num">{rate(c.buying)}</td>
                      <td class="num hide-narrow">{rate(c.repeat)}</td>
                      <td class="num">{rate(c.churned)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="small" style={{ marginTop: '.75rem' }}>
              Revenue-weighted NPS {fmtNps(r.revenueWeighted.nps)} ({fmtInterval(r.revenueWeighted.low, r.revenueWeighted.high)}) against {fmtNps(r.revenueWeighted.unweightedNps)} unweighted.
              Churn: no order for {r.churn.inactiveDays} days{r.churn.event ? ` or ${r.churn.event}` : ''}. Answers up to {fmtDate(r.answeredBy)}.
            </p>
          </>
        )}
      </Async>
    </section>
  );
}

function Churn() {
  const canRetrain = useCan('analyst');
  const model = useApi<ChurnModelReply>('/api/v1/churn/model');
  const [pages, setPages] = useState<Array<string | null>>([null]);
  const { busy, message, run } = useAction();
  return (
    <section class="panel" id="churn" aria-labelledby="h-churn">
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="h-churn">Churn risk</h2>
        {canRetrain && <button type="button" disabled={busy} onClick={() => void run(async () => {
          await api('/api/v1/churn/model', { method: 'POST' });
          model.reload();
          setPages([null]);
        }, 'Retrained.')}>{busy ? 'Training…' : 'Retrain now'}</button>}
      </div>
      {message && <p role="status" class="small">{message}</p>}
      <Async state={model}>
        {(m) => !m.model ? <Empty title="No churn model yet"><p>{m.reason ?? 'The model learns from the workspace’s own history of orders and answers; it needs customers who were active 90 days ago.'}</p></Empty> : (
          <>
            <WindowNote window={null} count={m.model.customers} noun={['customer', 'customers']} population={`active on ${fmtDate(m.model.cutoff)}, each followed for the ${fmtInt(m.model.definition.inactiveDays)} days after`} />
            <p>
              Out-of-sample AUC <strong>{fmtDecimal(m.model.auc)}</strong> ({m.model.aucInterval ? <>95% interval {fmtDecimal(m.model.aucInterval.low)} to {fmtDecimal(m.model.aucInterval.high)}; </> : null}0.5 is a coin toss),
              learnt from {fmtInt(m.model.customers)} customers of whom {fmtPct(m.model.baseRate)} churned; trained {fmtDate(m.model.trainedAt)}.
            </p>
            <details>
              <summary class="small">What raises and lowers the risk</summary>
              <Effects title="Raises the risk" items={m.model.coefficients.filter((c) => c.coefficient > 0)} />
              <Effects title="Lowers the risk" items={m.model.coefficients.filter((c) => c.coefficient < 0)} />
            </details>
            <h3 style={{ marginTop: '.75rem' }}>Most at risk</h3>
            {pages.map((cursor, i) => <AtRiskPage key={cursor ?? 'first'} cursor={cursor} last={i === pages.length - 1} more={(c) => setPages([...pages, c])} />)}
          </>
        )}
      </Async>
    </section>
  );
}

function AtRiskPage({ cursor, last, more }: { cursor: string | null; last: boolean; more(c: string): void }) {
  const page = useApi<AtRiskReply>('/api/v1/churn/at-risk', { limit: 15, cursor });
  return (
    <Async state={page}>
      {(p) => (
        <>
          {p.items.length === 0 && !cursor ? <p class="muted">Nobody scored yet.</p> : (
            <div class="table-wrap">
              <table>
                {!cursor && <thead><tr><th scope="col">Customer</th><th scope="col" class="num">Risk</th><th scope="col">Why</th></tr></thead>}
                <tbody>
                  {p.items.map((x) => (
                    <tr key={x.profileId}>
                      <td style={{ width: '35%' }}><PersonLink profileId={x.profileId} person={{ name: x.name, email: x.email, phone: null }} />{x.name && x.email && <div class="small muted">{x.email}</div>}</td>
                      <td class="num" style={{ width: '10%' }}>{fmtPct(x.risk)}</td>
                      <td class="small">
                        {x.factors.length ? <Reasons title="Raises it" items={x.factors} /> : <span class="muted">Nothing stands out</span>}
                        {x.lowering.length > 0 && <Reasons title="Lowers it" items={x.lowering} muted />}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {last && p.nextCursor && <button type="button" onClick={() => more(p.nextCursor!)}>Show more</button>}
        </>
      )}
    </Async>
  );
}


/** The model's factors pushing one way, under a heading that says which way. */
function Effects({ title, items }: { title: string; items: Array<{ feature: string; effect: string; oddsRatio: number }> }) {
  if (!items.length) return null;
  return (
    <>
      <h4 class="small" style={{ margin: '.5rem 0 .2rem' }}>{title}</h4>
      <ul class="small" style={{ margin: 0 }}>
        {items.map((c) => <li key={c.feature}>{c.effect} <span class="muted">(odds × {fmtDecimal(c.oddsRatio)} per standard deviation)</span></li>)}
      </ul>
    </>
  );
}

/** One person's reasons in the direction the heading says: the server lists each only that way. */
function Reasons({ title, items, muted }: { title: string; items: ChurnFactor[]; muted?: boolean }) {
  // The column says why the risk is high; only the other direction needs its heading on screen.
  return (
    <div class={muted ? 'muted' : undefined} style={muted ? { marginTop: '.25rem' } : undefined}>
      <span class={muted ? undefined : 'visually-hidden'}>{title}:</span>
      <ul style={{ margin: 0, paddingLeft: '1.1rem' }}>{items.map((f) => <li key={f.feature}>{f.text}</li>)}</ul>
    </div>
  );
}
