import type { Static } from '@sinclair/typebox';
import { useEffect, useState } from 'preact/hooks';
import { AnswerList, answerItem, type AnswerItem } from '../components/answer-list.tsx';
import { openStream, type StreamStatus } from '../live-stream.ts';
import { InstallGuide } from '../components/install-guide.tsx';
import { useTitle } from '../components/shell.tsx';
import { ErrorNotice, Loading } from '../components/states.tsx';
import type { AnswerPage, LiveAnswer } from '../types.ts';
import { useApi } from '../use-api.ts';
import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import type { LiveAnalysis as LiveAnalysisSchema } from '../../../src/api-types/answers.ts';

/** The data of an `analysis` event: an answer's comment analysed after its `answer` event. */
type LiveAnalysis = Static<typeof LiveAnalysisSchema>;

const KEEP = 200;

export default function Live() {
  useTitle('Live feed');
  const backlog = useApi<AnswerPage>('/api/v1/answers', { limit: 20 });
  const [items, setItems] = useState<AnswerItem[]>([]);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [announce, setAnnounce] = useState('');
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!backlog.data) return;
    const older = backlog.data.items.map(answerItem);
    setItems((now) => merge(now, older));
  }, [backlog.data]);

  useEffect(() => openStream('/api/v1/live/answers', {
    status: (s, detail) => {
      setStatus(s);
      if (detail) setAnnounce(`The live feed stopped: ${detail}`);
    },
    event: (name, data) => {
      if (name !== 'answer' && name !== 'analysis') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        return;
      }
      if (name === 'analysis') {
        // Highlights the comment in place, quietly: the answer itself was announced already.
        const { id, text } = parsed as LiveAnalysis;
        setItems((now) => (now.some((i) => i.id === id) ? now.map((i) => (i.id === id ? { ...i, text } : i)) : now));
        return;
      }
      const a = parsed as LiveAnswer;
      const item: AnswerItem = {
        id: a.id, score: a.score, comment: a.comment, channel: a.channel, at: a.at,
        profileId: a.profileId, person: a.person, personLabel: a.personLabel, surveyId: a.surveyId, surveyTitle: a.surveyTitle, text: a.text, fresh: true,
      };
      setItems((now) => merge([item], now));
      setAnnounce(`New answer: ${a.score} by ${dimensionValueLabel('channel', a.channel)} from ${a.personLabel}`);
    },
  }), [attempt]);

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Live feed</h1>
          <p>Answers as they arrive, newest first.</p>
        </div>
        <p class="small" role="status">
          <span class={`status-dot ${status === 'live' ? 'on' : status === 'closed' ? 'off' : ''}`} aria-hidden="true" />
          {status === 'live' ? 'Live: new answers appear here as they arrive' : status === 'connecting' ? 'Connecting…' : status === 'retrying' ? 'Connection lost, reconnecting…' : 'Disconnected'}
          {status === 'closed' && <> <button type="button" onClick={() => setAttempt((n) => n + 1)}>Reconnect</button></>}
        </p>
      </div>
      <p class="visually-hidden" aria-live="polite">{announce}</p>
      {backlog.error && <ErrorNotice error={backlog.error} retry={backlog.reload} />}
      {!backlog.data && !backlog.error && <Loading what="Loading recent answers" />}
      {backlog.data && items.length === 0 && <InstallGuide />}
      {items.length > 0 && (
        <section class="panel" aria-labelledby="h-feed">
          <h2 id="h-feed" class="visually-hidden">Answers</h2>
          <AnswerList label="Live answers" items={items} />
        </section>
      )}
    </>
  );
}

/** Newer first, each answer once (an answer can arrive live and in the backlog), at most KEEP. */
function merge(first: AnswerItem[], then: AnswerItem[]): AnswerItem[] {
  const seen = new Set<string>();
  const out: AnswerItem[] = [];
  for (const a of [...first, ...then]) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    out.push(a);
    if (out.length >= KEEP) break;
  }
  return out;
}
