import { useEffect, useRef, useState } from 'preact/hooks';
import { fmtDateTime, fmtInt, fmtPct } from '../format.ts';
import { useCan, useSession } from '../session.ts';
import type { TaxonomyReply, TaxonomyVersions } from '../types.ts';
import { useApi } from '../use-api.ts';
import { MATCH_RULE, ThemeForm, ThemeTable } from './theme-editor.tsx';

export type Sorting = NonNullable<TaxonomyReply['analysis']>;

/**
 * The workspace's themes and their words, for everyone to read; analysts change them here (each
 * save a new version) and follow the stored comments being sorted under the new version.
 */
export function ThemeManager({ taxonomy, sorting, onSaved }: { taxonomy: TaxonomyReply; sorting: Sorting | null; onSaved(reply: TaxonomyReply): void }) {
  const canEdit = useCan('analyst');
  const { workspace } = useSession();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<number | null>(null);
  // Out of the form (saved or closed), the focus comes back to the section rather than the page's top.
  const wasEditing = useRef(false);
  useEffect(() => {
    if (wasEditing.current && !editing) document.getElementById('h-manage')?.focus();
    wasEditing.current = editing;
  }, [editing]);
  return (
    <section class="panel" id="manage" aria-labelledby="h-manage">
      <div class="row" style={{ justifyContent: 'space-between', alignItems: 'baseline' }}>
        <h2 id="h-manage" tabIndex={-1}>Manage themes</h2>
        {canEdit && !editing && <button type="button" class="primary" onClick={() => { setSaved(null); setEditing(true); }}>Edit themes</button>}
      </div>
      <p class="small muted">
        Version {taxonomy.version}: {fmtInt(taxonomy.themes.length)} themes.
        {!canEdit && ` Changing them needs the analyst or admin role; your role here is ${workspace.role}.`}
      </p>
      {saved != null && !editing && (
        <p class="small" data-saved>
          Saved as version {saved}.{' '}
          {sorting && taxonomy.version === saved
            ? `Sorting the stored comments under it: ${fmtInt(sorting.current)} of ${fmtInt(sorting.comments)} (${fmtPct(sorting.current / Math.max(1, sorting.comments))}); the ranking is redrawn when they all are.`
            : 'Every stored comment is sorted under it.'}
        </p>
      )}
      {editing
        ? <ThemeForm taxonomy={taxonomy} onClose={() => setEditing(false)} onSaved={(reply) => { setEditing(false); setSaved(reply.version); onSaved(reply); }} />
        : (
          <details>
            <summary>The words of each theme</summary>
            <p class="small muted">{MATCH_RULE}</p>
            <ThemeTable taxonomy={taxonomy} />
          </details>
        )}
      <ThemeVersions key={taxonomy.version} current={taxonomy.version} />
    </section>
  );
}

/**
 * Every saved version, newest first: who saved it when, and how many themes it had. The built-in
 * themes are never stored: theirs is the version before the first saved one.
 */
function ThemeVersions({ current }: { current: number }) {
  const { session } = useSession();
  const list = useApi<TaxonomyVersions>('/api/v1/themes/versions');
  if (list.error) return <p class="small muted">The versions could not be read. <button type="button" class="link" onClick={list.reload}>Try again</button></p>;
  if (!list.data) return null;
  const items = list.data.items;
  const builtIn = items.length ? items[items.length - 1].version - 1 : current;
  return (
    <details class="theme-versions">
      <summary>Versions ({fmtInt(items.length + 1)})</summary>
      <ol class="plain">
        {items.map((v) => (
          <li key={v.version} data-version={v.version}>
            Version {v.version}{v.version === current ? ' (current)' : ''}, saved {fmtDateTime(v.createdAt)}{v.createdBy != null && v.createdBy === session.user.id ? ' by you' : ''}: {fmtInt(v.themes)} themes
          </li>
        ))}
        <li data-version={builtIn}>Version {builtIn}{current === builtIn ? ' (current)' : ''}: the built-in themes</li>
      </ol>
    </details>
  );
}
