/**
 * The survey widget as a visitor sees it, inside the survey editor's preview frame: the real
 * widget UI (widget/src/ui.ts), fed the survey being edited by the parent page over postMessage.
 * Answers go nowhere: a preview must not record answers or "shown" events.
 */
import type { RenderedSurvey } from '../../../src/surveys/rendered.ts';
import { render } from '../../../widget/src/ui.ts';

// The widget focuses its first score when it opens, as it should on a real page. Here that would
// pull the cursor out of the editor field being typed in on every keystroke, so focus moves only
// while the person is actually in the preview.
const focus = HTMLElement.prototype.focus;
HTMLElement.prototype.focus = function (this: HTMLElement, options?: FocusOptions) {
  if (document.hasFocus()) focus.call(this, options);
};

let last: RenderedSurvey | null = null;
const page = document.createElement('div');
page.setAttribute('aria-hidden', 'true');
page.style.cssText = 'font:14px/1.5 system-ui,sans-serif;color:#8a91a0;padding:16px';
page.textContent = 'Your site';
const again = document.createElement('button');
again.type = 'button';
again.textContent = 'Show the survey again';
again.style.cssText = 'font:14px system-ui,sans-serif;margin:0 16px;padding:6px 12px';
again.hidden = true;
again.onclick = () => last && show(last);
document.body.style.margin = '0';
document.body.append(page, again);

function show(survey: RenderedSurvey) {
  last = survey;
  document.querySelector('advocate-survey')?.remove();
  again.hidden = true;
  render(survey, () => Promise.resolve(null));
}

// Closing or finishing the survey removes it; offer to show it again rather than an empty frame.
new MutationObserver(() => {
  again.hidden = !!document.querySelector('advocate-survey');
}).observe(document.body, { childList: true });

addEventListener('message', (e: MessageEvent) => {
  if (e.origin !== location.origin || e.source !== parent) return;
  const data = e.data as { type?: string; survey?: RenderedSurvey };
  if (data?.type === 'advocate:preview' && data.survey) show(data.survey);
});
parent.postMessage({ type: 'advocate:preview-ready' }, location.origin);
