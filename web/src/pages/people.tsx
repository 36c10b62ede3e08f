import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, explain } from '../api.ts';
import { PersonLink } from '../components/person-link.tsx';
import { useTitle } from '../components/shell.tsx';
import { ErrorNotice, Loading } from '../components/states.tsx';
import { categoryOf, fmtAgo, fmtDateTime } from '../format.ts';
import { profileHref } from '../links.ts';
import type { Answer, AnswerPage, Profile } from '../types.ts';
import { useApi } from '../use-api.ts';

/** Answers read for the list; people who answered several times among them appear once. */
const RECENT_ANSWERS = 60;
const MAX_PEOPLE = 15;

interface RecentPerson { latest: Answer; answers: number }

/** One row per person, by their latest answer, newest first. */
function peopleOf(answers: Answer[]): RecentPerson[] {
  const byProfile = new Map<string, RecentPerson>();
  for (const a of answers) {
    const row = byProfile.get(a.profileId);
    if (row) row.answers++;
    else byProfile.set(a.profileId, { latest: a, answers: 1 });
  }
  return [...byProfile.values()].slice(0, MAX_PEOPLE);
}

const KINDS = [
  { id: 'email', label: 'Email', placeholder: 'ada@example.com' },
  { id: 'userId', label: 'User id', placeholder: 'cust_00042' },
  { id: 'phone', label: 'Phone', placeholder: '+15551234567' },
  { id: 'anonymousId', label: 'Anonymous id', placeholder: 'a browser\'s anonymousId' },
];

export default function People() {
  useTitle('People');
  const loc = useLocation();
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const recent = useApi<AnswerPage>('/api/v1/answers', { limit: RECENT_ANSWERS });

  async function find(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const p = await api<Profile>('/api/v1/profiles', { query: { [kind]: value.trim() } });
      loc.route(profileHref(p.id));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? `Nobody with ${KINDS.find((k) => k.id === kind)?.label.toLowerCase()} "${value.trim()}" in this workspace. Check the spelling, or try another identifier.` : explain(err));
    } finally {
      setBusy(false);
    }
  }

  const k = KINDS.find((x) => x.id === kind)!;
  return (
    <>
      <div class="page-head">
        <div>
          <h1>People</h1>
          <p>Find a customer by any identifier to see their profile, answers and history.</p>
        </div>
      </div>
      <form class="panel row" style={{ alignItems: 'flex-end' }} onSubmit={find} role="search">
        <div class="field" style={{ margin: 0 }}>
          <label for="kind">Find by</label>
          <select id="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            {KINDS.map((x) => <option key={x.id} value={x.id}>{x.label}</option>)}
          </select>
        </div>
        <div class="field" style={{ margin: 0, flex: '1 1 220px' }}>
          <label for="who">{k.label}</label>
          <input id="who" value={value} placeholder={k.placeholder} onInput={(e) => setValue(e.currentTarget.value)} style={{ width: '100%' }} />
        </div>
        <button class="primary" type="submit" disabled={busy || !value.trim()}>Find</button>
      </form>
      {error && <div class="notice error" role="alert"><p>{error}</p></div>}
      <section class="panel" aria-labelledby="h-recent">
        <h2 id="h-recent">People who answered lately</h2>
        {recent.error ? <ErrorNotice error={recent.error} retry={recent.reload} /> : !recent.data ? <Loading /> : recent.data.items.length === 0 ? <p class="muted">Nobody has answered yet.</p> : (
          <PeopleTable people={peopleOf(recent.data.items)} />
        )}
      </section>
    </>
  );
}

function PeopleTable({ people }: { people: RecentPerson[] }) {
  return (
    <div class="table-wrap">
      <table aria-labelledby="h-recent">
        <thead><tr><th scope="col" style={{ width: '45%' }}>Person</th><th scope="col">Latest answer</th><th scope="col">Answered</th></tr></thead>
        <tbody>
          {people.map(({ latest: a, answers }) => {
            const cat = categoryOf(a.score);
            // What the label leaves out (the email beside a name), as text.
            const more = [a.person?.email, a.person?.phone].filter((v) => v && v !== a.personLabel).join(' · ');
            return (
              <tr key={a.profileId} data-profile-id={a.profileId}>
                <td style={{ overflowWrap: 'anywhere' }}>
                  <PersonLink profileId={a.profileId} person={a.person} label={a.personLabel} />
                  {more && <div class="small muted">{more}</div>}
                </td>
                <td>
                  <span class={`score ${cat}`} aria-label={`Score ${a.score} (${cat})`}>{a.score}</span>
                  {answers > 1 && <span class="small muted"> · {answers} recent answers</span>}
                  {a.comment && <div class="small" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{a.comment.length > 140 ? `${a.comment.slice(0, 139)}…` : a.comment}</div>}
                </td>
                <td class="small muted" style={{ whiteSpace: 'nowrap' }}><time dateTime={a.answeredAt} title={fmtDateTime(a.answeredAt)}>{fmtAgo(a.answeredAt)}</time></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
