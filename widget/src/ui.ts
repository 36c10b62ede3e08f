/**
 * The survey card: score, then "why" (+ optional CSAT/CES), then thanks. It lives in a shadow
 * root so neither the host page's CSS nor ours leaks across. Every survey text is untrusted
 * (workspace-editable, and the reply of a server we reach over the network): it only ever goes
 * into textContent or attribute values, never into markup.
 */
import type { RenderedScale, RenderedSurvey } from '../../src/surveys/rendered.ts';
import { CSS } from './style.ts';

/** Posts to /api/v1/responses/{token}{suffix}; resolves to the JSON reply or null, never rejects. */
export type Send = (suffix: '' | '/events', body: object) => Promise<any>;
type Category = 'promoter' | 'passive' | 'detractor';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, parent: Node, text?: string | null, attrs?: Record<string, string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e);
  return e;
}

const focus = (e: HTMLElement) => e.focus({ preventScroll: true });

/** White or near-black text, whichever reads on the brand colour (YIQ brightness). */
function onColor(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return ((n >> 16) * 299 + ((n >> 8) & 255) * 587 + (n & 255) * 114) / 1000 > 150 ? '#111' : '#fff';
}

export function render(s: RenderedSurvey, send: Send): void {
  const before = document.activeElement as HTMLElement | null;
  const host = document.createElement('advocate-survey');
  const root = host.attachShadow({ mode: 'open' });
  const brand = /^#[0-9a-f]{6}$/i.test(s.brandColor) ? s.brandColor : '#3b5bdb';
  host.style.setProperty('--c', brand);
  host.style.setProperty('--f', onColor(brand));
  el('style', root, CSS);
  const rtl = /^(ar|fa|he|ur)\b/i.test(s.language);
  const box = el('div', root, null, { class: 'w', role: 'dialog', 'aria-label': s.nps.question, lang: s.language, dir: rtl ? 'rtl' : 'ltr' });
  const close = el('button', box, '\u00d7', { type: 'button', class: 'x', 'aria-label': s.labels.close });
  const body = el('div', box);
  el('p', box, s.labels.poweredBy, { class: 'p' });

  let answered = false;
  let closed = false;
  let timer = 0;
  function finish(): void {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    if (!answered) send('/events', { type: 'dismissed' });
    const hadFocus = root.activeElement;
    host.remove();
    // Give focus back only if it was still ours; the visitor may have moved on meanwhile.
    if (hadFocus && before && before.isConnected) focus(before);
  }
  close.onclick = finish;
  box.onkeydown = (e) => {
    if (e.key == 'Escape') finish();
  };

  /** A radiogroup with one tab stop: arrows/Home/End move, Enter/Space/click picks. */
  function scale(from: number, to: number, sc: RenderedScale, pick: (n: number) => void): HTMLButtonElement[] {
    const id = `q${from}${to}`;
    el('p', body, sc.question, { class: 'q', id });
    const group = el('div', body, null, { class: 's', role: 'radiogroup', 'aria-labelledby': id });
    group.style.gridTemplateColumns = `repeat(${to - from + 1},1fr)`;
    const radios: HTMLButtonElement[] = [];
    for (let n = from; n <= to; n++) {
      // The end labels go into the end radios' names, so a screen reader hears what 0 and 10 mean.
      const end = n == from ? sc.lowLabel : n == to ? sc.highLabel : '';
      const b = el('button', group, String(n), { type: 'button', role: 'radio', 'aria-checked': 'false', tabindex: n == from ? '0' : '-1' });
      if (end && end != String(n)) b.setAttribute('aria-label', `${n}, ${end}`);
      b.onclick = () => {
        for (const r of radios) r.setAttribute('aria-checked', String(r == b));
        pick(n);
      };
      radios.push(b);
    }
    group.onkeydown = (e) => {
      const i = radios.indexOf(e.target as HTMLButtonElement);
      // Left/Right follow the reading direction; Up/Down always mean previous/next.
    const step = ({ ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -99, End: 99 } as Record<string, number>)[e.key];
      if (i < 0 || !step) return;
      e.preventDefault();
      const j = Math.max(0, Math.min(radios.length - 1, i + (rtl && /t$/.test(e.key) ? -step : step)));
      radios[i].tabIndex = -1;
      radios[j].tabIndex = 0;
      focus(radios[j]);
    };
    // Labels that only repeat the end numbers (CSAT's "1" and "5") are left out.
    if (sc.lowLabel != String(from) || sc.highLabel != String(to)) {
      const labels = el('div', body, null, { class: 'l', 'aria-hidden': 'true' });
      el('span', labels, sc.lowLabel);
      el('span', labels, sc.highLabel);
    }
    return radios;
  }

  // Step 1: the score is sent the moment it is picked, so leaving after it loses nothing.
  const radios = scale(0, 10, s.nps, (score) => {
    if (answered) return;
    answered = true;
    const category: Category = score > 8 ? 'promoter' : score > 6 ? 'passive' : 'detractor';
    let reply = send('', { score });
    body.textContent = '';

    // Step 2: why, and the optional CSAT/CES scales.
    const label = el('label', body, s.followUp[category], { class: 'q', for: 'c' });
    const comment = el('textarea', body, null, { id: 'c', rows: '3', maxlength: '5000', placeholder: s.labels.commentPlaceholder });
    reply.then((r) => r && r.followUp && (label.textContent = r.followUp));
    const extra: { csat?: number; ces?: number } = {};
    if (s.csat) scale(1, 5, s.csat, (n) => (extra.csat = n));
    if (s.ces) scale(1, 7, s.ces, (n) => (extra.ces = n));
    el('button', body, s.labels.submit, { type: 'button', class: 'b' }).onclick = () => {
      const text = comment.value.trim();
      if (text || extra.csat || extra.ces) {
        // The update must follow the score it updates; if the score got lost, send it again first.
        reply = reply.then((r) => r || send('', { score }));
        reply.then(() => send('', { comment: text || undefined, ...extra }));
      }
      thanks();
    };
    focus(comment);

    // Step 3: thanks, with the promoter link for promoters.
    function thanks(): void {
      body.textContent = '';
      const t = el('p', body, s.thankYou[category], { class: 'q t', tabindex: '-1' });
      focus(t);
      reply.then((r) => {
        if (closed) return;
        if (r && r.thankYou) t.textContent = r.thankYou;
        const link = r ? r.promoterLink : s.promoterLink;
        // A javascript: URL in a link would be script injection by another name.
        const ok = ((r && r.category) || category) == 'promoter' && link && /^https?:\/\//i.test(link.url);
        if (ok) el('a', body, link.label, { class: 'b', href: link.url, target: '_blank', rel: 'noopener' });
        timer = setTimeout(finish, ok ? 12000 : 6000);
      });
    }
  });

  document.body.appendChild(host);
  send('/events', { type: 'shown' });
  // Opening must not steal the keystrokes of someone typing into the page.
  const a = document.activeElement as HTMLElement | null;
  if (!a || !(a.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))) focus(radios[0]);
}
