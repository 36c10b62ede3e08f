import type { ComponentChildren } from 'preact';
import { ApiError, explain } from '../api.ts';
import type { Role } from '../session.ts';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return <p class="loading" role="status">{what}…</p>;
}

/** An error in words with what to do next; a 403 names the role that would have been needed. */
export function ErrorNotice({ error, need, retry, title }: { error: unknown; need?: Role; retry?: () => void; title?: string }) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div class="notice error" role="alert">
      <h3>{title ?? (forbidden ? 'Not allowed with your role' : 'Could not load this')}</h3>
      <p>{explain(error, need)}</p>
      {retry && !forbidden && <button type="button" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="notice empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** What a page shows while its data loads, failed, or is there. */
export function Async<T>({ state, children, need, what }: { state: { data?: T; error?: unknown; loading: boolean; reload(): void }; children: (data: T) => ComponentChildren; need?: Role; what?: string }) {
  if (state.error) return <ErrorNotice error={state.error} need={need} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <Stale when={state.loading}>{children(state.data)}</Stale>;
}

/**
 * Figures of the filters before, kept while the new ones load (no flicker), marked as such: dimmed,
 * and busy for assistive technology, so nobody reads them as the new filter's. Leaves the layout alone.
 */
export function Stale({ when, children }: { when: boolean; children: ComponentChildren }) {
  return <div class="async" aria-busy={when ? 'true' : undefined}>{children}</div>;
}
