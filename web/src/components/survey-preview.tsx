import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { RenderedSurvey } from '../survey-draft.ts';
import { BASE } from '../links.ts';

/**
 * The real widget in a frame of its own (web/preview.html runs widget/src/ui.ts), so its styles,
 * its bottom-sheet layout on narrow screens and its steps behave as on a customer's site.
 */
export function WidgetPreview({ survey }: { survey: RenderedSurvey }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);
  const [device, setDevice] = useState<'desktop' | 'phone'>('desktop');

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (e.origin === location.origin && e.source === frame.current?.contentWindow && e.data?.type === 'advocate:preview-ready') setReady(true);
    };
    addEventListener('message', onMessage);
    return () => removeEventListener('message', onMessage);
  }, []);

  // Typing changes the survey on every keystroke; the frame redraws a moment after the last one.
  useEffect(() => {
    if (!ready) return;
    const t = setTimeout(() => frame.current?.contentWindow?.postMessage({ type: 'advocate:preview', survey }, location.origin), 120);
    return () => clearTimeout(t);
  }, [ready, survey]);

  return (
    <div>
      <div class="row" role="group" aria-label="Preview size" style={{ marginBottom: '.5rem' }}>
        <button type="button" aria-pressed={device === 'desktop'} onClick={() => setDevice('desktop')}>Desktop</button>
        <button type="button" aria-pressed={device === 'phone'} onClick={() => setDevice('phone')}>Phone</button>
        <span class="small muted">Click a score to walk through the steps; nothing is recorded.</span>
      </div>
      <iframe
        ref={frame}
        class="preview-frame"
        src={`${BASE}/preview.html`}
        title="Widget preview"
        style={{ height: '440px', width: device === 'phone' ? 'min(100%, 360px)' : '100%' }}
      />
    </div>
  );
}

/**
 * The survey email as delivery renders it, in a sandboxed frame: no scripts run in it and it
 * cannot reach this page, whatever the wording contains (the renderer escapes it as well).
 */
export function EmailPreview({ subject, html }: { subject: string; html: string }) {
  const doc = useMemo(() => html, [html]);
  return (
    <div>
      <p class="small"><strong>Subject:</strong> {subject}</p>
      <iframe class="preview-frame" sandbox="" srcdoc={doc} title="Email preview" style={{ height: '520px', background: '#fff' }} />
    </div>
  );
}
