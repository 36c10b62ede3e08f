import { useState } from 'preact/hooks';
import { api, explain } from '../api.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { useTitle } from '../components/shell.tsx';
import { Async } from '../components/states.tsx';
import { fmtDate } from '../format.ts';
import { useCan, useSession, type Role } from '../session.ts';
import type { Key, User } from '../types.ts';
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
          <p>Keys, people and the churn definition of the workspace {workspace.name}.</p>
        </div>
      </div>
      {!admin ? (
        <div class="notice">
          <h2>Admins only</h2>
          <p>API keys and users are managed by admins of this workspace; your role here is <strong>{workspace.role}</strong>. Ask an admin if you need a key or another role.</p>
        </div>
      ) : (
        <>
          <Keys />
          <Users />
          <Churn />
        </>
      )}
    </>
  );
}

function Keys() {
  const keys = useApi<{ items: Key[] }>('/api/v1/keys');
  const [kind, setKind] = useState<'write' | 'secret'>('write');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ key: string; name: string; kind: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  async function create(e: Event) {
    e.preventDefault();
    setMessage(null);
    try {
      const k = await api<{ key: string; name: string; kind: string }>('/api/v1/keys', { method: 'POST', body: { kind, name: name.trim() } });
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
  const users = useApi<{ items: User[] }>('/api/v1/users');
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' as Role, password: '' });
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  async function add(e: Event) {
    e.preventDefault();
    setMessage(null);
    try {
      const r = await api<{ user: User; created: boolean }>('/api/v1/users', { method: 'POST', body: { email: form.email.trim(), name: form.name.trim(), role: form.role, ...(form.password ? { password: form.password } : {}) } });
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

interface ChurnDefinition {
  inactiveDays: number;
  event: string | null;
}

/** Who counts as churned: read by the behaviour analysis and the churn-risk model alike. */
function Churn() {
  const setting = useApi<{ churn: ChurnDefinition; defaults: ChurnDefinition }>('/api/v1/settings/churn');
  const [draft, setDraft] = useState<{ days: string; event: string } | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const current = setting.data?.churn;
  const form = draft ?? (current ? { days: String(current.inactiveDays), event: current.event ?? '' } : null);

  async function save(e: Event) {
    e.preventDefault();
    if (!form) return;
    setMessage(null);
    try {
      await api('/api/v1/settings/churn', { method: 'PUT', body: { inactiveDays: Number(form.days), event: form.event.trim() || null } });
      setMessage({ text: 'Saved. The churn-risk model retrains with it on its next daily run, or now from Impact.', error: false });
      setDraft(null);
      setting.reload();
    } catch (err) {
      setMessage({ text: explain(err, 'admin'), error: true });
    }
  }

  return (
    <section class="panel" aria-labelledby="h-churn-def" style={{ marginTop: '1rem' }}>
      <h2 id="h-churn-def">Churn definition</h2>
      <p class="small muted">Who counts as churned in the behaviour analysis and the churn-risk model.</p>
      {message && <p role="status" class={message.error ? 'error' : 'small'}>{message.text}</p>}
      <Async state={setting}>
        {() => form && (
          <form onSubmit={save}>
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
            <button class="primary" type="submit" disabled={!draft}>Save churn definition</button>
          </form>
        )}
      </Async>
    </section>
  );
}
