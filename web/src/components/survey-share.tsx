import { useEffect, useState } from 'preact/hooks';
import { api, apiBlob, explain } from '../api.ts';
import { BASE } from '../links.ts';
import { useCan } from '../session.ts';
import type { SurveyLink, SurveyView } from '../types.ts';
import { CopyButton } from './copy-button.tsx';

/** Ways to put a survey in front of people: the widget tag, an open link with its QR code, a kiosk link. */
export function SurveyShare({ survey }: { survey: SurveyView }) {
  const admin = useCan('admin');
  const canEdit = useCan('analyst');
  const snippet = `<script src="${location.origin}/widget.js" data-write-key="adv_pk_…" async></script>`;
  const [location_, setLocation] = useState('');
  const [qr, setQr] = useState<{ url: string; link: string } | null>(null);
  const [kiosk, setKiosk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function loadQr(loc: string) {
    try {
      const { blob, headers } = await apiBlob(`/api/v1/surveys/${encodeURIComponent(survey.id)}/qr`, { query: { format: 'svg', size: 360, location: loc || null } });
      setQr((old) => {
        if (old) URL.revokeObjectURL(old.url);
        return { url: URL.createObjectURL(blob), link: headers.get('x-survey-url') ?? '' };
      });
      setError(null);
    } catch (err) {
      setError(explain(err));
    }
  }
  useEffect(() => {
    void loadQr('');
  }, [survey.id]);
  useEffect(() => () => void (qr && URL.revokeObjectURL(qr.url)), [qr]);

  return (
    <div class="stack">
      <section class="panel" aria-labelledby="h-embed">
        <h2 id="h-embed">On your website</h2>
        <p>Put this tag on every page, before <code>&lt;/body&gt;</code>. Replace <code>adv_pk_…</code> with a public write key of this workspace{admin ? <> (create one under <a href={`${BASE}/settings`}>Settings → API keys</a>)</> : ' (an admin can create one)'}.</p>
        <pre id="embed-snippet">{snippet}</pre>
        <CopyButton text={snippet} label="Copy the tag" target="embed-snippet" />
        <p class="small muted" style={{ marginTop: '.5rem' }}>The widget shows this survey when it is active, its web channel is on, and the visitor matches its targeting and the fatigue policy. Try it on <a href="/widget/demo">the widget demo page</a> with a write key.</p>
        {!survey.definition.channels.web.enabled && <p class="notice small">The web channel of this survey is off: turn it on under Edit to show it in the widget.</p>}
      </section>
      <section class="panel" aria-labelledby="h-link">
        <h2 id="h-link">Link and QR code</h2>
        <p>For receipts, posters and messages: every use is a new anonymous answer, and the link does not expire.</p>
        <form class="row" style={{ alignItems: 'flex-end' }} onSubmit={(e) => { e.preventDefault(); void loadQr(location_.trim()); }}>
          <div class="field" style={{ margin: 0 }}>
            <label for="qr-location">Where it is used (optional)</label>
            <input id="qr-location" value={location_} placeholder="Store 12, receipt" onInput={(e) => setLocation(e.currentTarget.value)} />
          </div>
          <button type="submit">Make the link</button>
        </form>
        {error && <div class="notice error" role="alert"><p>{error}</p></div>}
        {qr && (
          <div class="row" style={{ marginTop: '.75rem', alignItems: 'flex-start' }}>
            <img class="qr" src={qr.url} alt={`QR code for ${qr.link}`} />
            <div class="stack" style={{ minWidth: 0, flex: 1 }}>
              <pre id="open-link">{qr.link}</pre>
              <CopyButton text={qr.link} label="Copy the link" target="open-link" />
              <a class="button" href={qr.url} download={`survey-${survey.id}-qr.svg`}>Download the QR code (SVG)</a>
            </div>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="h-kiosk">
        <h2 id="h-kiosk">Kiosk</h2>
        <p>A full-screen page for a tablet at a counter; it resets itself after each answer.</p>
        {canEdit ? (
          <button type="button" onClick={async () => {
            try {
              const r = await api<SurveyLink>(`/api/v1/surveys/${encodeURIComponent(survey.id)}/links`, { method: 'POST', body: { kind: 'kiosk', ...(location_.trim() ? { location: location_.trim() } : {}) } });
              setKiosk(r.url);
            } catch (err) {
              setError(explain(err, 'analyst'));
            }
          }}>Make a kiosk link</button>
        ) : <p class="small muted">Analysts and admins can make kiosk links.</p>}
        {kiosk && <><pre id="kiosk-link">{kiosk}</pre><CopyButton text={kiosk} label="Copy the kiosk link" target="kiosk-link" /></>}
      </section>
    </div>
  );
}
