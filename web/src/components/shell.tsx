import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { filterQuery } from '../filters.ts';
import { BASE, NAV } from '../links.ts';
import { useSession } from '../session.ts';

export function Shell({ children }: { children: ComponentChildren }) {
  const loc = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  // Filters travel with the navigation, so a page opened from another shows the same slice.
  const carry = filterQuery(loc.query);
  const first = useRef(true);
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    // A new page starts at its top, and focus goes to it so a screen reader reads the new page
    // rather than staying on the link that led there.
    scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [loc.path]);

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href={`${BASE}${carry}`}>Advocate</a>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>Menu</button>
        <nav id="nav" aria-label="Main" class={`nav${menuOpen ? ' open' : ''}`}>
          {NAV.map((n) => {
            const current = 'match' in n ? n.match(loc.path) : loc.path === n.href || loc.path.startsWith(`${n.href}/`);
            return <a key={n.href} href={`${n.href}${carry}`} aria-current={current ? 'page' : undefined}>{n.label}</a>;
          })}
        </nav>
        <span class="spacer" />
        <WorkspaceSwitcher />
        <UserMenu />
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}

/** Which workspace the figures are of: labelled as such, so it is never mistaken for the person signed in. */
function WorkspaceSwitcher() {
  const { session, workspace, switchWorkspace } = useSession();
  if (session.workspaces.length <= 1) return <span class="ws-select"><span class="ws-label">Workspace:</span> <strong>{workspace.name}</strong></span>;
  return (
    <div class="ws-select">
      <label class="ws-label" for="workspace">Workspace</label>
      <select id="workspace" value={workspace.id} onChange={(e) => switchWorkspace(e.currentTarget.value)}>
        {session.workspaces.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
      </select>
    </div>
  );
}

const initialsOf = (s: string) => s.split(/[\s@._-]+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('') || '?';

/**
 * Who is signed in (name and email, never just a name a workspace may share) and a way out: the
 * sign-out button sits in the bar on a wide screen and in this menu on a phone.
 */
function UserMenu() {
  const { session, workspace, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: Event) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    const esc = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        ref.current?.querySelector('button')?.focus();
      }
    };
    document.addEventListener('click', away);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('click', away);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  const { name, email } = session.user;
  const shown = name || email;
  return (
    <>
      <div class="user-menu" ref={ref}>
        <button type="button" aria-expanded={open} aria-haspopup="true" aria-controls="user-popover" aria-label={`Account: ${shown}${name ? ` (${email})` : ''}`} onClick={() => setOpen(!open)}>
          <span class="avatar" aria-hidden="true">{initialsOf(shown)}</span>
          <span class="user-name hide-narrow" aria-hidden="true">{shown}{name && <span class="user-email">{email}</span>}</span>
          <span aria-hidden="true">▾</span>
        </button>
        {open && (
          <div class="popover" id="user-popover">
            <p><strong>{shown}</strong>{name && <><br /><span class="small muted">{email}</span></>}</p>
            <p class="small">Role in {workspace.name}: <strong>{workspace.role}</strong></p>
            <button type="button" class="show-narrow" onClick={() => void signOut()}>Sign out</button>
          </div>
        )}
      </div>
      <button type="button" class="sign-out hide-narrow" onClick={() => void signOut()}>Sign out</button>
    </>
  );
}

/** Sets the tab's title for a page. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Advocate`;
  }, [title]);
}
