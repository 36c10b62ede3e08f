import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmtDateTime, fmtInt, fmtPct } from '../format.ts';
import { useCan, useSession } from '../session.ts';
import type { TaxonomyReply, TaxonomyVersionReply, TaxonomyVersions } from '../types.ts';
import { useApi } from '../use-api.ts';
import { MATCH_RULE, ThemeForm, ThemeTable, type EditStart } from './theme-editor.tsx';

export type Sorting = NonNullable<TaxonomyReply['analysis']>;

/**
 * The workspace's themes and their words, for everyone to read; analysts change them here (each
 * save a new version) and follow the stored comments being sorted under the new version.
 */
export function ThemeManager({ taxonomy, sorting, onSaved }: { taxonomy: TaxonomyReply; sorting: Sorting | null; onSaved(reply: TaxonomyReply): void }) {
  const canEdit = useCan('analyst');
  const { workspace } = useSession();
  // What the form starts from: the current themes (from null), an older version or the built-in ones.
  const [editing, setEditing] = useState<{ from: EditStart | null } | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  // Out of the form (saved or closed), the focus comes back to the section rather than the page's top.
  const wasEditing = useRef(false);
  useEffect(() => {
    if (wasEditing.current && !editing) document.getElementById('h-manage')?.focus();
    wasEditing.current = editing != null;
  }, [editing]);
  const editFrom = (from: EditStart | null) => {
    setSaved(null);
    setEditing({ from });
    // The form is at the section's top; a start from a version far down the list would leave it out of sight.
    requestAnimationFrame(() => document.getElementById('h-manage')?.scrollIntoView({ block: 'start' }));
  };
  return (
    <section class="panel" id="manage" aria-labelledby="h-manage">
      <div class="row" style={{ justifyContent: 'space-between', alignItems: 'baseline' }}>
        <h2 id="h-manage" tabIndex={-1}>Manage themes</h2>
        {canEdit && !editing && <button type="button" class="primary" onClick={() => editFrom(null)}>Edit themes</button>}
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
        ? <ThemeForm taxonomy={taxonomy} from={editing.from ?? undefined} onClose={() => setEditing(null)} onSaved={(reply) => { setEditing(null); setSaved(reply.version); onSaved(reply); }} />
        : (
          <details>
            <summary>The words of each theme</summary>
            <p class="small muted">{MATCH_RULE}</p>
            <ThemeTable taxonomy={taxonomy} />
          </details>
        )}
      <ThemeVersions key={taxonomy.version} current={taxonomy.version} onEditFrom={canEdit && !editing ? editFrom : null} />
    </section>
  );
}

/**
 * Every saved version, newest first: who saved it when, and how many themes it had; each can be
 * shown whole, and an analyst can start an edit from it (going back is saving it again). The
 * built-in themes are never stored: they are read as this release has them.
 */
function ThemeVersions({ current, onEditFrom }: { current: number; onEditFrom: ((from: EditStart) => void) | null }) {
  const { session } = useSession();
  const list = useApi<TaxonomyVersions>('/api/v1/themes/versions');
  if (list.error) return <p class="small muted">The versions could not be read. <button type="button" class="link" onClick={list.reload}>Try again</button></p>;
  if (!list.data) return null;
  const { items, builtIn } = list.data;
  return (
    <details class="theme-versions">
      <summary>Versions ({fmtInt(items.length + 1)})</summary>
      <ol class="plain">
        {items.map((v) => (
          <VersionEntry key={v.version} version={v.version} path={`/api/v1/themes/versions/${v.version}`} current={v.version === current} label={`version ${v.version}`} onEditFrom={onEditFrom}>
            Version {v.version}{v.version === current ? ' (current)' : ''}, saved {fmtDateTime(v.createdAt)}{v.createdBy != null && v.createdBy === session.user.id ? ' by you' : ''}: {fmtInt(v.themes)} themes
          </VersionEntry>
        ))}
        <VersionEntry version={builtIn} path="/api/v1/themes/built-in" current={current === builtIn && items.length === 0} label="the built-in themes" onEditFrom={onEditFrom}>
          {items.length === 0 ? `Version ${builtIn} (current): the built-in themes` : `The built-in themes (version ${builtIn} in this release)`}
        </VersionEntry>
      </ol>
    </details>
  );
}

function VersionEntry({ version, path, current, label, onEditFrom, children }: { version: number; path: string; current: boolean; label: string; onEditFrom: ((from: EditStart) => void) | null; children: ComponentChildren }) {
  const [open, setOpen] = useState(false);
  return (
    <li data-version={version}>
      {children}{' '}
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? 'Hide' : 'Show'} its words</button>
      {open && <VersionWords path={path} label={label} onEditFrom={current ? null : onEditFrom} />}
    </li>
  );
}

/** One version's list, read when first shown. */
function VersionWords({ path, label, onEditFrom }: { path: string; label: string; onEditFrom: ((from: EditStart) => void) | null }) {
  const got = useApi<TaxonomyVersionReply>(path);
  if (got.error) return <p class="small muted">This version could not be read. <button type="button" class="link" onClick={got.reload}>Try again</button></p>;
  if (!got.data) return <p class="small muted" role="status">Reading…</p>;
  const themes = got.data.themes;
  return (
    <div class="version-words">
      <ThemeTable taxonomy={{ version: got.data.version, themes }} />
      {onEditFrom && <button type="button" onClick={() => onEditFrom({ label, themes })}>Edit from {label}</button>}
    </div>
  );
}
