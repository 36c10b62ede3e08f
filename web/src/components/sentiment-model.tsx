import { useEffect } from 'preact/hooks';
import { api } from '../api.ts';
import { fmtDateTime, fmtDecimal, fmtInt, fmtPct } from '../format.ts';
import { useCan } from '../session.ts';
import type { TextModelReply } from '../types.ts';
import { useAction } from '../use-action.ts';
import { useApi } from '../use-api.ts';
import { Async, Empty } from './states.tsx';

type Model = NonNullable<TextModelReply['model']>;

/**
 * The workspace's own sentiment model: what it learnt from, how it does on comments it did not
 * learn from next to the lexicon on the same ones, and how far the stored comments are read by it.
 * An analyst may train it now; it is otherwise learnt again on the server's schedule.
 */
export function SentimentModel() {
  const canTrain = useCan('analyst');
  const state = useApi<TextModelReply>('/api/v1/text/model');
  const { busy, message, run } = useAction();
  // While the stored comments are read again (after a training), the count is looked at again every two seconds.
  const reading = !!state.data?.analysis && state.data.analysis.current < state.data.analysis.comments;
  useEffect(() => {
    if (!reading || state.loading) return;
    const timer = setTimeout(state.reload, 2000);
    return () => clearTimeout(timer);
  }, [reading, state.loading, state.data]);
  const train = () => run(async () => {
    await api('/api/v1/text/model/train', { method: 'POST' });
    state.reload();
  }, 'Trained. The stored comments are read again with it in the background.');
  return (
    <section class="panel" id="sentiment-model" aria-labelledby="h-model">
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="h-model">Sentiment model</h2>
        {canTrain && state.data && <button type="button" disabled={busy} onClick={() => void train()}>{busy ? 'Training…' : state.data.model ? 'Retrain now' : 'Train now'}</button>}
      </div>
      {message && <p role="status" class="small">{message}</p>}
      <Async state={state} what="Reading the model">
        {(r) => (r.model ? <Learnt model={r.model} reply={r} /> : <NotYet reply={r} />)}
      </Async>
    </section>
  );
}

function NotYet({ reply }: { reply: TextModelReply }) {
  const l = reply.learning;
  const enough = l && [l.comments.negative, l.comments.neutral, l.comments.positive].every((n) => n >= l.needed);
  return (
    <Empty title="No sentiment model yet">
      <p>
        Until the workspace has its own, sentiment comes from a lexicon (with negation, contrast and intensifiers).
        {l && <> The model learns from the answers: each comment labelled by its score (0–6 negative, 7–8 neutral, 9–10 positive), at least {fmtInt(l.needed)} of each. There are {fmtInt(l.comments.negative)} comments from detractors, {fmtInt(l.comments.neutral)} from passives and {fmtInt(l.comments.positive)} from promoters{enough ? ': enough, it is learnt within minutes.' : '.'}</>}
      </p>
    </Empty>
  );
}

function Learnt({ model, reply }: { model: Model; reply: TextModelReply }) {
  const e = model.evaluation;
  const a = reply.analysis;
  return (
    <>
      <p>
        Learnt from <strong>{fmtInt(model.examples)}</strong> comments on {fmtDateTime(model.trainedAt)}, each labelled by its answer (0–6 negative, 7–8 neutral, 9–10 positive)
        {reply.learning ? `; learnt again every ${fmtInt(reply.learning.everyHours)} hours` : ''}.
        {e ? <> On <strong>{fmtInt(e.heldOut)}</strong> comments kept out of its training, it gives <strong>{fmtPct(e.accuracy)}</strong> the label of their answer; the lexicon alone {fmtPct(e.lexiconAccuracy)}.</> : ' Too few comments to keep some out of training and measure it.'}
      </p>
      {e && (
        <div class="table-wrap">
          <table class="compact" data-model-evaluation>
            <thead><tr><th scope="col">On the held-out comments</th><th scope="col" class="num">Model</th><th scope="col" class="num">Lexicon</th></tr></thead>
            <tbody>
              <tr><th scope="row">Labels right</th><td class="num">{fmtPct(e.accuracy)}</td><td class="num">{fmtPct(e.lexiconAccuracy)}</td></tr>
              {e.macroF1 != null && <tr><th scope="row">F1, mean over the three labels</th><td class="num">{fmtDecimal(e.macroF1)}</td><td class="num">{fmtDecimal(e.lexiconMacroF1)}</td></tr>}
              <tr><th scope="row">Detractors' comments told from promoters' ({fmtInt(e.detractorVsPromoter.examples)})</th><td class="num">{fmtPct(e.detractorVsPromoter.model)}</td><td class="num">{fmtPct(e.detractorVsPromoter.lexicon)}</td></tr>
              <tr><th scope="row">Negative comments found</th><td class="num">{fmtPct(e.recall.negative)}</td><td class="num muted">—</td></tr>
              <tr><th scope="row">Neutral comments found</th><td class="num">{fmtPct(e.recall.neutral)}</td><td class="num muted">—</td></tr>
              <tr><th scope="row">Positive comments found</th><td class="num">{fmtPct(e.recall.positive)}</td><td class="num muted">—</td></tr>
            </tbody>
          </table>
        </div>
      )}
      {a && <p class="small muted">{a.current < a.comments ? `Reading the comments again with this model: ${fmtInt(a.current)} of ${fmtInt(a.comments)} done.` : `All ${fmtInt(a.comments)} comments are read by this model.`}</p>}
    </>
  );
}
