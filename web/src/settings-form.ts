import { useState } from 'preact/hooks';
import { api, explain } from './api.ts';
import { useApi, type Loaded } from './use-api.ts';

export interface SettingsMessage {
  text: string;
  error: boolean;
}

export interface SettingsForm<T, F> {
  /** The setting as loaded (for `Async`). */
  setting: Loaded<T>;
  /** What the person has typed, or null while the form shows the setting as loaded. */
  draft: F | null;
  setDraft(next: F | null): void;
  /** What the form shows: the draft, else the loaded setting; null until it loads. */
  form: F | null;
  message: SettingsMessage | null;
  /**
   * PUTs `body` to the setting. Saved: says `done`, keeps `keep(reply)` in the form, reloads, then
   * runs `then` (its failure explained like the PUT's). Refused: explains why, draft untouched.
   */
  save<R = unknown>(body: unknown, done: string, keep: (reply: R) => F | null, then?: () => Promise<unknown>): Promise<void>;
}

/**
 * One settings panel's form over `path` (GET to load, PUT to save), `toForm` turning what the server
 * sent into the form's fields. The panels differ in fields and in what counts as a change; saving
 * and telling the admin how it went is the same for all of them.
 */
export function useSettingsForm<T, F>(path: string, toForm: (data: T) => F): SettingsForm<T, F> {
  const setting = useApi<T>(path);
  const [draft, setDraft] = useState<F | null>(null);
  const [message, setMessage] = useState<SettingsMessage | null>(null);
  const form = draft ?? (setting.data !== undefined ? toForm(setting.data) : null);

  async function save<R>(body: unknown, done: string, keep: (reply: R) => F | null, then?: () => Promise<unknown>) {
    setMessage(null);
    try {
      const reply = await api<R>(path, { method: 'PUT', body });
      setMessage({ text: done, error: false });
      // Keep showing what was saved until the reload lands: dropping the draft first would flash the
      // old values and let a keystroke in between land on them (the CI failure this prevents: a
      // sender typed right after saving went onto the pre-save value).
      setDraft(keep(reply));
      setting.reload();
      await then?.();
    } catch (err) {
      setMessage({ text: explain(err, 'admin'), error: true });
    }
  }

  return { setting, draft, setDraft, form, message, save };
}
