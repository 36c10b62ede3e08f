// --c is the survey's brand colour and --f the text colour that reads on it (set on the host).
// Newlines are left in: CSS ignores them and gzip makes them nearly free.
// `all:initial` on the host cuts inheritance from the page (fonts, colours, letter-spacing…).
export const CSS = `
:host{all:initial;position:fixed;z-index:2147483647;right:20px;bottom:20px;width:380px;max-width:calc(100vw - 40px)}
.w{position:relative;box-sizing:border-box;padding:20px;border-radius:12px;background:#fff;color:#1d2330;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.22);animation:in .25s ease-out}
@keyframes in{from{opacity:0;transform:translateY(16px)}}
@media (prefers-reduced-motion:reduce){.w{animation:none}}
@media (max-width:480px){:host{left:0;right:0;bottom:0;width:auto;max-width:none}.w{border-radius:12px 12px 0 0;padding:16px 16px max(16px,env(safe-area-inset-bottom))}}
*{box-sizing:border-box;margin:0;font:inherit;color:inherit}
.q{display:block;font-weight:600;margin-bottom:12px;margin-inline-end:28px}
.s{display:grid;gap:4px;margin-bottom:14px}
.s button{min-width:0;padding:9px 0;border:1px solid #c3c8d2;border-radius:6px;background:#fff;cursor:pointer}
.s button:hover{border-color:var(--c)}
.s [aria-checked=true]{background:var(--c);border-color:var(--c);color:var(--f)}
.l{display:flex;justify-content:space-between;gap:8px;margin:-8px 0 14px;font-size:12px;color:#596070}
textarea{display:block;width:100%;min-height:72px;padding:8px;margin-bottom:14px;border:1px solid #c3c8d2;border-radius:6px;resize:vertical}
.b{display:inline-block;padding:9px 18px;border:0;border-radius:6px;background:var(--c);color:var(--f);font-weight:600;text-decoration:none;cursor:pointer}
.t:focus{outline:0}
.x{position:absolute;top:6px;inset-inline-end:6px;width:32px;height:32px;border:0;border-radius:6px;background:none;font-size:22px;line-height:1;color:#596070;cursor:pointer}
.p{margin-top:14px;font-size:11px;color:#646b7a}
:focus-visible{outline:2px solid var(--c);outline-offset:2px}
@media (forced-colors:active){.s [aria-checked=true]{outline:3px solid Highlight}}
`;
