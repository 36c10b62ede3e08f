import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { fmtDateTime, fmtInt } from '../format.ts';
import { BASE } from '../links.ts';
import { useCan } from '../session.ts';
import type { Condition, RunList, SurveyView } from '../types.ts';
import { useAction } from '../use-action.ts';
import { useApi } from '../use-api.ts';
import { ConditionsEditor } from './conditions.tsx';
import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import { Async } from './states.tsx';

/** Sending a survey to an audience by email or SMS, and what became of earlier sends. */
export function SurveyRuns({ survey }: { survey: SurveyView }) {
  const canEdit = useCan('analyst');
  const runs = useApi<RunList>(`/api/v1/surveys/${encodeURIComponent(survey.id)}/runs`);
  const [channel, setChannel] = useState<'email' | 'sms'>('email');
  const [conditions, setConditions] = useState<Condition[]>([]);
  const { busy, message, run, refused } = useAction();

  function start(e: Event) {
    e.preventDefault();
    void run(async () => {
      await api(`/api/v1/surveys/${encodeURIComponent(survey.id)}/runs`, { method: 'POST', body: { channel, conditions } });
      runs.reload();
    }, 'Started: people are being scheduled in the background.');
  }

  return (
    <div class="stack">
      {canEdit && (
        <form class="panel" onSubmit={start} aria-labelledby="h-send">
          <h2 id="h-send">Send to an audience</h2>
          <p class="small muted">Everyone who matches the survey's targeting and these conditions, within its sample and the fatigue policy. Email and SMS need delivery settings: an admin sets them under <a href={`${BASE}/settings`}>Settings → Email and text delivery</a>.</p>
          <div class="field">
            <label for="run-channel">By</label>
            <select id="run-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value as 'email' | 'sms')}>
              <option value="email">email</option><option value="sms">SMS</option>
            </select>
          </div>
          <ConditionsEditor idPrefix="run" value={conditions} onChange={setConditions} />
          <p style={{ marginTop: '.75rem' }}><button class="primary" type="submit" disabled={busy || survey.status !== 'active'}>Send</button>{survey.status !== 'active' && <span class="small muted"> Activate the survey to send it.</span>}</p>
          {message && <p role="status">{message}</p>}
        </form>
      )}
      <section class="panel" aria-labelledby="h-runs">
        <h2 id="h-runs">Sends</h2>
        <Async state={runs}>
          {(r) => r.items.length === 0 ? <p class="muted">Not sent to an audience yet.</p> : (
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Started</th><th scope="col">By</th><th scope="col">Status</th><th scope="col" class="num">Progress</th><th scope="col" class="num">Scheduled</th><th scope="col">Skipped</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {r.items.map((run) => (
                    <tr key={run.id}>
                      <td>{fmtDateTime(run.createdAt)}</td>
                      <td>{dimensionValueLabel('channel', run.channel)}{run.kind !== 'audience' ? ` (${run.kind === 'schedule' ? 'scheduled' : run.kind})` : ''}</td>
                      <td>{run.status}</td>
                      <td class="num">{Math.round(run.progress.percent)}%</td>
                      <td class="num">{fmtInt(run.scheduled)}</td>
                      <td class="small">{Object.entries(run.skipped).map(([why, n]) => `${why}: ${n}`).join(', ') || '–'}</td>
                      <td>{canEdit && run.status === 'running' && <button type="button" onClick={async () => {
                        try {
                          await api(`/api/v1/surveys/${encodeURIComponent(survey.id)}/runs/${encodeURIComponent(run.id)}`, { method: 'DELETE' });
                          runs.reload();
                        } catch (err) {
                          refused(err);
                        }
                      }}>Stop</button>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </section>
    </div>
  );
}
