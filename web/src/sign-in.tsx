import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.ts';
import type { Session } from './session.ts';

export function SignIn({ onSignedIn }: { onSignedIn(s: Session): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · Advocate';
    emailRef.current?.focus();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<Session>('/api/v1/session', { method: 'POST', body: { email: email.trim(), password }, quiet401: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(`${err.message || 'Wrong email or password.'} Check both and try again.`);
      else if (err instanceof ApiError && err.status === 429) setError('Too many attempts to sign in: wait a minute, then try again.');
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="signin">
      <h1>Sign in to Advocate</h1>
      <p class="muted">NPS answers beside what your customers do.</p>
      <form class="panel" onSubmit={submit} noValidate>
        {error && <div class="notice error" role="alert"><p>{error}</p></div>}
        <div class="field">
          <label for="email">Email</label>
          <input id="email" ref={emailRef} type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        <button class="primary" type="submit" disabled={busy || !email || !password}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p class="small muted">Running the demo? <code>npm start</code> prints the demo login, also kept in <code>data/demo-credentials.json</code>.</p>
    </main>
  );
}
