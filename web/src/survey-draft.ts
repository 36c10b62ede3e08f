/**
 * The survey being edited, and the survey as respondents will see it. The rendering is the
 * server's own (src/surveys/definition.ts and email-message.ts, pure code shared with the
 * browser), so the preview shows what the widget and the email will show, before saving.
 */
import { normaliseDefinition, type SurveyDefinition, type SurveyDefinitionInput } from '../../src/domain/survey-definition.ts';
import { BUILT_IN_LANGUAGES, emailSubjectOf, pickLanguage, renderSurvey } from '../../src/surveys/definition.ts';
import { renderSurveyEmail } from '../../src/surveys/email-message.ts';
import type { RenderedSurvey } from '../../src/surveys/rendered.ts';

export { BUILT_IN_LANGUAGES };
export type { RenderedSurvey, SurveyDefinition };

export type PerCategory = { promoter: string; passive: string; detractor: string };
export interface Wording {
  question: string; lowLabel: string; highLabel: string;
  followUp: PerCategory; thankYou: PerCategory;
  csatQuestion: string; cesQuestion: string; emailSubject: string;
  submit: string; close: string; commentPlaceholder: string;
}
export interface Draft extends Omit<SurveyDefinition, 'texts'> {
  status: 'active' | 'paused' | 'archived';
  texts: Record<string, Wording>;
}

const EMPTY3 = (): PerCategory => ({ promoter: '', passive: '', detractor: '' });
export const emptyWording = (): Wording => ({
  question: '', lowLabel: '', highLabel: '', followUp: EMPTY3(), thankYou: EMPTY3(),
  csatQuestion: '', cesQuestion: '', emailSubject: '', submit: '', close: '', commentPlaceholder: '',
});

function wordingOf(t: Record<string, unknown> | undefined): Wording {
  const w = emptyWording();
  if (!t) return w;
  for (const k of ['question', 'lowLabel', 'highLabel', 'csatQuestion', 'cesQuestion', 'emailSubject', 'submit', 'close', 'commentPlaceholder'] as const) {
    if (typeof t[k] === 'string') w[k] = t[k] as string;
  }
  for (const k of ['followUp', 'thankYou'] as const) {
    const v = t[k];
    if (typeof v === 'string') w[k] = { promoter: v, passive: v, detractor: v };
    else if (v && typeof v === 'object') w[k] = { ...EMPTY3(), ...(v as Partial<PerCategory>) };
  }
  return w;
}

/** A draft from a stored definition (or a new survey's defaults). */
export function draftOf(definition: Record<string, unknown> | null, status = 'active'): Draft {
  const def = normaliseDefinition((definition ?? { name: '' }) as SurveyDefinitionInput);
  const texts: Record<string, Wording> = {};
  for (const [lang, t] of Object.entries(def.texts)) texts[lang] = wordingOf(t as Record<string, unknown>);
  return { ...def, status: status as Draft['status'], texts };
}

/**
 * A new survey as the editor starts it: paused (a draft that asks nobody until it is made active)
 * and on the web widget alone, so saving it never starts emails, texts or kiosks by surprise. The
 * API's own defaults (active, every channel) stay as they are for the clients that rely on them.
 */
export function newDraft(): Draft {
  const d = draftOf(null, 'paused');
  const off = { enabled: false };
  return { ...d, channels: { ...d.channels, web: { ...d.channels.web, enabled: true }, app: { ...d.channels.app, ...off }, email: off, sms: off, link: off, kiosk: { ...d.channels.kiosk, ...off } } };
}

/** The draft as the API takes it: blank wording left out, so the built-in wording applies. */
export function inputOf(d: Draft): SurveyDefinitionInput & { status: Draft['status'] } {
  const texts: Record<string, Record<string, unknown>> = {};
  for (const [lang, w] of Object.entries(d.texts)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(w)) {
      if (typeof v === 'string') {
        if (v.trim()) out[k] = v.trim();
      } else {
        const pc = Object.fromEntries(Object.entries(v as PerCategory).filter(([, s]) => s.trim()).map(([c, s]) => [c, s.trim()]));
        if (Object.keys(pc).length) out[k] = pc;
      }
    }
    if (Object.keys(out).length) texts[lang] = out;
  }
  const { status, ...rest } = d;
  return { ...rest, name: d.name.trim(), texts, companyName: d.companyName?.trim() || null, status };
}

/** What a respondent sees in `language`, as the widget, the hosted page and the email render it. */
export function renderDraft(d: Draft, language: string, workspaceName: string, id = 'preview', version = 1): RenderedSurvey {
  const input = inputOf(d);
  return renderSurvey(id, version, normaliseDefinition(input), language, workspaceName);
}

/** The built-in wording for a language, shown as placeholders for fields left blank. */
export function defaultsOf(d: Draft, language: string, workspaceName: string): RenderedSurvey {
  const input = { ...inputOf(d), texts: {} };
  return renderSurvey('preview', 1, normaliseDefinition(input), language, workspaceName);
}

/** The survey email as delivery renders it (src/surveys/delivery.ts), with links that go nowhere: a preview must not answer anything. */
export function emailPreview(d: Draft, language: string, workspaceName: string): { subject: string; html: string } {
  const def = normaliseDefinition(inputOf(d));
  const survey = renderSurvey('preview', 1, def, language, workspaceName);
  const email = renderSurveyEmail({
    survey, scoreUrl: (n) => `#score-${n}`, surveyUrl: '#survey', unsubscribeUrl: '#unsubscribe',
    companyName: def.companyName ?? workspaceName, subject: emailSubjectOf(def, pickLanguage(def, language), workspaceName),
  });
  return { subject: email.subject, html: email.html };
}
