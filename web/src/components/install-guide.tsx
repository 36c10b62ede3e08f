import { useCan } from '../session.ts';
import { BASE } from '../links.ts';

/** What to do when a workspace has no answers yet: the three ways answers arrive. */
export function InstallGuide() {
  const admin = useCan('admin');
  const origin = location.origin;
  return (
    <div class="notice empty">
      <h2>No answers yet</h2>
      <p>Figures appear as soon as the first NPS answer arrives. Three ways to get there:</p>
      <ol>
        <li>
          <strong>Put the survey widget on your site</strong> with one script tag, using a public write key:
          <pre>{`<script src="${origin}/widget.js" data-write-key="adv_pk_…" async></script>`}</pre>
          {admin ? <>Create the write key under <a href={`${BASE}/settings`}>Settings → API keys</a>, and a survey under <a href={`${BASE}/surveys/new`}>Surveys</a>. </> : <>An admin of this workspace can create the write key. </>}
          Try it first on <a href="/widget/demo">the widget demo page</a>.
        </li>
        <li><strong>Send answers from your stack</strong>: a Segment <code>track</code> of <code>NPS Survey Responded</code> with a <code>score</code>, or <code>POST /api/v1/answers</code> (see <a href="/openapi.json">the API reference</a>).</li>
        <li><strong>Import past answers</strong>: <code>npx advocate import answers answers.csv --workspace NAME</code> (Delighted exports too, with <code>--delighted</code>).</li>
      </ol>
    </div>
  );
}
