/**
 * The hosted survey surfaces as HTML: the link page (emailed and texted links, in-app webviews),
 * the kiosk, unsubscribing, and plain message pages. Pure functions from texts to a document, so
 * the HTTP layer only decides which page and which status.
 *
 * Survey wording is the owner's and comments are the respondent's: every such text goes through
 * escapeHtml, and the script takes its data from data-attributes and writes with textContent.
 * The link page works without JavaScript (score links, a real form); the script only saves the
 * page loads. Its <script> and <style> carry the nonce of the response's Content-Security-Policy.
 */
import { categoryOf, type Category } from '../domain/category.ts';
import { escapeHtml as e } from './email-message.ts';
import type { RenderedScale, RenderedSurvey } from './rendered.ts';

export type PageMode = 'link' | 'kiosk';

/** Mid-answer, a kiosk goes back to the start after this long untouched; what was sent stays. */
export const KIOSK_IDLE_MS = 60_000;

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const RTL = /^(ar|fa|he|ur|ps|sd|ug|yi|dv|ckb)(-|$)/i;
const DEFAULT_BRAND = '#4338ca';

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Text colour on the brand colour, and a focus ring colour that stands out on white (WCAG 3:1). */
function palette(brandColor: string) {
  const brand = /^#[0-9a-f]{6}$/i.test(brandColor) ? brandColor : DEFAULT_BRAND;
  const l = luminance(brand);
  const onBrand = 1.05 / (l + 0.05) >= (l + 0.05) / 0.0556 ? '#ffffff' : '#111111';
  const focus = 1.05 / (l + 0.05) >= 3 ? brand : '#111111';
  return { brand, onBrand, focus };
}

const safeLang = (lang: string) => (/^[A-Za-z0-9-]{1,35}$/.test(lang) ? lang : 'en');

// Hover only where there is a pointer that hovers: on touch screens :hover sticks to the last
// button tapped, which on a kiosk would greet the next person with someone else's score.
function css(brandColor: string): string {
  const p = palette(brandColor);
  return `:root{--b:${p.brand};--on:${p.onBrand};--f:${p.focus}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#111;font:16px/1.5 ${FONT}}
main{max-width:40rem;margin:0 auto;padding:12px}
.card{background:#fff;border-top:4px solid var(--b);border-radius:8px;padding:20px 14px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.co{margin:0 0 8px;color:#555;font-size:14px}
h1{font-size:20px;line-height:1.35;margin:0 0 16px}
.scale{display:grid;grid-template-columns:repeat(11,1fr);gap:3px}
.sc{display:flex;align-items:center;justify-content:center;min-height:48px;padding:0;border:1px solid #b9bfcb;border-radius:6px;background:#fff;color:#111;font:inherit;font-weight:600;text-decoration:none;cursor:pointer;touch-action:manipulation;-webkit-tap-highlight-color:transparent}
@media (hover:hover){.sc:hover{border-color:var(--b)}}
.sc[aria-current=true],.sc[aria-pressed=true]{background:var(--b);border-color:var(--b);color:var(--on)}
.ends{display:flex;justify-content:space-between;gap:8px;margin-top:6px;color:#555;font-size:13px}
form{margin-top:24px}
.q,legend{display:block;font-weight:600;margin:0 0 8px;padding:0}
textarea{display:block;width:100%;min-height:7em;padding:10px;border:1px solid #b9bfcb;border-radius:6px;font:inherit;resize:vertical}
fieldset{border:0;padding:0;margin:20px 0 0;min-width:0}
.rate{display:flex;flex-wrap:wrap;gap:6px}
.rate label{position:relative}
.rate input{position:absolute;inset:0;width:100%;height:100%;margin:0;opacity:0;cursor:pointer}
.rate span{display:flex;align-items:center;justify-content:center;min-width:44px;min-height:44px;border:1px solid #b9bfcb;border-radius:6px;font-weight:600}
.rate input:checked+span{background:var(--b);border-color:var(--b);color:var(--on)}
.rate input:focus-visible+span{outline:3px solid var(--f);outline-offset:2px}
.go{display:inline-flex;align-items:center;margin-top:20px;min-height:48px;padding:0 28px;border:0;border-radius:6px;background:var(--b);color:var(--on);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
:focus-visible{outline:3px solid var(--f);outline-offset:2px}
[tabindex="-1"]:focus{outline:none}
.pw{margin:16px 0 0;text-align:center;color:#767676;font-size:12px}
.err{color:#b00020;font-weight:600}
.code{color:#555;font-size:14px}
[hidden]{display:none!important}
@media (min-width:600px){main{padding:48px 24px}.card{padding:32px}.scale{gap:6px}}
.k main{max-width:72rem;min-height:100vh;min-height:100dvh;display:flex;flex-direction:column;justify-content:center;padding:24px}
.k .card{padding:clamp(20px,4vw,48px)}
.k h1{font-size:clamp(24px,3.4vw,40px)}
.k .scale{gap:clamp(4px,1vw,12px)}
.k .sc{min-height:clamp(60px,9vw,104px);font-size:clamp(20px,3vw,34px);user-select:none;-webkit-user-select:none}
.k .ends,.k .q,.k legend{font-size:clamp(16px,2vw,22px)}
.k textarea{font-size:20px}
.k .rate span{min-width:64px;min-height:64px;font-size:22px}
.k .go{min-height:64px;padding:0 40px;font-size:22px}
.k #s3{text-align:center}
.k #ty{font-size:clamp(28px,4vw,48px)}`;
}

interface Shell {
  lang: string;
  title: string;
  brandColor: string;
  nonce: string;
  body: string;
  bodyAttrs?: string;
  script?: boolean;
}

// The empty icon saves browsers a request for /favicon.ico, which this server does not have.
function shell(s: Shell): string {
  const lang = safeLang(s.lang);
  return `<!doctype html>
<html lang="${e(lang)}" dir="${RTL.test(lang) ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<link rel="icon" href="data:,">
<title>${e(s.title)}</title>
<style nonce="${e(s.nonce)}">${css(s.brandColor)}</style>
</head>
<body${s.bodyAttrs ?? ''}>
<main>
<div class="card">
${s.body}
</div>
</main>
${s.script ? `<script nonce="${e(s.nonce)}">${SCRIPT}</script>\n` : ''}</body>
</html>
`;
}

/** The 0–10 scale: links to ?score=N on the link page (works without a script), buttons on a kiosk. */
function scale(nps: RenderedScale, score: number | null, mode: PageMode): string {
  const items = Array.from({ length: 11 }, (_, n) => {
    const label = n === 0 ? `0, ${nps.lowLabel}` : n === 10 ? `10, ${nps.highLabel}` : '';
    const aria = label ? ` aria-label="${e(label)}"` : '';
    if (mode === 'kiosk') return `<button type="button" class="sc" data-score="${n}"${aria} aria-pressed="false">${n}</button>`;
    return `<a class="sc" href="?score=${n}" data-score="${n}"${aria}${n === score ? ' aria-current="true"' : ''}>${n}</a>`;
  }).join('');
  return `<div class="scale" role="group" aria-labelledby="q">${items}</div>
<div class="ends" aria-hidden="true"><span>${e(nps.lowLabel)}</span><span>${e(nps.highLabel)}</span></div>`;
}

function rating(name: 'csat' | 'ces', s: RenderedScale | null, max: number): string {
  if (!s) return '';
  const options = Array.from({ length: max }, (_, i) => `<label><input type="radio" name="${name}" value="${i + 1}"><span>${i + 1}</span></label>`).join('');
  return `<fieldset><legend>${e(s.question)}</legend><div class="rate">${options}</div></fieldset>`;
}

export interface SurveyPageInput {
  survey: RenderedSurvey;
  company: string;
  nonce: string;
  mode: PageMode;
  /** Link page: the contact token. Kiosk: the link token (each respondent gets a fresh token from /start). */
  token: string;
  /** The score already recorded (one click in an email), or null for the first step. */
  score: number | null;
  /** Kiosk: seconds the thank-you stays before the kiosk starts over. */
  resetSeconds?: number;
}

export function surveyPage(o: SurveyPageInput): string {
  const { survey: s, score, mode } = o;
  const category: Category = score == null ? 'passive' : categoryOf(score);
  const token = encodeURIComponent(o.token);
  const attrs = mode === 'kiosk'
    ? ` class="k" data-mode="kiosk" data-start="/api/v1/kiosk/${e(token)}/start" data-reset="${o.resetSeconds ?? 8}"`
    : ` data-mode="link" data-api="/api/v1/responses/${e(token)}"`;
  // A kiosk has no page to fall back to without a script; the link page posts the form itself.
  const formAttrs = mode === 'kiosk' ? '' : ` method="post" action="/s/${e(token)}"`;
  const body = `<p class="co">${e(o.company)}</p>
${mode === 'kiosk' ? '<noscript><p class="err">This kiosk needs JavaScript.</p></noscript>\n' : ''}<section id="s1">
<h1 id="q">${e(s.nps.question)}</h1>
${scale(s.nps, score, mode)}
</section>
<form id="s2"${formAttrs}${score == null ? ' hidden' : ''}>
<input type="hidden" name="score" value="${score ?? ''}">
<label class="q" for="comment" id="fu">${e(s.followUp[category])}</label>
<textarea id="comment" name="comment" maxlength="10000" rows="4" placeholder="${e(s.labels.commentPlaceholder)}"></textarea>
${rating('csat', s.csat, 5)}${rating('ces', s.ces, 7)}
<button class="go" type="submit">${e(s.labels.submit)}</button>
</form>
<p id="err" class="err" role="alert" hidden>Sorry, that did not work. Please try again.</p>
<section id="s3" hidden>
<h1 id="ty" tabindex="-1"></h1>
<p id="pl" hidden><a class="go" href="#" target="_blank" rel="noopener"></a></p>
</section>
<p class="pw">${e(s.labels.poweredBy)}</p>`;
  return shell({ lang: s.language, title: o.company, brandColor: s.brandColor, nonce: o.nonce, body, bodyAttrs: attrs, script: true });
}

/** After the form was posted without a script. */
export function thankYouPage(o: { survey: RenderedSurvey; company: string; nonce: string; category: Category }): string {
  const s = o.survey;
  const link = o.category === 'promoter' && s.promoterLink && /^https?:\/\//i.test(s.promoterLink.url) ? s.promoterLink : null;
  const body = `<p class="co">${e(o.company)}</p>
<h1>${e(s.thankYou[o.category])}</h1>
${link ? `<p><a class="go" href="${e(link.url)}" target="_blank" rel="noopener">${e(link.label)}</a></p>\n` : ''}<p class="pw">${e(s.labels.poweredBy)}</p>`;
  return shell({ lang: s.language, title: o.company, brandColor: s.brandColor, nonce: o.nonce, body });
}

/** Errors and notices: expired or broken links, closed surveys. */
export function messagePage(o: { status: number; title: string; message: string; nonce: string; lang?: string; brandColor?: string }): string {
  const body = `<h1>${e(o.title)}</h1>
<p>${e(o.message)}</p>
${o.status >= 400 ? `<p class="code">Error ${o.status}</p>` : ''}`;
  return shell({ lang: o.lang ?? 'en', title: o.title, brandColor: o.brandColor ?? DEFAULT_BRAND, nonce: o.nonce, body });
}

export function unsubscribePage(o: { company: string; address: string; action: string; done: boolean; nonce: string; brandColor?: string }): string {
  const body = o.done
    ? `<h1>You are unsubscribed</h1>
<p>${e(o.address)} will not receive surveys from ${e(o.company)} any more.</p>`
    : `<h1>Unsubscribe from ${e(o.company)} surveys?</h1>
<p>We will stop sending surveys to ${e(o.address)}.</p>
<form method="post" action="${e(o.action)}"><button class="go" type="submit">Unsubscribe</button></form>`;
  return shell({ lang: 'en', title: o.done ? 'Unsubscribed' : 'Unsubscribe', brandColor: o.brandColor ?? DEFAULT_BRAND, nonce: o.nonce, body });
}

/**
 * The link page and kiosk script. The link page has its token in data-api; a kiosk fetches a
 * fresh one from data-start per respondent, so every answer is its own anonymous visitor. Any
 * failure on the link page falls back to what the page does without a script (follow the score
 * link, post the form), so the server shows what went wrong.
 */
export const SCRIPT = `(function () {
  var d = document, ds = d.body.dataset, kiosk = ds.mode === 'kiosk', api = ds.api || '';
  var s1 = d.getElementById('s1'), form = d.getElementById('s2'), f = form.elements, s3 = d.getElementById('s3');
  var ty = d.getElementById('ty'), pl = d.getElementById('pl'), err = d.getElementById('err'), busy = false, timer = 0;
  function post(url, body) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body || {}) })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); });
  }
  function token() {
    return api ? Promise.resolve() : post(ds.start).then(function (j) { api = '/api/v1/responses/' + j.token; });
  }
  function mark(n) {
    d.querySelectorAll('[data-score]').forEach(function (el) {
      el.setAttribute(kiosk ? 'aria-pressed' : 'aria-current', String(el.getAttribute('data-score') === String(n)));
    });
    f.score.value = n < 0 ? '' : n;
  }
  function idle(ms) { clearTimeout(timer); if (kiosk) timer = setTimeout(reset, ms); }
  function reset() {
    clearTimeout(timer); api = ''; form.reset(); mark(-1);
    form.hidden = s3.hidden = err.hidden = true; s1.hidden = false; scrollTo(0, 0);
  }
  function once(work, fallback) {
    if (busy) return;
    busy = true; err.hidden = true;
    work().catch(function () { if (kiosk) err.hidden = false; else fallback(); }).then(function () { busy = false; });
  }
  s1.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-score]');
    if (!b) return;
    ev.preventDefault();
    var n = +b.getAttribute('data-score'), keyboard = ev.detail === 0;
    once(function () {
      return token().then(function () { return post(api, { score: n }); }).then(function (r) {
        mark(n); d.getElementById('fu').textContent = r.followUp; form.hidden = false; idle(${KIOSK_IDLE_MS});
        if (keyboard) f.comment.focus();
      });
    }, function () { location.href = b.href; });
  });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { comment: f.comment.value };
    ['csat', 'ces'].forEach(function (k) { if (f[k] && f[k].value) body[k] = +f[k].value; });
    once(function () { return post(api, body).then(thanks); }, function () { form.submit(); });
  });
  function thanks(r) {
    var link = r.promoterLink, a = pl.firstElementChild;
    s1.hidden = form.hidden = true; ty.textContent = r.thankYou;
    if (link && !kiosk && /^https?:\\/\\//i.test(link.url)) { a.href = link.url; a.textContent = link.label; pl.hidden = false; }
    s3.hidden = false; ty.focus();
    idle(ds.reset * 1000);
  }
  if (kiosk) ['pointerdown', 'keydown', 'input'].forEach(function (type) {
    d.addEventListener(type, function () { if (!form.hidden) idle(${KIOSK_IDLE_MS}); }, true);
  });
})();`;
