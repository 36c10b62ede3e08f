import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import { useTitle } from '../components/shell.tsx';
import { Async, Empty } from '../components/states.tsx';
import { fmtDate } from '../format.ts';
import { BASE, surveyHref } from '../links.ts';
import { useCan } from '../session.ts';
import type { SurveyList } from '../types.ts';
import { useApi } from '../use-api.ts';

const CHANNELS = ['web', 'app', 'email', 'sms', 'link', 'kiosk'] as const;

export default function Surveys() {
  useTitle('Surveys');
  const canEdit = useCan('analyst');
  const surveys = useApi<SurveyList>('/api/v1/surveys', { archived: true });
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Surveys</h1>
          <p>What customers are asked, where, and when.</p>
        </div>
        {canEdit && <a class="button primary" href={`${BASE}/surveys/new`}>New survey</a>}
      </div>
      <Async state={surveys} what="Loading surveys">
        {(s) => s.items.length === 0 ? (
          <Empty title="No surveys yet">
            <p>A survey sets the wording, the channels (web widget, email, SMS, links, kiosk), who is asked and how often.</p>
            {canEdit ? <a class="button primary" href={`${BASE}/surveys/new`}>Create the first survey</a> : <p>Analysts and admins can create surveys.</p>}
          </Empty>
        ) : (
          <section class="panel">
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Survey</th><th scope="col">Status</th><th scope="col" class="hide-narrow">Channels</th><th scope="col" class="num">Version</th><th scope="col" class="num hide-narrow">Changed</th></tr></thead>
                <tbody>
                  {s.items.map((v) => (
                    <tr key={v.id}>
                      <th scope="row" style={{ fontWeight: 'normal' }}><a href={surveyHref(v.id)}>{v.name}</a></th>
                      <td><span class={`badge ${v.status === 'active' ? 'promoter' : v.status === 'paused' ? 'warn' : ''}`}>{v.status}</span></td>
                      <td class="hide-narrow">{CHANNELS.filter((c) => v.definition.channels[c].enabled).map((c) => dimensionValueLabel('channel', c)).join(', ') || '–'}</td>
                      <td class="num">{v.version}</td>
                      <td class="num hide-narrow">{fmtDate(v.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        )}
      </Async>
    </>
  );
}
