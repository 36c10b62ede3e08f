import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, explain } from '../api.ts';
import type { TaxonomyInput, TaxonomyReply } from '../types.ts';
import { themeIdFor } from '../../../src/domain/theme-id.ts';
import { ConfirmButton } from './confirm-button.tsx';

type Theme = TaxonomyReply['themes'][number];

/** A theme as it is being edited: its phrases as typed, until saved. */
interface DraftTheme {
  /** Stays through renames and id edits: the list's key and the inputs' ids. */
  key: number;
  id: string;
  /** One the workspace has: its id is kept, and with it its history in filters, links and exports. */
  kept: boolean;
  /** A new theme's id follows its name until the analyst types one. */
  idTyped: boolean;
  name: string;
  terms: string;
  exclusions: string;
}

/** Where a refusal points: the theme (by key, as the list may change after) and which of its inputs. */
interface Refusal {
  message: string;
  key: number | null;
  input: string | null;
}

export const MATCH_RULE = 'One word or phrase per line (a comma separates too). A term matches whole words in any of their forms: "deliver" finds "delivered" and "delivering", "run out" finds "ran out", but "app" never finds "appointment". An exception cancels a match it overlaps: with "support the", "support the local team" is not about support.';

let nextKey = 1;
const draftOf = (t: Theme): DraftTheme => ({ key: nextKey++, id: t.id, kept: true, idTyped: true, name: t.name, terms: t.terms.join('\n'), exclusions: t.exclusions.join('\n') });
const inputId = (key: number, part: string) => `theme-${key}-${part}`;

/** The phrases of a text box: one a line or comma separated, blanks dropped (the server drops repeats). */
export function phrases(text: string): string[] {
  return text.split(/[\n,]/).map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean);
}

/** The id a name makes, as POST /api/v1/themes/adopt makes it, free among `taken`. */
export const idFor = (name: string, taken: Set<string>): string => themeIdFor(name, (id) => taken.has(id));

const inputOf = (t: DraftTheme): TaxonomyInput['themes'][number] => ({ id: t.id, name: t.name, terms: phrases(t.terms), exclusions: phrases(t.exclusions) });

/** "body.themes.3.terms.0" is about the fourth theme sent, its words; "body.themes" about the list. */
function refusalOf(err: unknown, sent: DraftTheme[]): Refusal {
  const m = /^body\.themes\.(\d+)(?:\.(\w+))?/.exec(err instanceof ApiError ? err.field ?? '' : '');
  return { message: explain(err, 'analyst'), key: m ? sent[Number(m[1])]?.key ?? null : null, input: m?.[2] ?? null };
}

const INPUT_NAMES: Record<string, string> = { name: 'its name', id: 'its id', terms: 'its words', exclusions: 'its exceptions' };

/** An edit that starts from another list than the current one: an older version, or the built-in themes. */
export interface EditStart {
  label: string;
  themes: TaxonomyReply['themes'];
}

/**
 * The whole list of themes, edited in place and saved as one new version (PUT /api/v1/themes):
 * rename, change the words, remove, add. Nothing changes on the server until Save.
 */
export function ThemeForm({ taxonomy, from, onSaved, onClose }: { taxonomy: TaxonomyReply; from?: EditStart; onSaved(reply: TaxonomyReply): void; onClose(): void }) {
  const [start] = useState(taxonomy);
  // Started from an older version (or the built-in themes): its list fills the form, and saving it is an edit of the current one.
  const [themes, setThemes] = useState<DraftTheme[]>(() => (from?.themes ?? start.themes).map(draftOf));
  const [removed, setRemoved] = useState<DraftTheme[]>([]);
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  // The first of these ids the page has takes the focus (a kept theme has no id input to point at).
  const [focus, setFocus] = useState<string[] | null>(null);
  useEffect(() => {
    for (const id of focus ?? []) {
      const el = document.getElementById(id);
      if (el) return void el.focus();
    }
  }, [focus]);

  // A new theme must not take the id of one removed in this edit: it would inherit that theme's history.
  const startIds = useMemo(() => [...start.themes, ...(from?.themes ?? [])].map((t) => t.id), [start]);
  const freeId = (name: string, list: DraftTheme[], except: number) => idFor(name, new Set([...startIds, ...list.filter((t) => t.key !== except).map((t) => t.id)]));
  const pristine = useMemo(() => JSON.stringify(start.themes.map((t) => ({ id: t.id, name: t.name, terms: t.terms, exclusions: t.exclusions }))), [start]);
  const dirty = removed.length > 0 || JSON.stringify(themes.map(inputOf)) !== pristine;

  const change = (key: number, patch: Partial<DraftTheme>) => setThemes((list) => list.map((t) => {
    if (t.key !== key) return t;
    const next = { ...t, ...patch };
    return patch.name !== undefined && !t.kept && !t.idTyped ? { ...next, id: freeId(patch.name, list, key) } : next;
  }));
  const add = () => {
    const key = nextKey++;
    setThemes((list) => [...list, { key, id: freeId('', list, key), kept: false, idTyped: false, name: '', terms: '', exclusions: '' }]);
    setFocus([inputId(key, 'name')]);
  };
  const remove = (t: DraftTheme) => {
    setThemes((list) => list.filter((o) => o.key !== t.key));
    if (t.kept) setRemoved((r) => [...r, t]);
  };
  const undo = (t: DraftTheme) => {
    setRemoved((r) => r.filter((o) => o.key !== t.key));
    setThemes((list) => [...list, t]);
  };

  async function save(e: Event) {
    e.preventDefault();
    const sent = themes;
    setSaving(true);
    setRefusal(null);
    try {
      onSaved(await api<TaxonomyReply>('/api/v1/themes', { method: 'PUT', body: { themes: sent.map(inputOf), basedOn: start.version } satisfies TaxonomyInput }));
    } catch (err) {
      const r = refusalOf(err, sent);
      setRefusal(r);
      setSaving(false);
      // To the input the server names, else to its theme's name, else to the message.
      setFocus(r.key != null ? [inputId(r.key, r.input ?? 'name'), inputId(r.key, 'name')] : ['theme-refusal']);
    }
  }

  const where = refusal?.key != null ? themes.findIndex((t) => t.key === refusal.key) : -1;
  return (
    <form onSubmit={save} aria-label="Edit the themes" noValidate>
      <p class="small muted">{MATCH_RULE}</p>
      {from && (
        <p class="small" role="status" data-from>
          Starting from {from.label}. Saving makes this list the current themes as a new version; version {start.version} stays in the versions below.
        </p>
      )}
      {taxonomy.version !== start.version && (
        <div class="notice" role="status">
          <p>Version {taxonomy.version} was saved since you started editing version {start.version}: saving these edits would undo it, so the server will refuse them. Discard and edit the new version.</p>
        </div>
      )}
      {/* Disabled while saving: edits made then would be lost when the saved list replaces the form. */}
      <fieldset class="bare" disabled={saving}>
        {themes.map((t) => (
          <ThemeFields key={t.key} t={t} refusal={refusal?.key === t.key ? refusal : null} onChange={(patch) => change(t.key, patch)} onRemove={() => remove(t)} />
        ))}
        {removed.length > 0 && (
          <p class="small" data-removed>
            Removed when you save:{' '}
            {removed.map((t, i) => <span key={t.key}>{i ? ', ' : ''}{t.name} (<button type="button" class="link" onClick={() => undo(t)}>undo</button>)</span>)}.
            {' '}Their history leaves filters and exports.
          </p>
        )}
        <p><button type="button" onClick={add}>Add a theme</button></p>
      </fieldset>
      {refusal && (
        <div class="notice error" role="alert" id="theme-refusal" tabIndex={-1}>
          <h3>Not saved</h3>
          <p>{refusal.message}</p>
          {where >= 0 && <p class="small">That is theme {where + 1}, “{themes[where].name.trim() || 'without a name'}”{refusal.input && INPUT_NAMES[refusal.input] ? `, ${INPUT_NAMES[refusal.input]}` : ''}. Your edits are still here.</p>}
        </div>
      )}
      <div class="row">
        {/* Unchanged, a save would only make an identical version and sort every comment again. */}
        <button type="submit" class="primary" disabled={saving || !dirty}>{saving ? 'Saving…' : 'Save themes'}</button>
        {dirty
          ? <ConfirmButton label="Discard changes" confirm="Discard my edits" keep="Keep editing" onConfirm={onClose} />
          : <button type="button" onClick={onClose}>Close</button>}
        <span class="small muted">{dirty ? 'Saving makes a new version and sorts every stored comment again; the ranking follows when that is done.' : 'Nothing changed yet.'}</span>
      </div>
    </form>
  );
}

function ThemeFields({ t, refusal, onChange, onRemove }: { t: DraftTheme; refusal: Refusal | null; onChange(patch: Partial<DraftTheme>): void; onRemove(): void }) {
  const id = (part: string) => inputId(t.key, part);
  // The input the server named is marked, and read out with its message.
  const marked = (input: string) => (refusal && (refusal.input === input || (!refusal.input && input === 'name')) ? { 'aria-invalid': true, 'aria-describedby': id('refusal') } : {});
  const name = t.name.trim() || 'New theme';
  const count = phrases(t.terms).length;
  return (
    <fieldset class={`theme-card${refusal ? ' refused' : ''}`} data-theme-id={t.kept ? t.id : undefined} data-new-theme={t.kept ? undefined : ''}>
      <legend>{name}{!t.kept && <> <span class="badge">new</span></>}</legend>
      {refusal && <p class="error small" id={id('refusal')}>{refusal.message}</p>}
      <div class="form-grid">
        <div class="field">
          <label for={id('name')}>Name</label>
          <input id={id('name')} value={t.name} maxLength={80} onInput={(e) => onChange({ name: e.currentTarget.value })} {...marked('name')} />
          {t.kept && <div class="hint">Id <code>{t.id}</code>, kept: filters, links and exports keep its history.</div>}
        </div>
        {!t.kept && (
          <div class="field">
            <label for={id('id')}>Id</label>
            <input id={id('id')} value={t.id} maxLength={40} spellcheck={false} autoComplete="off" onInput={(e) => onChange({ id: e.currentTarget.value, idTyped: true })} {...marked('id')} />
            <div class="hint">What filters and exports call it: lower-case letters, digits, - and _. Made from the name unless you type one.</div>
          </div>
        )}
      </div>
      <div class="form-grid">
        <div class="field">
          <label for={id('terms')}>Words and phrases that mention it</label>
          <textarea id={id('terms')} rows={4} value={t.terms} spellcheck={false} onInput={(e) => onChange({ terms: e.currentTarget.value })} {...marked('terms')} />
          <div class="hint">{count === 1 ? '1 term' : `${count} terms`}, one a line.</div>
        </div>
        <div class="field">
          <label for={id('exclusions')}>Except in these phrases</label>
          <textarea id={id('exclusions')} rows={4} value={t.exclusions} spellcheck={false} onInput={(e) => onChange({ exclusions: e.currentTarget.value })} {...marked('exclusions')} />
          <div class="hint">Optional: a match inside one of these does not count.</div>
        </div>
      </div>
      {t.kept
        ? <ConfirmButton label="Remove theme" confirm={`Remove “${name}”`} keep="Keep it" onConfirm={onRemove} />
        : <button type="button" onClick={onRemove}>Remove</button>}
    </fieldset>
  );
}

/** The themes and their words, as they are: what every reader may see. */
export function ThemeTable({ taxonomy }: { taxonomy: TaxonomyReply }) {
  return (
    <div class="table-wrap">
      <table class="theme-words">
        <thead><tr><th scope="col">Theme</th><th scope="col">Words and phrases</th><th scope="col">Except in</th></tr></thead>
        <tbody>
          {taxonomy.themes.map((t) => (
            <tr key={t.id} data-theme-id={t.id}>
              <th scope="row">{t.name}</th>
              <td class="small">{t.terms.join(', ')}</td>
              <td class="small muted">{t.exclusions.join(', ') || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
