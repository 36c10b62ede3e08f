import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, explain } from '../api.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { useTitle } from '../components/shell.tsx';
import { Async } from '../components/states.tsx';
import { fmtDate } from '../format.ts';
import { INDUSTRIES } from '../../../src/domain/benchmarks.ts';
import { useCan, useSession, type Preferences, type Role } from '../session.ts';
import type { ChurnSettings, ContactPolicy, DeliveryView, KeyCreated, KeyList, PreferencesSaved, PreferencesSettings, UserAdded, UserList } from '../types.ts';
import { useSettingsForm, type SettingsForm } from '../settings-form.ts';
import { useApi } from '../use-api.ts';

export default function Settings() {
  useTitle('Settings');
  const admin = useCan('admin');
  const { workspace } = useSession();
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Settings</h1>
          <p>Keys, people, delivery, the fatigue policy and the churn definition of the workspace {workspace.name}.</p>
        </div>
      </div>
      {!admin ? (
        <div class="notice">
          <h2>Admins only</h2>
          <p>API keys and users are managed by admins of this workspace; your role here is <strong>{workspace.role}</strong>. Ask an admin if you need a key or another role.</p>
        </div>
      ) : (
        <>
          <WorkspacePreferences />
          <Keys />
          <Users />
          <Delivery />
          <Fatigue />
          <Churn />
        </>
      )}
    </>
  );
}

function Keys() {
  const keys = useApi<KeyList>('/api/v1/keys');
  const [kind, setKind] = useState<'write' | 'secret'>('write');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<KeyCreated | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  async function create(e: Event) {
    e.preventDefault();
    setMessage(null);
    try {
      const k = await api<KeyCreated>('/api/v1/keys', { method: 'POST', body: { kind, name: name.trim() } });
      setCreated(k);
      setName('');
      keys.reload();
    } catch (err) {
      setMessage(explain(err, 'admin'));
    }
  }

  async function revoke(id: string) {
    setMessage(null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
      keys.reload();
    } catch (err) {
      setMessage(explain(err, 'admin'));
    }
  }

  return (
    <section class="panel" aria-labelledby="h-keys">
      <h2 id="h-keys">API keys</h2>
      <p class="small muted">Public write keys (<code>adv_pk_…</code>) only send events and answers: safe in a browser, e.g. in the widget tag. Secret keys (<code>adv_sk_…</code>) read and change everything: keep them on servers.</p>
      {created && (
        <div class="secret" role="status">
          <p><strong>New {created.kind} key “{created.name}”.</strong> Copy it now: it is shown only this once.</p>
          <pre id="new-key">{created.key}</pre>
          <div class="row"><CopyButton text={created.key} label="Copy the key" target="new-key" /><button type="button" onClick={() => setCreated(null)}>Done</button></div>
        </div>
      )}
      <form class="row" style={{ alignItems: 'flex-end', marginBottom: '1rem' }} onSubmit={create}>
        <div class="field" style={{ margin: 0 }}>
          <label for="key-kind">Kind</label>
          <select id="key-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'write' | 'secret')}>
            <option value="write">Public write key</option>
            <option value="secret">Secret key</option>
          </select>
        </div>
        <div class="field" style={{ margin: 0 }}>
          <label for="key-name">Name</label>
          <input id="key-name" value={name} placeholder="Website widget" onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <button class="primary" type="submit" disabled={!name.trim()}>Create key</button>
      </form>
      {message && <div class="notice error" role="alert"><p>{message}</p></div>}
      <Async state={keys}>
        {(k) => (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Starts with</th><th scope="col" class="hide-narrow">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {k.items.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>{key.kind === 'write' ? 'public write' : 'secret'}</td>
                    <td><code>{key.prefix}…</code></td>
                    <td class="hide-narrow">{fmtDate(key.createdAt)}</td>
                    <td>{key.revokedAt ? `revoked ${fmtDate(key.revokedAt)}` : 'active'}</td>
                    <td>
                      {!key.revokedAt && <ConfirmButton label="Revoke…" confirm={`Revoke ${key.name}`} keep="Keep it" onConfirm={() => revoke(key.id)} />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </section>
  );
}

const ROLES: Array<[Role, string]> = [['viewer', 'Viewer: reads everything'], ['analyst', 'Analyst: also edits surveys, segments, annotations, sends'], ['admin', 'Admin: also keys, users and settings']];

function Users() {
  const { session } = useSession();
  const users = useApi<UserList>('/api/v1/users');
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' as Role, password: '' });
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  async function add(e: Event) {
    e.preventDefault();
    setMessage(null);
    try {
      const r = await api<UserAdded>('/api/v1/users', { method: 'POST', body: { email: form.email.trim(), name: form.name.trim(), role: form.role, ...(form.password ? { password: form.password } : {}) } });
      setMessage({ text: r.created ? `Account created for ${r.user.email}: give them the password you set.` : `${r.user.email} already had an account and was added with their own password.`, error: false });
      setForm({ email: '', name: '', role: 'viewer', password: '' });
      users.reload();
    } catch (err) {
      setMessage({ text: explain(err, 'admin'), error: true });
    }
  }

  async function change(id: string, body: { role: Role } | null) {
    setMessage(null);
    try {
      await api(`/api/v1/users/${encodeURIComponent(id)}`, body ? { method: 'PATCH', body } : { method: 'DELETE' });
      users.reload();
    } catch (err) {
      setMessage({ text: explain(err, 'admin'), error: true });
    }
  }

  return (
    <section class="panel" aria-labelledby="h-users">
      <h2 id="h-users">Users</h2>
      {message && <div class={`notice${message.error ? ' error' : ''}`} role={message.error ? 'alert' : 'status'}><p>{message.text}</p></div>}
      <Async state={users}>
        {(u) => (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {u.items.map((user) => (
                  <tr key={user.id}>
                    <td>{user.name}{user.id === session.user.id && <span class="muted small"> (you)</span>}</td>
                    <td style={{ overflowWrap: 'anywhere' }}>{user.email}</td>
                    <td>
                      <label class="visually-hidden" for={`role-${user.id}`}>Role of {user.email}</label>
                      <select id={`role-${user.id}`} value={user.role} onChange={(e) => void change(user.id, { role: e.currentTarget.value as Role })}>
                        {ROLES.map(([r]) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    </td>
                    <td>
                      <ConfirmButton label="Remove…" confirm={`Remove ${user.email}`} keep="Keep" onConfirm={() => change(user.id, null)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      <form onSubmit={add} style={{ marginTop: '1rem' }}>
        <h3>Add a user</h3>
        <div class="form-grid">
          <div class="field"><label for="u-email">Email</label><input id="u-email" type="email" autocomplete="off" value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} /></div>
          <div class="field"><label for="u-name">Name</label><input id="u-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} /></div>
          <div class="field">
            <label for="u-role">Role</label>
            <select id="u-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
              {ROLES.map(([r, label]) => <option key={r} value={r}>{label}</option>)}
            </select>
          </div>
          <div class="field">
            <label for="u-password">Password for a new account</label>
            <input id="u-password" type="password" autocomplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} />
            <div class="hint">Not needed when the email already has an account.</div>
          </div>
        </div>
        <button class="primary" type="submit" disabled={!form.email.trim() || !form.name.trim()}>Add user</button>
      </form>
    </section>
  );
}

/**
 * A settings panel: its heading and what it is for, how the last save went, and its form once the
 * setting has loaded (`children` draws the fields of what the form shows).
 */
function SettingsPanel<T, F>({ settings, heading, title, intro, anchor, first, onSubmit, children }: {
  settings: SettingsForm<T, F>; heading: string; title: string; intro: string; anchor?: string; first?: boolean;
  onSubmit(e: Event): void; children: (form: F) => ComponentChildren;
}) {
  const { setting, form, message } = settings;
  return (
    <section class="panel" id={anchor} aria-labelledby={heading} style={first ? undefined : { marginTop: '1rem' }}>
      <h2 id={heading}>{title}</h2>
      <p class="small muted">{intro}</p>
      {message && <p role="status" class={message.error ? 'error' : 'small'}>{message.text}</p>}
      <Async state={setting}>{() => form && <form onSubmit={onSubmit}>{children(form)}</form>}</Async>
    </section>
  );
}

/** Who counts as churned: read by the behaviour analysis and the churn-risk model alike. */
function Churn() {
  const settings = useSettingsForm<ChurnSettings, { days: string; event: string }>(
    '/api/v1/settings/churn',
    ({ churn }) => ({ days: String(churn.inactiveDays), event: churn.event ?? '' }),
  );
  const { setting, draft, setDraft, form, save } = settings;
  const current = setting.data?.churn;
  const changed = !!draft && !!current && (draft.days !== String(current.inactiveDays) || draft.event.trim() !== (current.event ?? ''));

  function submit(e: Event) {
    e.preventDefault();
    if (!form) return;
    const body = { inactiveDays: Number(form.days), event: form.event.trim() || null };
    void save(body, 'Saved. The churn-risk model retrains with it on its next daily run, or now from Impact.', () => ({ days: form.days, event: form.event.trim() }));
  }

  return (
    <SettingsPanel settings={settings} heading="h-churn-def" title="Churn definition" intro="Who counts as churned in the behaviour analysis and the churn-risk model." onSubmit={submit}>
      {(form) => (
        <>
          <div class="form-grid">
            <div class="field">
              <label for="c-days">No order for (days)</label>
              <input id="c-days" type="number" min={1} max={730} required value={form.days} onInput={(e) => setDraft({ ...form, days: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="c-event">Or this event (optional)</label>
              <input id="c-event" maxLength={200} placeholder="e.g. Subscription Cancelled" value={form.event} onInput={(e) => setDraft({ ...form, event: e.currentTarget.value })} />
              <div class="hint">A track event that means the customer left.</div>
            </div>
          </div>
          <button class="primary" type="submit" disabled={!changed}>Save churn definition</button>
        </>
      )}
    </SettingsPanel>
  );
}

const EMPTY_DELIVERY = { host: '', port: '587', secure: false, user: '', pass: '', from: '', smsUrl: '', sid: '', token: '', smsFrom: '', publicUrl: '' };

/**
 * Where email and text surveys go out from, and the address their links use. Passwords and tokens
 * are never shown: left blank, the stored one is kept.
 */
function Delivery() {
  const delivery = useSettingsForm<DeliveryView, typeof EMPTY_DELIVERY>('/api/v1/settings/delivery', (d) => ({
    host: d.smtp?.host ?? '', port: String(d.smtp?.port ?? 587), secure: !!d.smtp?.secure, user: d.smtp?.user ?? '', pass: '', from: d.smtp?.from ?? '',
    smsUrl: d.sms?.url ?? '', sid: d.sms?.accountSid ?? '', token: '', smsFrom: d.sms?.from ?? '', publicUrl: d.publicUrl ?? '',
  }));
  const { setting, draft, setDraft, form } = delivery;
  const d = setting.data;
  const edit = (patch: Partial<typeof EMPTY_DELIVERY>) => form && setDraft({ ...form, ...patch });

  // What was saved stays on screen, its secrets blanked: never shown, and left blank the saved one is kept.
  const save = (body: Record<string, unknown>, done: string, shown: typeof EMPTY_DELIVERY | null) =>
    delivery.save(body, done, () => shown && { ...shown, pass: '', token: '' });

  function submit(e: Event) {
    e.preventDefault();
    if (!form) return;
    const body: Record<string, unknown> = { publicUrl: form.publicUrl.trim() || null };
    if (form.host.trim()) {
      body.smtp = { host: form.host.trim(), port: Number(form.port), secure: form.secure, user: form.user.trim() || null, from: form.from.trim(), ...(form.pass ? { pass: form.pass } : {}) };
    }
    if (form.smsUrl.trim()) {
      body.sms = { url: form.smsUrl.trim(), accountSid: form.sid.trim(), from: form.smsFrom.trim(), ...(form.token ? { authToken: form.token } : {}) };
    }
    void save(body, 'Saved. Email and text surveys use these settings from the next send.', form);
  }

  const field = (id: string, label: string, value: string, onInput: (v: string) => void, extra: Record<string, unknown> = {}, hint?: string) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(e) => onInput(e.currentTarget.value)} {...extra} />
      {hint && <div class="hint">{hint}</div>}
    </div>
  );

  return (
    <SettingsPanel settings={delivery} heading="h-delivery" title="Email and text delivery" intro="Needed for email and SMS surveys. Passwords and tokens are never shown: leave them blank to keep the saved one." onSubmit={submit}>
      {(form) => (
        <>
          <h3>Email (SMTP)</h3>
          <div class="form-grid">
            {field('d-host', 'Server', form.host, (v) => edit({ host: v }), { placeholder: 'smtp.example.com', maxLength: 255 })}
            {field('d-port', 'Port', form.port, (v) => edit({ port: v }), { type: 'number', min: 1, max: 65535 })}
            {field('d-user', 'User', form.user, (v) => edit({ user: v }), { autocomplete: 'off', maxLength: 255 })}
            {field('d-pass', 'Password', form.pass, (v) => edit({ pass: v }), { type: 'password', autocomplete: 'new-password', placeholder: d?.smtp?.pass ? 'saved' : '' })}
            {field('d-from', 'Sender', form.from, (v) => edit({ from: v }), { placeholder: 'Acme <nps@acme.example>', maxLength: 320 })}
            <div class="field">
              <label><input type="checkbox" checked={form.secure} onChange={(e) => edit({ secure: e.currentTarget.checked })} /> TLS from the start (port 465)</label>
            </div>
          </div>
          <h3>Text messages (Twilio-compatible)</h3>
          <div class="form-grid">
            {field('d-sms-url', 'API base URL', form.smsUrl, (v) => edit({ smsUrl: v }), { placeholder: 'https://api.twilio.com', maxLength: 500 })}
            {field('d-sid', 'Account SID', form.sid, (v) => edit({ sid: v }), { maxLength: 100 })}
            {field('d-token', 'Auth token', form.token, (v) => edit({ token: v }), { type: 'password', autocomplete: 'new-password', placeholder: d?.sms ? 'saved' : '' })}
            {field('d-sms-from', 'Sender number', form.smsFrom, (v) => edit({ smsFrom: v }), { placeholder: '+15550001234', maxLength: 40 })}
          </div>
          <h3>Links</h3>
          {field('d-public', 'Public address of this server', form.publicUrl, (v) => edit({ publicUrl: v }), { placeholder: 'https://nps.acme.example', maxLength: 500 }, 'The start of every survey link in emails and texts.')}
          <div class="row">
            <button class="primary" type="submit" disabled={!draft}>Save delivery settings</button>
            {d?.smtp && <ConfirmButton label="Remove email settings…" confirm="Remove the SMTP settings" keep="Keep" onConfirm={() => save({ smtp: null }, 'Email settings removed.', form && { ...form, host: '', port: '587', secure: false, user: '', from: '' })} />}
            {d?.sms && <ConfirmButton label="Remove text settings…" confirm="Remove the SMS settings" keep="Keep" onConfirm={() => save({ sms: null }, 'Text settings removed.', form && { ...form, smsUrl: '', sid: '', smsFrom: '' })} />}
          </div>
        </>
      )}
    </SettingsPanel>
  );
}

const supported = (key: string): string[] => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.(key) ?? [];
  } catch {
    return [];
  }
};
const LOCALES = ['en-US', 'en-GB', 'en-CA', 'en-AU', 'de-DE', 'de-AT', 'de-CH', 'fr-FR', 'fr-CA', 'nl-NL', 'es-ES', 'es-MX', 'it-IT', 'pt-BR', 'sv-SE', 'da-DK', 'nb-NO', 'fi-FI', 'pl-PL', 'ja-JP'];

/**
 * How the workspace writes money, numbers and dates, where its days start, and which industry its
 * NPS is compared with by default: chosen once here, used by every page and export.
 */
function WorkspacePreferences() {
  const { refresh } = useSession();
  const settings = useSettingsForm<PreferencesSettings, Preferences>('/api/v1/settings/workspace', (d) => d.preferences);
  const { setting, draft, setDraft, form, save } = settings;
  const current = setting.data?.preferences;
  const changed = !!draft && !!current && (['currency', 'locale', 'timeZone', 'industry'] as const).some((k) => (draft[k] ?? '') !== (current[k] ?? ''));
  const zones = supported('timeZone');
  const currencies = supported('currency');

  function submit(e: Event) {
    e.preventDefault();
    if (!form) return;
    const body = { currency: form.currency.trim(), locale: form.locale.trim(), timeZone: form.timeZone.trim(), industry: form.industry || null };
    // What the server kept (canonical names) stays on screen; the session carries it to every page.
    void save<PreferencesSaved>(body, 'Saved. Every page and export uses these from now on.', (saved) => saved.preferences, refresh);
  }

  return (
    <SettingsPanel settings={settings} heading="h-workspace" title="Workspace" intro="The currency money is in, how numbers and dates are written, the time zone whose midnight starts the workspace's days, and the industry its NPS is compared with." anchor="workspace" first onSubmit={submit}>
      {(form) => (
        <>
          <div class="form-grid">
            <div class="field">
              <label for="w-currency">Currency</label>
              <input id="w-currency" list="w-currencies" maxLength={3} required value={form.currency} onInput={(e) => setDraft({ ...form, currency: e.currentTarget.value.toUpperCase() })} />
              <datalist id="w-currencies">{currencies.map((c) => <option key={c} value={c} />)}</datalist>
              <div class="hint">ISO 4217 code, e.g. USD, EUR, GBP.</div>
            </div>
            <div class="field">
              <label for="w-locale">Locale</label>
              <input id="w-locale" list="w-locales" maxLength={35} required value={form.locale} onInput={(e) => setDraft({ ...form, locale: e.currentTarget.value })} />
              <datalist id="w-locales">{LOCALES.map((l) => <option key={l} value={l} />)}</datalist>
              <div class="hint">How numbers and dates are written, e.g. en-US, de-DE.</div>
            </div>
            <div class="field">
              <label for="w-zone">Time zone</label>
              <input id="w-zone" list="w-zones" maxLength={64} required autocomplete="off" placeholder="Type to search, e.g. New York" value={form.timeZone} onInput={(e) => setDraft({ ...form, timeZone: e.currentTarget.value })} />
              <datalist id="w-zones">{['UTC', ...zones.filter((z) => z !== 'UTC')].map((z) => <option key={z} value={z} />)}</datalist>
              <div class="hint">Days, weeks and hours of every figure start at this zone's midnight.</div>
            </div>
            <div class="field">
              <label for="w-industry">Industry</label>
              <select id="w-industry" value={form.industry ?? ''} onChange={(e) => setDraft({ ...form, industry: e.currentTarget.value || null })}>
                <option value="">None (no benchmark by default)</option>
                {INDUSTRIES.map((i) => <option key={i} value={i}>{i}</option>)}
              </select>
              <div class="hint">The overview compares your NPS with this industry's published figures.</div>
            </div>
          </div>
          <button class="primary" type="submit" disabled={!changed}>Save workspace settings</button>
        </>
      )}
    </SettingsPanel>
  );
}

/** How often anyone may be asked, whatever the survey or channel: the workspace's, so it lives here rather than in one survey's form. */
function Fatigue() {
  const settings = useSettingsForm<ContactPolicy, { max: string; days: string }>(
    '/api/v1/settings/contact-policy',
    (p) => ({ max: String(p.maxSurveys), days: String(p.perDays) }),
  );
  const { draft, setDraft, form, save } = settings;
  const current = settings.setting.data;
  const changed = !!draft && !!current && (draft.max !== String(current.maxSurveys) || draft.days !== String(current.perDays));
  // Opened from a survey's form (…/settings#fatigue): bring the panel into view once it is there.
  useEffect(() => {
    if (form && location.hash === '#fatigue') document.getElementById('fatigue')?.scrollIntoView();
  }, [!!form]);

  function submit(e: Event) {
    e.preventDefault();
    if (!form) return;
    void save({ maxSurveys: Number(form.max), perDays: Number(form.days) }, 'Saved. Every survey and channel follows it from now on.', () => ({ ...form }));
  }

  return (
    <SettingsPanel settings={settings} heading="h-fatigue" title="Fatigue policy" intro="How often one person may be asked, across every survey and channel. Each survey also waits its own recontact days." anchor="fatigue" onSubmit={submit}>
      {(form) => (
        <>
          <div class="form-grid">
            <div class="field">
              <label for="fp-max">At most (surveys)</label>
              <input id="fp-max" type="number" min={0} max={100} required value={form.max} onInput={(e) => setDraft({ ...form, max: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="fp-days">Per (days)</label>
              <input id="fp-days" type="number" min={1} max={3650} required value={form.days} onInput={(e) => setDraft({ ...form, days: e.currentTarget.value })} />
            </div>
          </div>
          <button class="primary" type="submit" disabled={!changed}>Save fatigue policy</button>
        </>
      )}
    </SettingsPanel>
  );
}
