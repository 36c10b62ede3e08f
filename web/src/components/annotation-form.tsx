import { useState } from 'preact/hooks';
import { zoneOrUtc } from '../../../src/domain/zoned-time.ts';
import { api, explain } from '../api.ts';
import { workspaceDate } from '../filters.ts';
import { usePreferences } from '../session.ts';

/** Marks a campaign, release or note on the trend charts, for analysts and admins. */
export function AnnotationForm({ onAdded }: { onAdded(): void }) {
  const { timeZone } = usePreferences();
  const [open, setOpen] = useState(false);
  const [at, setAt] = useState(() => workspaceDate(timeZone));
  const [kind, setKind] = useState('campaign');
  const [label, setLabel] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  if (!open) return <button type="button" class="link small" onClick={() => setOpen(true)}>Mark a campaign or release on the chart…</button>;
  return (
    <form class="row" style={{ alignItems: 'flex-end', marginTop: '.5rem' }} aria-label="Add an annotation" onSubmit={async (e) => {
      e.preventDefault();
      try {
        // Today means now: noon may still be ahead, and lists that end now would leave it out. Other
        // days are noon on the workspace's clocks, so the mark lands on that day of its charts.
        const when = at === workspaceDate(timeZone) ? new Date().toISOString() : new Date(zoneOrUtc(timeZone).instant(Date.parse(`${at}T12:00:00Z`))).toISOString();
        await api('/api/v1/annotations', { method: 'POST', body: { at: when, kind, label: label.trim() } });
        setLabel('');
        setOpen(false);
        setMessage(null);
        onAdded();
      } catch (err) {
        setMessage(explain(err, 'analyst'));
      }
    }}>
      <div class="field" style={{ margin: 0 }}><label for="a-at">Date</label><input id="a-at" type="date" required value={at} onInput={(e) => setAt(e.currentTarget.value)} /></div>
      <div class="field" style={{ margin: 0 }}>
        <label for="a-kind">Kind</label>
        <select id="a-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="campaign">Campaign</option><option value="release">Release</option><option value="note">Note</option>
        </select>
      </div>
      <div class="field" style={{ margin: 0, flex: '1 1 200px' }}><label for="a-label">Label</label><input id="a-label" required maxLength={200} value={label} placeholder="Spring sale email" onInput={(e) => setLabel(e.currentTarget.value)} style={{ width: '100%' }} /></div>
      <button class="primary" type="submit" disabled={!label.trim() || !at}>Add</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      {message && <p class="small" role="alert" style={{ flexBasis: '100%' }}>{message}</p>}
    </form>
  );
}
